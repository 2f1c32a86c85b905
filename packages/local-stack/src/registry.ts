// Apicurio Registry 3.0.9 (Quarkus, in-memory H2 storage: nothing survives a
// restart) serving the Confluent-compatible API that
// @kafkajs/confluent-schema-registry speaks, at /apis/ccompat/v7.
import { join } from 'node:path'
import { mkdirSync } from 'node:fs'
import { InfraError } from './errors.js'
import { ensureApicurio } from './fetch-artifacts.js'
import { javaCommand } from './java.js'
import { runDir } from './paths.js'
import type { EnsuredServer } from './ensured.js'
import { httpStatus, tcpOpen } from './probes.js'
import { killPid, ownedPid, readPidfile, removePidfile, startDaemon, stopPid, waitReady } from './process.js'
import { type Log, since, stderrLog } from './progress.js'

const HOST = '127.0.0.1'
const READY_TIMEOUT_MS = 120_000
export const CCOMPAT_PATH = '/apis/ccompat/v7'

/**
 * Settings passed as -D system properties. The Confluent round trip (register
 * an AVRO schema, fetch it by the returned id) works with 3.0.9's defaults;
 * these only pin down what the tests rely on.
 */
const APICURIO_SETTINGS = {
  // ccompat ids are content ids (the default): one schema registered under two
  // subjects gets one id, as with Confluent. true would hand out global ids.
  'apicurio.ccompat.legacy-id-mode.enabled': 'false',
  // Tests clean up subjects, groups and versions between runs.
  'apicurio.rest.deletion.group.enabled': 'true',
  'apicurio.rest.deletion.artifact.enabled': 'true',
  'apicurio.rest.deletion.artifact-version.enabled': 'true',
}

/** Ready means the ccompat API itself answers, not just the HTTP port. */
async function registryAnswers(baseUrl: string): Promise<boolean> {
  return (await httpStatus(`${baseUrl}${CCOMPAT_PATH}/subjects`)) === 200
}

/** A registry started here. */
export interface OwnedRegistry {
  /** The ccompat base, e.g. http://127.0.0.1:8085/apis/ccompat/v7 (SCHEMA_REGISTRY_URL). */
  url: string
  logFile: string
  start(): Promise<void>
  stop(): Promise<void>
  kill(): Promise<void>
}

/** Starts Apicurio Registry on `port` (127.0.0.1 only). */
export async function startRegistry({
  port,
  log = stderrLog,
  name = `registry-${port}`,
}: {
  port: number
  log?: Log
  name?: string
}): Promise<OwnedRegistry> {
  const base = `http://${HOST}:${port}`
  const url = `${base}${CCOMPAT_PATH}`
  const runner = await ensureApicurio({ log })
  const workDir = join(runDir(), name)

  async function start() {
    const pid = ownedPid(name)
    if (pid) {
      if (await registryAnswers(base)) return
      log(`${name}: already starting (pid ${pid}), waiting for ${url}`)
      await waitReady({
        name,
        probe: () => registryAnswers(base),
        timeoutMs: READY_TIMEOUT_MS,
        pid,
        log: readPidfile(name)?.log,
      })
      return
    }
    if (await tcpOpen(HOST, port)) {
      throw new InfraError(
        'PORT_TAKEN',
        `${name}: ${HOST}:${port} is already in use by a process this call did not start; stop it or choose another port (SCHEMA_REGISTRY_PORT)`,
      )
    }
    mkdirSync(workDir, { recursive: true })
    const t0 = Date.now()
    const daemon = await startDaemon({
      name,
      command: javaCommand(),
      args: [
        '-Xmx512m',
        '-XX:+ExitOnOutOfMemoryError',
        '-Djava.awt.headless=true',
        `-Dquarkus.http.port=${port}`,
        `-Dquarkus.http.host=${HOST}`,
        // Marks the command line so the pidfile check knows this JVM is ours.
        `-Dledger.infra.name=${name}`,
        ...Object.entries(APICURIO_SETTINGS).map(([k, v]) => `-D${k}=${v}`),
        '-jar',
        runner,
      ],
      cwd: workDir, // Quarkus may write tmp files next to where it runs
      match: `-Dledger.infra.name=${name} `,
      endpoint: url,
    })
    log(`${name}: started pid ${daemon.pid}, waiting for ${url} (log: ${daemon.log})`)
    await waitReady({ name, probe: () => registryAnswers(base), timeoutMs: READY_TIMEOUT_MS, ...daemon })
    log(`${name}: ready at ${url} in ${since(t0)}`)
    handle.logFile = daemon.log
  }

  async function stop() {
    const pid = ownedPid(name)
    if (pid) {
      const how = await stopPid(pid, { sig: 'SIGTERM', timeoutMs: 15_000 })
      log(`${name}: ${how} (pid ${pid})`)
    }
    removePidfile(name)
  }

  async function kill() {
    const pid = ownedPid(name)
    if (pid) await killPid(pid)
    removePidfile(name)
  }

  const handle: OwnedRegistry = { url, logFile: '', start, stop, kill }
  await start()
  return handle
}

/**
 * The default registry: SCHEMA_REGISTRY_URL when set; else whatever answers
 * the ccompat API on SCHEMA_REGISTRY_PORT (default 8085); else one started here.
 */
export async function ensureRegistry({ log = stderrLog }: { log?: Log } = {}): Promise<EnsuredServer> {
  if (process.env.SCHEMA_REGISTRY_URL) {
    log(`registry: using SCHEMA_REGISTRY_URL=${process.env.SCHEMA_REGISTRY_URL}`)
    return { url: process.env.SCHEMA_REGISTRY_URL, started: false, stop: async () => {} }
  }
  const port = Number(process.env.SCHEMA_REGISTRY_PORT || 8085)
  const base = `http://${HOST}:${port}`
  if (await registryAnswers(base)) {
    const pid = ownedPid('registry')
    log(
      pid
        ? `registry: reusing ${base}${CCOMPAT_PATH} (pid ${pid}, started earlier from this checkout)`
        : `registry: reusing registry already answering at ${base}${CCOMPAT_PATH} (not started by infra)`,
    )
    return { url: `${base}${CCOMPAT_PATH}`, started: false, stop: async () => {} }
  }
  const registry = await startRegistry({ port, log, name: 'registry' })
  return { url: registry.url, started: true, stop: () => registry.stop() }
}
