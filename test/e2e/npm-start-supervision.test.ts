import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import {
  type CleanupHost,
  cleanupScope,
  freeTcpPorts,
  postgresAnswers,
  stackEnv,
  uniqueName,
  waitFor,
} from '@integration-ledger/testing'

interface Launcher {
  child: ChildProcess
  ports: { ingest: number; admin: number; projector: number; postgres: number }
  /** Every line the launcher wrote to stderr (its own progress lines), so far. */
  lines: string[]
  /** The pid of the service's process the launcher runs now (from /proc), if any. */
  servicePid(service: string): number | undefined
  /** Every service pid seen so far. */
  seen: Set<number>
  exited: Promise<[number | null, NodeJS.Signals | null]>
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  // A zombie counts as dead: the launcher's children are reaped by the launcher, or by PID 1.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ')
  } catch {
    return ''
  }
}

async function healthz(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) })).ok
  } catch {
    return false
  }
}

/**
 * `npm start` (infra/start.ts) as a user runs it, on free ports, against the shared Kafka, registry
 * and Prometheus (given by URL: it never starts or stops those), with a PostgreSQL of its own that
 * it starts in a private run dir, so that "stops everything it started" covers infrastructure too.
 */
async function startLauncher(t: CleanupHost, extraEnv: Record<string, string> = {}): Promise<Launcher> {
  const stack = stackEnv()
  const [ingest, admin, projector, postgres, reconciler] = (await freeTcpPorts(5)) as [
    number,
    number,
    number,
    number,
    number,
  ]
  const runDir = mkdtempSync(join(tmpdir(), 'ledger-npm-start-'))
  // As root, PostgreSQL runs as the OS user postgres, which must reach the run dir.
  chmodSync(runDir, 0o755)
  const topic = uniqueName('npm-start.events').replaceAll('_', '.')
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_BROKERS: stack.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
    PROMETHEUS_URL: stack.prometheusUrl ?? 'http://127.0.0.1:9090',
    POSTGRES_PORT: String(postgres),
    LEDGER_RUN_DIR: runDir,
    INGEST_PORT: String(ingest),
    ADMIN_PORT: String(admin),
    PROJECTOR_PORT: String(projector),
    RECONCILER_PORT: String(reconciler),
    PROJECTOR_GROUP_ID: uniqueName('npm-start-projector'),
    PROJECTOR_TOPICS: topic,
    INGEST_EVENTS_TOPIC: topic,
    LOG_LEVEL: 'warn',
    ...extraEnv,
  }
  delete env.DATABASE_URL
  const child = spawn(
    process.execPath,
    ['--conditions=@integration-ledger/source', '--import', 'tsx', 'infra/start.ts'],
    {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  )
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  const lines: string[] = []
  let buffered = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8')
    const parts = buffered.split('\n')
    buffered = parts.pop() ?? ''
    lines.push(...parts)
  })
  const seen = new Set<number>()
  const servicePid = (service: string) => {
    const children = readdirSync(`/proc/${child.pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${child.pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    )
    const pid = children.find(
      (c) => commandLine(c).includes(`services/${service}/dist/server.js`) && alive(c),
    )
    if (pid !== undefined) seen.add(pid)
    return pid
  }
  t.after(async () => {
    // Whatever a failed run left: the launcher, its services and what its pidfiles name.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    for (const pid of seen) if (alive(pid)) process.kill(pid, 'SIGKILL')
    for (const file of readdirSync(runDir).filter((f) => f.endsWith('.pid'))) {
      const { pid } = JSON.parse(readFileSync(join(runDir, file), 'utf8')) as { pid: number }
      if (alive(pid)) process.kill(-pid, 'SIGKILL')
    }
    rmSync(runDir, { recursive: true, force: true })
  })
  await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`npm start exited early:\n${lines.join('\n')}`)
      return (
        lines.some((line) => line.includes('ready:')) &&
        ['ingest', 'admin', 'projector', 'reconciler'].every(servicePid)
      )
    },
    {
      timeoutMs: 240_000,
      intervalMs: 250,
      description: () => `npm start ready; its lines so far:\n${lines.join('\n')}`,
    },
  )
  return { child, ports: { ingest, admin, projector, postgres }, lines, servicePid, seen, exited }
}

/** Every pid the launcher reported, and the PostgreSQL it started, are gone; its run dir names nothing. */
async function assertNothingLeft(launcher: Launcher): Promise<void> {
  for (const pid of launcher.seen) assert.equal(alive(pid), false, `service pid ${pid} stopped`)
  assert.equal(
    await postgresAnswers('127.0.0.1', launcher.ports.postgres),
    false,
    'the PostgreSQL the launcher started is stopped',
  )
  for (const port of Object.values(launcher.ports)) assert.equal(await healthz(port), false)
}

describe('npm start supervising its services', () => {
  it('restarts a service killed with SIGKILL, and on SIGTERM stops everything it started', async (test) => {
    const t = cleanupScope(test)
    const launcher = await startLauncher(t)
    const first = launcher.servicePid('ingest')
    assert.ok(first)

    process.kill(first, 'SIGKILL')
    const restarted = await waitFor(
      async () => {
        if (launcher.child.exitCode !== null) throw new Error('the launcher exited')
        const latest = launcher.servicePid('ingest')
        return latest !== undefined && latest !== first && (await healthz(launcher.ports.ingest)) && latest
      },
      {
        timeoutMs: 90_000,
        intervalMs: 250,
        description: () => `ingest restarted and answering; launcher lines:\n${launcher.lines.join('\n')}`,
      },
    )
    assert.ok(
      launcher.lines.some((line) => /ingest killed by SIGKILL; restarting it in/.test(line)),
      'the launcher says it restarts the service and why',
    )
    assert.equal(launcher.child.exitCode, null, 'the launcher keeps running')
    assert.ok(alive(restarted))

    launcher.child.kill('SIGTERM')
    const [code] = await launcher.exited
    assert.equal(code, 0)
    await assertNothingLeft(launcher)
  })

  it('stops everything it started and exits non-zero when a service keeps dying', async (test) => {
    const t = cleanupScope(test)
    const launcher = await startLauncher(t, { LEDGER_START_MAX_RESTARTS: '1' })
    const first = launcher.servicePid('admin')
    assert.ok(first)
    process.kill(first, 'SIGKILL')
    const second = await waitFor(
      async () => {
        if (launcher.child.exitCode !== null) throw new Error('the launcher exited')
        const latest = launcher.servicePid('admin')
        return latest !== undefined && latest !== first && (await healthz(launcher.ports.admin)) && latest
      },
      { timeoutMs: 90_000, intervalMs: 250, description: 'admin restarted once' },
    )
    process.kill(second, 'SIGKILL')
    const [code] = await launcher.exited
    assert.equal(code, 1, 'a non-zero exit says the stack did not survive')
    assert.ok(launcher.lines.some((line) => line.includes('keeps dying')))
    await assertNothingLeft(launcher)
  })
})
