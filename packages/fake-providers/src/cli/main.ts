#!/usr/bin/env node
// `npm run fake-providers`: the Stripe, Shopify and GitHub fakes as a standalone process, for
// demos and for trying the reconciler without real accounts. Ctrl-C (SIGINT) or SIGTERM stops it.
import { startFakeProviders } from '../fake-providers.js'
import { USAGE, parseCliArgs } from './args.js'

let command
try {
  command = parseCliArgs(process.argv.slice(2))
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`)
  process.exit(2)
}
if (command.help) {
  process.stdout.write(USAGE)
  process.exit(0)
}

const options = command.options
const fakes = await startFakeProviders(options)
const { stripe, shopify, github } = fakes.credentials
process.stdout.write(
  [
    `fake providers running (seed ${options.seed ?? 1}); control API under /_fake/ on each, see packages/fake-providers/README.md`,
    `stripe   ${stripe.baseUrl}   Authorization: Bearer ${stripe.secretKey}`,
    `shopify  ${shopify.graphqlUrl}   X-Shopify-Access-Token: ${shopify.accessToken}`,
    `github   ${github.baseUrl}   Authorization: Bearer ${github.token}   repo ${github.owner}/${github.repo}, hook ${github.hookId}`,
    'Ctrl-C stops.',
    '',
  ].join('\n'),
)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void fakes.close().then(() => process.exit(0))
  })
}
