// Long-running servers as detached processes: own process group (so Ctrl-C in
// the terminal does not reach them and `up` decides what to stop), output
// appended to a log file, and a pidfile in the run dir so `down` and a later
// run can find them again after this Node process is gone.
import { execFile, spawn } from 'node:child_process'
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { InfraError } from './errors.js'
import { logFile, runDir } from './paths.js'

/** True when `pid` names a live process (zombies count as dead). */
export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false
  try {
    process.kill(pid, 0)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  // kill(0) succeeds on a zombie until its parent reaps it.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return true // no /proc: trust kill(0)
  }
}

/**
 * True while `pid` exists at all, zombie included. A server killed here is
 * reparented to PID 1 and stays a zombie until PID 1 reaps it; PostgreSQL's
 * lock-file check counts a zombie as a running postmaster.
 */
export function exists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Command line of `pid`, space separated, or '' when unknown. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ')
  } catch {
    return ''
  }
}

/** What a pidfile records about a started server. */
export interface PidInfo {
  pid: number
  /** Signal that asks for a clean stop. */
  signal: NodeJS.Signals
  /** Send signals to the whole process group. */
  group: boolean
  /** Text the process command line must contain; guards against a recycled pid after a reboot. */
  match?: string | undefined
  /** Log file of the process. */
  log?: string | undefined
  /** What it serves, for `status`. */
  endpoint?: string | undefined
}

function pidfilePath(name: string): string {
  return join(runDir(), `${name}.pid`)
}

/** Records a started process (JSON, one object) as `<run dir>/<name>.pid`. */
export function writePidfile(name: string, info: PidInfo): void {
  mkdirSync(runDir(), { recursive: true })
  writeFileSync(pidfilePath(name), `${JSON.stringify(info)}\n`)
}

export function readPidfile(name: string): PidInfo | undefined {
  try {
    return JSON.parse(readFileSync(pidfilePath(name), 'utf8')) as PidInfo
  } catch {
    return undefined
  }
}

export function removePidfile(name: string): void {
  rmSync(pidfilePath(name), { force: true })
}

/** Names of all pidfiles in the run dir. */
export function listPidfiles(): string[] {
  try {
    return readdirSync(runDir())
      .filter((f) => f.endsWith('.pid'))
      .map((f) => f.slice(0, -4))
  } catch {
    return []
  }
}

/** The pid from `name`'s pidfile if that process is still the one we started. */
export function ownedPid(name: string): number | undefined {
  const info = readPidfile(name)
  if (!info || !isAlive(info.pid)) return undefined
  if (info.match && !commandLine(info.pid).includes(info.match)) return undefined
  return info.pid
}

/** Last `lines` lines of a log file, for error messages. */
export function tailFile(file: string, lines = 25): string {
  try {
    const text = readFileSync(file, 'utf8')
    return text
      .slice(-16384)
      .split('\n')
      .slice(-lines - 1)
      .join('\n')
      .trimEnd()
  } catch {
    return '(no log yet)'
  }
}

/** How a daemon exited, filled in when it does. */
export interface ExitInfo {
  code?: number | null
  signal?: string | null
}

/** A server started by `startDaemon`. */
export interface Daemon {
  pid: number
  log: string
  exit: ExitInfo
}

/**
 * Starts a server detached, output appended to `<run dir>/logs/<name>.log`,
 * and writes its pidfile.
 */
