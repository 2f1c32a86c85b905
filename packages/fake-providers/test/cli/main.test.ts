import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))

function run(args: string[]) {
  const child = spawn(
    process.execPath,
    ['--conditions=@integration-ledger/source', '--import', 'tsx', MAIN, ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  return { child, out: () => stdout, err: () => stderr }
}

describe('npm run fake-providers', () => {
  it('prints its usage for --help', async () => {
    const { child, out } = run(['--help'])
    const [code] = (await once(child, 'exit')) as [number]
    assert.equal(code, 0)
    assert.match(out(), /^Usage: npm run fake-providers/)
    assert.match(out(), /--no-limits/)
  })

  it('refuses a bad flag value, naming the flag', async () => {
    const { child, err } = run(['--orders', 'many'])
    const [code] = (await once(child, 'exit')) as [number]
    assert.equal(code, 2)
    assert.match(err(), /^--orders must be a number/)
  })

  it('starts the three fakes, prints base URLs and credentials, and stops on SIGTERM', async (t) => {
    const { child, out } = run([
      '--port',
      '0',
      '--seed',
      '3',
      '--customers',
      '5',
      '--orders',
      '5',
      '--issues',
      '5',
    ])
    t.after(() => child.kill('SIGKILL'))
    for (let i = 0; i < 400 && !out().includes('Ctrl-C stops.'); i++)
      await new Promise((r) => setTimeout(r, 25))
    const stripe = /stripe\s+(http:\/\/\S+)\s+Authorization: Bearer (\S+)/.exec(out())
    assert.ok(stripe?.[1] !== undefined && stripe[2] !== undefined, out())
    const res = await fetch(`${stripe[1]}/v1/customers?limit=100`, {
      headers: { authorization: `Bearer ${stripe[2]}` },
    })
    assert.equal(((await res.json()) as { data: unknown[] }).data.length, 5)
    assert.match(
      out(),
      /shopify\s+http:\/\/127\.0\.0\.1:\d+\/admin\/api\/2025-01\/graphql\.json\s+X-Shopify-Access-Token: shpat_/,
    )
    assert.match(
      out(),
      /github\s+http:\/\/127\.0\.0\.1:\d+\s+Authorization: Bearer ghp_\S+\s+repo acme\/widgets, hook 424242/,
    )
    child.kill('SIGTERM')
    const [code] = (await once(child, 'exit')) as [number]
    assert.equal(code, 0)
  })
})
