// CPU time of the processes a benchmark measures, from /proc (Linux). On a shared two-core machine
// CPU per record says more than a rate: other work barely changes it, while it delays everything.
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import type pg from 'pg'

/** USER_HZ: 100 on every Linux this runs on (`getconf CLK_TCK`). */
const CLOCK_TICKS_PER_SECOND = 100

/** The application_name of a benchmark's own connections, which `backendPids` leaves out. */
export const BENCH_APPLICATION = 'ledger-bench'

/** utime + stime of a /proc stat file in seconds; undefined when it is gone (the process exited). */
function statCpuSeconds(path: string): number | undefined {
  try {
    const stat = readFileSync(path, 'utf8')
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / CLOCK_TICKS_PER_SECOND
  } catch {
    return undefined
  }
}

/** CPU seconds (user + system, all threads) each pid used so far; a pid that is gone is left out. */
export function cpuSecondsEach(pids: readonly number[]): Map<number, number> {
  const out = new Map<number, number>()
  for (const pid of pids) {
    const seconds = statCpuSeconds(`/proc/${pid}/stat`)
    if (seconds !== undefined) out.set(pid, seconds)
  }
  return out
}

/** CPU seconds (user + system, all threads) a process used so far; NaN when it is gone. */
export function processCpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`) ?? Number.NaN
}

/**
 * CPU seconds so far of a Node process's main thread (its event loop; thread ID = pid), without
 * V8's GC helpers and libuv's pool: one thread cannot use more than one core, whatever the machine
 * has left. NaN when the process is gone.
 */
export function eventLoopCpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/task/${pid}/stat`) ?? Number.NaN
}

/** CPU seconds used between two readings of `cpuSecondsEach`; a process that started in between counts from 0. */
export function cpuSecondsBetween(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0
  for (const [pid, seconds] of after) sum += seconds - (before.get(pid) ?? 0)
  return sum
}

/**
 * The PostgreSQL server processes connected to the pool's database, but the benchmark's own
 * (application_name `BENCH_APPLICATION`) and the one asking.
 */
export async function backendPids(pool: pg.Pool): Promise<number[]> {
  const { rows } = await pool.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name <> $1`,
    [BENCH_APPLICATION],
  )
  return rows.map((r) => r.pid)
}

/** The pid of the process listening on a loopback TCP port (the Kafka broker, say), from `ss`. */
async function listenerPid(port: number): Promise<number | undefined> {
  const { stdout } = await promisify(execFile)('ss', ['-Hltnp', `sport = :${port}`]).catch(() => ({
    stdout: '',
  }))
  const pid = /pid=(\d+)/.exec(stdout)?.[1]
  return pid === undefined ? undefined : Number(pid)
}

/** The Kafka broker's pid: the process listening on the first broker's port. */
export async function kafkaBrokerPid(brokers: readonly string[]): Promise<number | undefined> {
  return brokers[0] === undefined ? undefined : listenerPid(Number(new URL(`kafka://${brokers[0]}`).port))
}

/** CPU seconds so far of named processes, and of each PostgreSQL backend of the pool's database. */
export interface CpuSnapshot {
  processes: Record<string, number>
  postgres: Map<number, number>
}

/**
 * Reads a snapshot: `processes` names pids (an unknown pid reads as NaN), `eventLoops` names Node
 * processes whose event loop is read on its own (`eventLoopCpuSeconds`).
 */
export async function cpuSnapshot(
  processes: Record<string, number | undefined>,
  pool: pg.Pool,
  eventLoops: Record<string, number | undefined> = {},
): Promise<CpuSnapshot> {
  const read = (entries: Record<string, number | undefined>, seconds: (pid: number) => number) =>
    Object.entries(entries).map(([name, pid]): [string, number] => [
      name,
      pid === undefined ? Number.NaN : seconds(pid),
    ])
  return {
    processes: Object.fromEntries([
      ...read(processes, processCpuSeconds),
      ...read(eventLoops, eventLoopCpuSeconds),
    ]),
    postgres: cpuSecondsEach(await backendPids(pool)),
  }
}

/** CPU milliseconds per unit of work (`count` events, requests …) between two snapshots, by name. */
export function cpuMsPer(before: CpuSnapshot, after: CpuSnapshot, count: number): Record<string, number> {
  const per = (seconds: number) => (seconds * 1000) / Math.max(1, count)
  return {
    ...Object.fromEntries(
      Object.entries(after.processes).map(([name, seconds]) => [
        name,
        per(seconds - (before.processes[name] ?? 0)),
      ]),
    ),
    postgres: per(cpuSecondsBetween(before.postgres, after.postgres)),
  }
}