export async function startDaemon({
  name,
  command,
  args,
  env,
  cwd,
  signal = 'SIGTERM',
  match,
  endpoint,
}: {
  name: string
  command: string
  args: string[]
  env?: NodeJS.ProcessEnv
  cwd?: string
  signal?: NodeJS.Signals
  match?: string
  endpoint?: string
}): Promise<Daemon> {
  const log = logFile(name)
  mkdirSync(dirname(log), { recursive: true })
  const fd = openSync(log, 'a')
  writeSync(fd, `\n===== ${new Date().toISOString()} starting: ${command} ${args.join(' ')}\n`)
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', fd, fd],
  })
  closeSync(fd)
  const exit: ExitInfo = {}
  child.on('exit', (code, sig) => Object.assign(exit, { code, signal: sig }))
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve))
  child.unref()
  if (!child.pid) {
    const err = await spawnError
    throw new InfraError('START_FAILED', `${name}: could not run ${command}: ${err.message}`, {
      cause: err,
      logFile: log,
    })
  }
  writePidfile(name, { pid: child.pid, signal, group: true, match, log, endpoint })
  return { pid: child.pid, log, exit }
}

/**
 * Polls `probe` until it returns true. Fails early, naming the log and quoting
 * its last lines, when the process dies first or `timeoutMs` passes.
 */
export async function waitReady({
  name,
  probe,
  timeoutMs,
  pid,
  exit,
  log,
  intervalMs = 250,
}: {
  name: string
  probe: () => Promise<boolean>
  timeoutMs: number
  pid?: number | undefined
  exit?: ExitInfo | undefined
  log?: string | undefined
  intervalMs?: number
}): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await probe()) return
    const tail = log ? `\n--- last lines of ${log} ---\n${tailFile(log)}\n---` : ''
    if (pid && !isAlive(pid)) {
      const how = exit?.signal ? `signal ${exit.signal}` : `exit code ${exit?.code ?? 'unknown'}`
      throw new InfraError(
        'START_FAILED',
        `${name} exited before it was ready (${how}); see ${log ?? '?'}${tail}`,
        {
          logFile: log,
        },
      )
    }
    if (Date.now() > deadline) {
      throw new InfraError(
        'READY_TIMEOUT',
        `${name} was not ready after ${timeoutMs / 1000}s; see ${log ?? '?'}${tail}`,
        { logFile: log },
      )
    }
    await sleep(intervalMs)
  }
}

function signal(pid: number, sig: NodeJS.Signals, group: boolean): void {
  try {
    process.kill(group ? -pid : pid, sig)
  } catch {
    try {
      process.kill(pid, sig)
    } catch {
      /* already gone */
    }
  }
}

/** Waits up to `timeoutMs` for `pid` to exit; true when it did. */
export async function waitExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false
    await sleep(100)
  }
  return true
}

/**
 * Asks `pid` to stop with `sig`; SIGKILL after `timeoutMs`.
 */
export async function stopPid(
  pid: number,
  {
    sig = 'SIGTERM',
    group = true,
    timeoutMs = 20000,
  }: { sig?: NodeJS.Signals; group?: boolean; timeoutMs?: number } = {},
): Promise<'not-running' | 'stopped' | 'killed'> {
  if (!isAlive(pid)) return 'not-running'
  signal(pid, sig, group)
  if (await waitExit(pid, timeoutMs)) return 'stopped'
  signal(pid, 'SIGKILL', group)
  await waitExit(pid, 5000)
  return 'killed'
}

/** SIGKILL at once (the "crash" of fault tests). */
export async function killPid(pid: number, { group = true }: { group?: boolean } = {}): Promise<void> {
  if (!isAlive(pid)) return
  signal(pid, 'SIGKILL', group)
  await waitExit(pid, 5000)
}

/**
 * Runs a short command to completion; never throws for a non-zero exit.
 */
export function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { maxBuffer: 16 << 20, ...options }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 127) : 0
      resolve({
        code,
        stdout: String(stdout ?? ''),
        stderr: String(stderr ?? '') || (err && code === 127 ? err.message : ''),
      })
    })
  })
}

/** Absolute path of `command` on PATH, or undefined. */
export async function which(command: string): Promise<string | undefined> {
  const { code, stdout } = await run('sh', ['-c', `command -v "$1"`, 'sh', command])
  return code === 0 ? stdout.trim() : undefined
}
