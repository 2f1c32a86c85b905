import { parseArgs } from 'node:util'
import { z } from 'zod'
import type { FakeProvidersOptions } from '../fake-providers.js'

export const USAGE = `Usage: npm run fake-providers -- [options]

Local fakes of the Stripe, Shopify (GraphQL Admin) and GitHub APIs with seeded data, the
providers' documented limits and a control API (/_fake/...). Each provider listens on its own port.

Options:
  --host HOST                 interface to listen on (default 127.0.0.1)
  --port N                    first port: Stripe N, Shopify N+1, GitHub N+2; 0 picks free ports (default 12111)
  --stripe-port N, --shopify-port N, --github-port N   one provider's port
  --seed N                    seed of the generated data (default 1)
  --customers N               Stripe customers (default 1200)
  --subscriptions N           Stripe subscriptions (default 1100)
  --invoices N                Stripe invoices (default 1500)
  --payment-intents N         Stripe payment intents (default 1000)
  --charges N                 Stripe charges (default 1000)
  --orders N                  Shopify orders (default 1200)
  --products N                Shopify products (default 300)
  --shop-customers N          Shopify customers (default 500)
  --issues N                  GitHub issues, pull requests not counted (default 520)
  --pulls N                   GitHub pull requests (default 130)
  --deliveries N              GitHub webhook deliveries in the hook's log (default 200)
  --stripe-rate N             Stripe requests per second (default 25 for sk_test_ keys)
  --github-per-hour N         GitHub requests per hour per token (default 5000)
  --no-limits                 enforce no rate limit at all (Stripe, Shopify cost, GitHub primary and secondary)
  --stripe-webhook-url URL    where new Stripe events are POSTed (e.g. http://127.0.0.1:8080/webhooks/billing)
  --stripe-webhook-secret S   the whsec_... secret they are signed with (Stripe-Signature)
  --github-webhook-url URL    where GitHub changes and redeliveries are POSTed (e.g. http://127.0.0.1:8080/webhooks/repos)
  --github-webhook-secret S   the secret they are signed with (X-Hub-Signature-256)
  -h, --help                  this text
`

const count = (flag: string) =>
  z.coerce
    .number({ error: `${flag} must be a number` })
    .int(`${flag} must be a whole number`)
    .min(0, `${flag} must be 0 or more`)
    .max(1_000_000, `${flag} must be at most 1,000,000`)
    .optional()

const port = (flag: string) => {
  const message = `${flag} must be a port (0-65535)`
  return z.coerce.number({ error: message }).int(message).min(0, message).max(65535, message).optional()
}

const schema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: port('--port').default(12111),
    'stripe-port': port('--stripe-port'),
    'shopify-port': port('--shopify-port'),
    'github-port': port('--github-port'),
    seed: count('--seed').default(1),
    customers: count('--customers'),
    subscriptions: count('--subscriptions'),
    invoices: count('--invoices'),
    'payment-intents': count('--payment-intents'),
    charges: count('--charges'),
    orders: count('--orders'),
    products: count('--products'),
    'shop-customers': count('--shop-customers'),
    issues: count('--issues'),
    pulls: count('--pulls'),
    deliveries: count('--deliveries'),
    'stripe-rate': count('--stripe-rate'),
    'github-per-hour': count('--github-per-hour'),
    'no-limits': z.boolean().default(false),
    'stripe-webhook-url': z.url('--stripe-webhook-url must be a URL').optional(),
    'stripe-webhook-secret': z.string().min(1).optional(),
    'github-webhook-url': z.url('--github-webhook-url must be a URL').optional(),
    'github-webhook-secret': z.string().min(1).optional(),
    help: z.boolean().default(false),
  })
  .refine((o) => (o['stripe-webhook-url'] === undefined) === (o['stripe-webhook-secret'] === undefined), {
    message: '--stripe-webhook-url and --stripe-webhook-secret go together',
  })
  .refine((o) => (o['github-webhook-url'] === undefined) === (o['github-webhook-secret'] === undefined), {
    message: '--github-webhook-url and --github-webhook-secret go together',
  })

/** The parsed command line: options for `startFakeProviders`, or help. */
export type CliCommand = { help: true } | { help: false; options: FakeProvidersOptions }

/** Parses the command line; throws an Error whose message names the bad flag. */
export function parseCliArgs(argv: string[]): CliCommand {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      ...Object.fromEntries(
        [
          'host',
          'port',
          'stripe-port',
          'shopify-port',
          'github-port',
          'seed',
          'customers',
          'subscriptions',
          'invoices',
          'payment-intents',
          'charges',
          'orders',
          'products',
          'shop-customers',
          'issues',
          'pulls',
          'deliveries',
          'stripe-rate',
          'github-per-hour',
          'stripe-webhook-url',
          'stripe-webhook-secret',
          'github-webhook-url',
          'github-webhook-secret',
        ].map((name) => [name, { type: 'string' as const }]),
      ),
      'no-limits': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const parsed = schema.safeParse(values)
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => i.message).join('; '))
  const o = parsed.data
  if (o.help) return { help: true }
  const base = o.port
  const next = (offset: number): number => (base === 0 ? 0 : base + offset)
  const unlimited = o['no-limits']
  const webhook = (url: string | undefined, secret: string | undefined) =>
    url !== undefined && secret !== undefined ? { webhook: { url, secret } } : {}
  return {
    help: false,
    options: {
      seed: o.seed,
      host: o.host,
      ports: {
        stripe: o['stripe-port'] ?? next(0),
        shopify: o['shopify-port'] ?? next(1),
        github: o['github-port'] ?? next(2),
      },
      stripe: {
        rateLimitPerSecond: unlimited ? false : o['stripe-rate'],
        ...webhook(o['stripe-webhook-url'], o['stripe-webhook-secret']),
        sizes: {
          customers: o.customers,
          subscriptions: o.subscriptions,
          invoices: o.invoices,
          paymentIntents: o['payment-intents'],
          charges: o.charges,
        },
      },
      shopify: {
        ...(unlimited ? { costLimit: false as const } : {}),
        sizes: { orders: o.orders, products: o.products, customers: o['shop-customers'] },
      },
      github: {
        requestsPerHour: unlimited ? false : o['github-per-hour'],
        ...(unlimited ? { secondaryLimit: false as const } : {}),
        ...webhook(o['github-webhook-url'], o['github-webhook-secret']),
        sizes: { issues: o.issues, pulls: o.pulls, deliveries: o.deliveries },
      },
    },
  }
}
