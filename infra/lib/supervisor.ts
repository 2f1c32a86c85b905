// The services of `npm start` as child processes, kept running: a service that exits without
// being asked to (a crash, SIGKILL, the OOM killer) is restarted after a backoff with jitter and
// the log says so; one that keeps dying makes the supervisor give up, so that the launcher stops
// everything it started instead of leaving half a stack behind. stop() ends every child.
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { setImmediate } from 'node:timers'
import { setTimeout as sleep } from 'node:timers/promises'
import { httpStatus } from '@integration-ledger/local-stack'

/** A service the supervisor runs. */
export interface ServiceSpec {
  name: string
  /** HTTP port (`PORT` of the child); /healthz and /readyz are probed there. */
  port: number
  /** node arguments, e.g. `['services/ingest/dist/server.js']`. */
  args: string[]
}

/** When a service that died is started again, and when the supervisor gives up. */
export interface RestartPolicy {
  /** Restarts of one service allowed within `windowMs`; one more and the supervisor gives up. */
  maxRestarts: number
  windowMs: number
  /** First wait before a restart; doubles per recent restart. */
  initialDelayMs: number
  maxDelayMs: number
}

export interface SupervisorOptions {
  services: ServiceSpec[]
  env: NodeJS.ProcessEnv
  cwd: string
  log: (line: string) => void
  /** Each line a service writes (stdout and stderr). */
  onLine: (service: string, line: string) => void
  /** A service kept dying: the caller should stop everything and exit non-zero. */
  onGiveUp: (reason: string) => void
  restart?: Partial<RestartPolicy>
}

interface ServiceEntry {
  spec: ServiceSpec
  child?: ChildProcess
  exited?: Promise<void>
  restarts: number[]
  timer?: NodeJS.Timeout
  ready?: boolean
}

export const RESTART_DEFAULTS: RestartPolicy = {
  maxRestarts: 5,
  windowMs: 10 * 60_000,
  initialDelayMs: 1000,
  maxDelayMs: 30_000,
}

/** Longest wait for a service to answer after a (re)start, and for it to exit after SIGTERM. */
const READY_TIMEOUT_MS = 60_000
const STOP_TIMEOUT_MS = 20_000

/** Exponential delay for the n-th recent restart (1-based), with jitter: 50-100 % of it. */
export function restartDelayMs(
  n: number,
  { initialDelayMs, maxDelayMs }: Pick<RestartPolicy, 'initialDelayMs' | 'maxDelayMs'>,
): number {
  const base = Math.min(maxDelayMs, initialDelayMs * 2 ** (n - 1))
  return Math.round(base * (0.5 + Math.random() / 2))
}

export class Supervisor {
  private readonly options: SupervisorOptions
  private readonly policy: RestartPolicy
  private readonly services: Map<string, ServiceEntry>
  private stopping = false

  constructor(options: SupervisorOptions) {
    this.options = options
    this.policy = { ...RESTART_DEFAULTS, ...options.restart }
    this.services = new Map(options.services.map((spec) => [spec.name, { spec, restarts: [] }]))
  }

  /** Starts the services in order, each once the previous one is ready; throws when one is not. */
  async start(): Promise<void> {
    for (const entry of this.services.values()) {
      if (this.stopping) throw new Error('stopped before every service was started')
      const child = this.#spawn(entry)
      this.options.log(`${entry.spec.name}: started (pid ${child.pid})`)
      await this.#waitAnswering(entry, child, '/readyz')
      entry.ready = true
    }
  }

  /** Pids of the running children, by service name. */
  pids(): Record<string, number> {
    const pids: Record<string, number> = {}
    for (const [name, entry] of this.services) if (entry.child?.pid) pids[name] = entry.child.pid
    return pids
  }

  /** Cancels pending restarts, asks every child to stop (SIGTERM, SIGKILL after 20 s), waits for all. */
  async stop(): Promise<void> {
    this.stopping = true
    await Promise.all(
      [...this.services.values()].map(async (entry) => {
        clearTimeout(entry.timer)
        const { child, exited } = entry
        if (!child || !exited || isDone(child)) return
        child.kill('SIGTERM')
        const timer = setTimeout(() => {
          this.options.log(
            `${entry.spec.name}: still running ${STOP_TIMEOUT_MS / 1000} s after SIGTERM; killing it`,
          )
          child.kill('SIGKILL')
        }, STOP_TIMEOUT_MS)
        await exited
        clearTimeout(timer)
      }),
    )
  }

  #spawn(entry: ServiceEntry): ChildProcess {
    const { spec } = entry
    const child = spawn(process.execPath, spec.args, {
      cwd: this.options.cwd,
      env: { ...this.options.env, PORT: String(spec.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => this.options.onLine(spec.name, line))
    }
    entry.child = child
    entry.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        resolve()
        // Deferred: when Ctrl-C reached the launcher and the service together, the launcher's own
        // handler has set `stopping` by then, and an asked-for exit is not a crash.
        setImmediate(() => this.#exited(entry, child, code, signal))
      })
    })
    child.once('error', (err) => this.options.log(`${spec.name}: could not run: ${err.message}`))
    return child
  }

  #exited(
    entry: ServiceEntry,
    child: ChildProcess,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): void {
    // Before its first readiness, start() reports the exit and the launcher gives up.
    if (this.stopping || entry.child !== child || !entry.ready) return
    const { name } = entry.spec
    const how = signal ? `killed by ${signal}` : `exited with code ${code}`
    const now = Date.now()
    entry.restarts = entry.restarts.filter((t) => now - t < this.policy.windowMs)
    if (entry.restarts.length >= this.policy.maxRestarts) {
      this.options.onGiveUp(
        `${name} ${how} after ${entry.restarts.length} restarts within ${Math.round(this.policy.windowMs / 1000)} s; ` +
          'it keeps dying, so everything this launcher started is stopped (see its log lines above)',
      )
      return
    }
    entry.restarts.push(now)
    const delay = restartDelayMs(entry.restarts.length, this.policy)
    this.options.log(
      `${name} ${how}; restarting it in ${(delay / 1000).toFixed(1)} s ` +
        `(restart ${entry.restarts.length} of ${this.policy.maxRestarts} allowed within ${Math.round(this.policy.windowMs / 1000)} s)`,
    )
    entry.timer = setTimeout(() => {
      if (this.stopping) return
      const next = this.#spawn(entry)
      this.options.log(`${name}: restarted (pid ${next.pid})`)
      this.#waitAnswering(entry, next, '/healthz').then(
        () => this.options.log(`${name}: answering again on :${entry.spec.port}`),
        (err: Error) => this.options.log(err.message),
      )
    }, delay)
  }

  /** Polls `path` until it answers 200; throws when the child exits first or time runs out. */
  async #waitAnswering(entry: ServiceEntry, child: ChildProcess, path: string): Promise<void> {
    const { name, port } = entry.spec
    const deadline = Date.now() + READY_TIMEOUT_MS
    while (Date.now() < deadline) {
      if (isDone(child)) {
        const how = child.signalCode
          ? `was killed by ${child.signalCode}`
          : `exited with code ${String(child.exitCode)}`
        throw new Error(`${name} ${how} before answering on :${port} (see its log above)`)
      }
      if ((await httpStatus(`http://127.0.0.1:${port}${path}`, 1000)) === 200) return
      await sleep(250)
    }
    throw new Error(`${name} did not answer ${path} on :${port} within ${READY_TIMEOUT_MS / 1000} s`)
  }
}

/** True once the child has exited, by a code or by a signal (exitCode alone stays null for a signal). */
function isDone(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null
}
