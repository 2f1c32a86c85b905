// The services as real processes (server.ts, configured by environment, as in production), with
// everything they write captured: each stdout line parsed as a pino JSON log line, and the raw
// stdout and stderr kept for tests that search all of it (secrets in logs).
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import type { CleanupHost } from '@integration-ledger/testing'

export type ServiceName = 'ingest' | 'projector' | 'admin' | 'reconciler'

/** One pino log line as a service wrote it. */
export type LogLine = Record<string, unknown> & { level: number; msg?: string }

export interface ServiceProcess {
  name: ServiceName
  /** `http://127.0.0.1:PORT`, from the service's own "Server listening" line. */
  url: string
  /** Every JSON log line written so far. */
  readonly lines: readonly LogLine[]
  /** Everything written so far to stdout and stderr, JSON or not. */
  output(): string
  /** The process ID, e.g. to read its resource use from outside. */
  pid: number
  /** SIGTERM (graceful close, so the last lines are written), SIGKILL after 15 s. */
  stop(): Promise<void>
  /** SIGKILL, as a crash or the OOM killer would: no close, no leaving the consumer group. */
  kill(): Promise<void>
}

export interface StartServiceOptions {
  logLevel?: 'info' | 'debug'
  /**
   * `all` keeps every line (tests that search the logs); `tail` keeps only the last 64 KiB of
   * output, for runs long enough that every request's log line would pile up in the test's memory
   * (the soak). @default 'all'
   */
  retain?: 'all' | 'tail'
}

const TAIL_CHARS = 64 * 1024

/**
 * Starts `services/<name>/src/server.ts` on an ephemeral port with `env` over this process's
 * environment, waits until it listens, and stops it when the test ends. It logs at `logLevel`
 * whatever `env` says (test environments are silent): the listening line is how the port is learnt.
 */
export async function startService(
  t: CleanupHost,
  name: ServiceName,
  env: Record<string, string>,
  options: StartServiceOptions = {},
): Promise<ServiceProcess> {
  const retainAll = (options.retain ?? 'all') === 'all'
  const child = spawn(
    process.execPath,
    ['--conditions=@integration-ledger/source', '--import', 'tsx', `services/${name}/src/server.ts`],
    {
      env: { ...process.env, ...env, LOG_LEVEL: options.logLevel ?? 'info', PORT: '0', HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  const lines: LogLine[] = []
  const chunks: string[] = []
  let tailChars = 0
  const keep = (chunk: string) => {
    chunks.push(chunk)
    if (retainAll) return
    tailChars += chunk.length
    while (tailChars > TAIL_CHARS && chunks.length > 1) tailChars -= chunks.shift()!.length
  }
  let partial = ''
  let listening: ((url: string) => void) | undefined
  let listened = false
  const listeningAt = new Promise<string>((resolve) => (listening = resolve))
  child.stdout.setEncoding('utf8')
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', keep)
  child.stdout.on('data', (chunk: string) => {
    keep(chunk)
    // Once listening, a `tail` run parses nothing more: its lines are not kept anyway.
    if (listened && !retainAll) return
    const parts = (partial + chunk).split('\n')
    partial = parts.pop() ?? ''
    for (const text of parts) {
      let line: LogLine
      try {
        line = JSON.parse(text) as LogLine
      } catch {
        continue
      }
      if (retainAll) lines.push(line)
      const url = /^Server listening at (http:\/\/127\.0\.0\.1:\d+)$/.exec(String(line.msg ?? ''))?.[1]
      if (url) {
        listened = true
        listening?.(url)
      }
    }
  })
  const exited = once(child, 'exit')
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    await exited
    clearTimeout(timer)
  }
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGKILL')
    await exited
  }
  t.after(stop)
  const output = () => chunks.join('')
  const url = await Promise.race([
    listeningAt,
    exited.then(() => {
      throw new Error(`${name} exited before listening:\n${output()}`)
    }),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${name} did not listen within 60 s:\n${output()}`)), 60_000).unref(),
    ),
  ])
  return { name, url, pid: child.pid!, lines, output, stop, kill }
}

/** Lines of `service` whose fields include `field` = `value`. */
export function linesWith(service: ServiceProcess, field: string, value: string): LogLine[] {
  return service.lines.filter((line) => line[field] === value)
}
