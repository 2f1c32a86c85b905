// The whole local stack for tests and `npm start`: Kafka, Apicurio Registry,
// PostgreSQL and (optionally) Prometheus. Each is taken from its env variable
// when set, reused when something already answers on its port, and started
// otherwise; stop() undoes only what this call started.
import { ensureKafka, startKafkaBroker } from './kafka.mjs'
import { ensurePostgres, startPostgresCluster } from './postgres.mjs'
import {
  DEFAULT_RULE_FILES,
  DEFAULT_TARGETS,
  ensurePrometheus,
  renderConfig,
  startPrometheus,
} from './prometheus.mjs'
import { ensureRegistry } from './registry.mjs'
import { httpStatus, kafkaAnswers, postgresAnswers } from './probes.mjs'
import { setTimeout as sleep } from 'node:timers/promises'
import { exists, listPidfiles, ownedPid, readPidfile, removePidfile, stopPid } from './process.mjs'
import { since, stderrLog } from './progress.mjs'

export {
  startKafkaBroker,
  startPostgresCluster,
  startPrometheus,
  renderConfig,
  DEFAULT_RULE_FILES,
  DEFAULT_TARGETS,
}
export { freeTcpPorts, postgresAnswers } from './probes.mjs'

/**
 * @typedef {object} StackEnv
 * @property {string} KAFKA_BROKERS
 * @property {string} SCHEMA_REGISTRY_URL Confluent-compatible base URL
 * @property {string} DATABASE_URL
 * @property {string} [PROMETHEUS_URL] absent when Prometheus was not asked for or is not installed
 */

/**
 * Makes sure every component runs, starting (in parallel) only what is not
 * already there, and waits until each one answers.
 * @param {{ prometheus?: boolean, log?: (line: string) => void }} [options]
 *   @default prometheus true; log: `[infra] ...` lines on stderr
 * @returns {Promise<{ env: StackEnv, started: string[], stop: () => Promise<void> }>}
 *   started: names of the components this call started; stop() stops exactly those
 */
export async function ensureStack({ prometheus = true, log = stderrLog } = {}) {
  const t0 = Date.now()
  const jobs = {
    kafka: ensureKafka({ log }),
    registry: ensureRegistry({ log }),
    postgres: ensurePostgres({ log }),
    prometheus: prometheus ? ensurePrometheus({ log }) : Promise.resolve(undefined),
  }
  const names = Object.keys(jobs)
  const results = await Promise.allSettled(Object.values(jobs))
  const handles = Object.fromEntries(
    names.map((n, i) => [n, results[i].status === 'fulfilled' ? results[i].value : undefined]),
  )
  const startedNames = names.filter((n) => handles[n]?.started)

  const stop = async () => {
    await Promise.all(
      startedNames.map((n) => handles[n].stop().catch((err) => log(`${n}: stop failed: ${err.message}`))),
    )
  }

  const failures = results.filter((r) => r.status === 'rejected')
  if (failures.length > 0) {
    // Leave nothing half-started behind, then report every failure.
    await stop()
    const error = failures[0].reason
    if (failures.length > 1) {
      error.message += `\n(also failed: ${failures
        .slice(1)
        .map((f) => f.reason?.message?.split('\n')[0])
        .join('; ')})`
    }
    throw error
  }

  /** @type {StackEnv} */
  const env = {
    KAFKA_BROKERS: handles.kafka.brokers,
    SCHEMA_REGISTRY_URL: handles.registry.url,
    DATABASE_URL: handles.postgres.url,
  }
  if (handles.prometheus) env.PROMETHEUS_URL = handles.prometheus.url
  log(`stack ready in ${since(t0)} (started: ${startedNames.join(', ') || 'nothing, all reused'})`)
  return { env, started: startedNames, stop }
}

/**
 * What answers on the default endpoints, and which of them this checkout's
 * run dir owns.
 * @returns {Promise<{ name: string, endpoint: string, up: boolean, pid?: number }[]>}
 */
export async function stackStatus() {
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
  const out = []
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
 * @returns {Promise<string[]>} names of what was stopped
 */
export async function stopAll({ log = stderrLog } = {}) {
  const names = listPidfiles()
  const stopped = []
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
