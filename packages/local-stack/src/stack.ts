// The whole local stack for tests and `npm start`: Kafka, Apicurio Registry,
// PostgreSQL and (optionally) Prometheus. Each is taken from its env variable
// when set, reused when something already answers on its port, and started
// otherwise; stop() undoes only what this call started.
import { setTimeout as sleep } from 'node:timers/promises'
import type { EnsuredServer } from './ensured.js'
import { ensureKafka, kafkaNodeCount } from './kafka.js'
import { ensurePostgres } from './postgres.js'
import { ensurePrometheus } from './prometheus.js'
import { ensureRegistry } from './registry.js'
import { httpStatus, kafkaAnswers, postgresAnswers } from './probes.js'
import { exists, listPidfiles, ownedPid, readPidfile, removePidfile, stopPid } from './process.js'
import { type Log, since, stderrLog } from './progress.js'
import type { StackEnv } from './stack-env.js'

/** The stack `ensureStack()` brought up. */
export interface Stack {
  env: StackEnv
  /** Names of the components this call started; `stop()` stops exactly those. */
  started: string[]
  stop(): Promise<void>
}

/**
 * Makes sure every component runs, starting (in parallel) only what is not
 * already there, and waits until each one answers.
 * @param options.prometheus @default true
 * @param options.log @default `[infra] ...` lines on stderr
 */
export async function ensureStack({
  prometheus = true,
  log = stderrLog,
}: { prometheus?: boolean; log?: Log } = {}): Promise<Stack> {
  const t0 = Date.now()
  const nodes = kafkaNodeCount()
  const jobs: Record<string, Promise<EnsuredServer | undefined>> = {
    kafka: ensureKafka({ log }),
    registry: ensureRegistry({ log }),
    postgres: ensurePostgres({ log }),
    prometheus: prometheus ? ensurePrometheus({ log }) : Promise.resolve(undefined),
  }
  const names = Object.keys(jobs)
  const results = await Promise.allSettled(Object.values(jobs))
  const handles = new Map<string, EnsuredServer>()
  results.forEach((r, i) => {
    if (r.status === 'fulfilled' && r.value) handles.set(names[i] as string, r.value)
  })
  const startedNames = names.filter((n) => handles.get(n)?.started)

  const stop = async () => {
    await Promise.all(
      [...handles]
        .filter(([, handle]) => handle.started)
        .map(([n, handle]) => handle.stop().catch((err: Error) => log(`${n}: stop failed: ${err.message}`))),
    )
  }

  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
  const first = failures[0]
  if (first) {
    // Leave nothing half-started behind, then report every failure.
    await stop()
    const error = first.reason instanceof Error ? first.reason : new Error(String(first.reason))
    if (failures.length > 1) {
      error.message += `\n(also failed: ${failures
        .slice(1)
        .map((f) => (f.reason instanceof Error ? f.reason.message : String(f.reason)).split('\n')[0])
        .join('; ')})`
    }
    throw error
  }

  const url = (name: string) => handles.get(name)?.url as string
  const env: StackEnv = {
    kafkaBrokers: url('kafka').split(','),
    schemaRegistryUrl: url('registry'),
    databaseUrl: url('postgres'),
    prometheusUrl: handles.get('prometheus')?.url,
    // Every ledger topic on every node of a cluster (declareTopology() sets min ISR 2 for it),
    // unless the caller says otherwise (an external cluster).
    kafkaReplicationFactor: Number(process.env.KAFKA_REPLICATION_FACTOR || nodes),
  }
  log(`stack ready in ${since(t0)} (started: ${startedNames.join(', ') || 'nothing, all reused'})`)
  return { env, started: startedNames, stop }
}

/** One component in `stack status`. */
export interface StatusRow {
  name: string
  endpoint: string
  up: boolean
  pid: number | undefined
}

/**
 * What answers on the default endpoints, and which of them this checkout's
 * run dir owns.
 */
export async function stackStatus(): Promise<StatusRow[]> {
  const kafkaPort = Number(process.env.KAFKA_PORT || 9092)
  const registryPort = Number(process.env.SCHEMA_REGISTRY_PORT || 8085)
  const pgPort = Number(process.env.POSTGRES_PORT || 5432)
  const promPort = Number(process.env.PROMETHEUS_PORT || 9090)
  const rows = [
    { name: 'kafka', endpoint: `127.0.0.1:${kafkaPort}`, up: kafkaAnswers('127.0.0.1', kafkaPort) },
    {
      name: 'registry',
      endpoint: `http://127.0.0.1:${registryPort}/apis/ccompat/v7`,
      up: httpStatus(`http://127.0.0.1:${registryPort}/apis/ccompat/v7/subjects`).then((s) => s === 200),
    },
    { name: 'postgres', endpoint: `127.0.0.1:${pgPort}`, up: postgresAnswers('127.0.0.1', pgPort) },
    {
      name: 'prometheus',
      endpoint: `http://127.0.0.1:${promPort}`,
      up: httpStatus(`http://127.0.0.1:${promPort}/-/ready`).then((s) => s === 200),
    },
  ]
  const out: StatusRow[] = []
  for (const row of rows) out.push({ ...row, up: await row.up, pid: ownedPid(row.name) })
  // Fault-test instances (kafka-19092, postgres-55432, ...) left running.
  for (const name of listPidfiles()) {
    if (rows.some((r) => r.name === name)) continue
    const info = readPidfile(name)
    out.push({ name, endpoint: info?.endpoint ?? '?', up: ownedPid(name) !== undefined, pid: ownedPid(name) })
  }
  return out
}

/**
 * Stops everything the run dir has a pidfile for (the default stack and any
 * fault-test instance): each pidfile's own stop signal, SIGKILL after 30 s.
 * @returns names of what was stopped
 */
export async function stopAll({ log = stderrLog }: { log?: Log } = {}): Promise<string[]> {
  const names = listPidfiles()
  const stopped: string[] = []
  await Promise.all(
    names.map(async (name) => {
      const info = readPidfile(name)
      const pid = ownedPid(name)
      if (info && pid) {
        const t0 = Date.now()
        const how = await stopPid(pid, {
          sig: info.signal ?? 'SIGTERM',
          group: info.group ?? true,
          timeoutMs: 30_000,
        })
        // The process was reparented to PID 1; give it a moment to reap the
        // zombie so `pgrep` right after `down` shows nothing left.
        const deadline = Date.now() + 2000
        while (exists(pid) && Date.now() < deadline) await sleep(50)
        log(`${name}: ${how} (pid ${pid}) in ${since(t0)}`)
        stopped.push(name)
      } else {
        log(`${name}: not running (stale pidfile removed)`)
      }
      removePidfile(name)
    }),
  )
  return stopped
}
