// `npm test`: starts the infrastructure the tests need when it is not running (Kafka, schema
// registry, PostgreSQL, Prometheus), runs every test file on node's test runner against those real
// servers, stops only what it started, and ends with a plain "N passed, N failed" line.
//
//   npm test                      every test
//   npm test -- services/ingest   only test files whose path contains one of the arguments
//   LEDGER_KEEP_STACK=1 npm test  leave started servers running for the next run
import { spawn } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensureStack, stackEnvVars } from '@integration-ledger/local-stack'

const root = fileURLToPath(new URL('..', import.meta.url))
const filters = process.argv.slice(2)

function findTests(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...findTests(path))
    else if (name.endsWith('.test.ts')) out.push(relative(root, path))
  }
  return out
}

const roots = ['packages', 'services', 'test'].map((d) => join(root, d))
const files = roots
  .flatMap((d) => findTests(d))
  .filter((f) => filters.length === 0 || filters.some((pattern) => f.includes(pattern)))
  .sort()
if (files.length === 0) {
  console.error(`No test files match ${filters.join(' ')}`)
  process.exit(1)
}

const log = (line: string) => process.stderr.write(`[stack] ${line}\n`)
const stack = await ensureStack({ prometheus: true, log })

let passed = 0
let failed = 0
const child = spawn(
  process.execPath,
  [
    '--conditions=@integration-ledger/source',
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    `--test-concurrency=${process.env.LEDGER_TEST_CONCURRENCY ?? 2}`,
    ...files,
  ],
  {
    cwd: root,
    env: { ...process.env, ...stackEnvVars(stack.env), LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
    stdio: ['ignore', 'pipe', 'inherit'],
  },
)
let tail = ''
child.stdout.on('data', (chunk: Buffer) => {
  process.stdout.write(chunk)
  tail = (tail + chunk.toString()).slice(-4000)
})

const stopAll = async () => {
  if (process.env.LEDGER_KEEP_STACK !== '1') await stack.stop()
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    child.kill(signal)
  })
}

const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)))
passed = Number(/ℹ pass (\d+)/.exec(tail)?.[1] ?? 0)
failed = Number(/ℹ fail (\d+)/.exec(tail)?.[1] ?? 0)
await stopAll()
if (code !== 0 && failed === 0) failed = 1
console.log(`${passed} passed, ${failed} failed`)
process.exit(code)
