// Prometheus from the machine (Debian's /usr/bin/prometheus); infra does not
// download it. The config is rendered into the run dir from
// infra/prometheus/prometheus.yml with the caller's scrape targets.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { InfraError } from './errors.js'
import { infraDir, runDir, throwawayDir } from './paths.js'
import { freeTcpPorts, httpStatus, tcpOpen } from './probes.js'
import { killPid, ownedPid, removePidfile, startDaemon, stopPid, waitReady, which } from './process.js'
import { type Log, since, stderrLog } from './progress.js'
import type { EnsuredServer } from './ensured.js'

const HOST = '127.0.0.1'

/** A job Prometheus scrapes. */
export interface ScrapeTarget {
  job: string
  address: string
}

/** Services of this repo and the ports they serve /metrics on. */
export const DEFAULT_TARGETS: ScrapeTarget[] = [
  { job: 'ingest', address: '127.0.0.1:8080' },
  { job: 'admin', address: '127.0.0.1:8081' },
  { job: 'projector', address: '127.0.0.1:8082' },
  { job: 'reconciler', address: '127.0.0.1:8083' },
]

/** The alert and recording rules `npm start` and `npm test` load: infra/prometheus/rules/*.yml. */
export const DEFAULT_RULE_FILES: string[] = [join(infraDir, 'prometheus', 'rules', '*.yml')]

/** What the rendered prometheus.yml evaluates and how often. */
export interface PrometheusConfigOptions {
  /** Rule files (absolute paths or globs: the config is written into the run dir). @default DEFAULT_RULE_FILES */
  ruleFiles?: string[] | undefined
  /** Prometheus duration (`1s`) replacing the template's 5s. */
  scrapeInterval?: string | undefined
  /** Prometheus duration (`1s`) replacing the template's 5s. */
  evaluationInterval?: string | undefined
}

/**
 * The template's global section (with the intervals given, if any), the rule files, and one
 * scrape job per target.
 */
export function renderConfig(targets: ScrapeTarget[], options: PrometheusConfigOptions = {}): string {
  const { ruleFiles = DEFAULT_RULE_FILES, scrapeInterval, evaluationInterval } = options
  const template = readFileSync(join(infraDir, 'prometheus', 'prometheus.yml'), 'utf8')
  let head = template.slice(0, template.search(/^scrape_configs:/m))
  if (scrapeInterval) head = head.replace(/^(\s+scrape_interval:).*$/m, `$1 ${scrapeInterval}`)
  if (evaluationInterval) head = head.replace(/^(\s+evaluation_interval:).*$/m, `$1 ${evaluationInterval}`)
  const rules = ruleFiles.length
    ? `rule_files:\n${ruleFiles.map((f) => `  - ${JSON.stringify(f)}`).join('\n')}\n\n`
    : ''
  const jobs = targets.map(({ job, address }) =>
    [
      `  - job_name: ${JSON.stringify(job)}`,
      '    metrics_path: /metrics',
      '    static_configs:',
      `      - targets: [${JSON.stringify(address)}]`,
    ].join('\n'),
  )
  return `${head}${rules}scrape_configs:\n${jobs.join('\n')}\n`
}

/** $PROMETHEUS_BIN, else prometheus on PATH, else /usr/bin/prometheus; undefined when none. */
export async function findPrometheus(): Promise<string | undefined> {
  if (process.env.PROMETHEUS_BIN) return process.env.PROMETHEUS_BIN
  return (
    (await which('prometheus')) ?? (existsSync('/usr/bin/prometheus') ? '/usr/bin/prometheus' : undefined)
  )
}

/** A Prometheus started here. */
export interface OwnedPrometheus {
  url: string
  logFile: string
  stop(): Promise<void>
  kill(): Promise<void>
}

/** Where and how `startPrometheus` runs Prometheus. */
export interface PrometheusOptions extends PrometheusConfigOptions {
  /** @default DEFAULT_TARGETS */
  targets?: ScrapeTarget[]
  /** Required unless `throwaway`. */
  port?: number
  /** A free port unless given, and a fresh directory under the system's temp dir that `kill()` deletes. */
  throwaway?: boolean
  /** @default `prometheus-<port>` */
  name?: string
  log?: Log
}

/**
 * Starts Prometheus on 127.0.0.1:`port` scraping `targets` every 5 s and evaluating the rule
 * files every 5 s. Throws InfraError MISSING_TOOL when Prometheus is not installed.
 */
export async function startPrometheus(options: PrometheusOptions): Promise<OwnedPrometheus> {
  const { targets = DEFAULT_TARGETS, log = stderrLog, throwaway = false } = options
  const requested = options.port ?? (throwaway ? (await freeTcpPorts(1))[0] : undefined)
  if (requested === undefined || !Number.isInteger(requested))
    throw new TypeError(`startPrometheus: port must be an integer, got ${requested}`)
  const port = requested
  const name = options.name ?? `prometheus-${port}`
  const binary = await findPrometheus()
  if (!binary) {
    throw new InfraError(
      'MISSING_TOOL',
      'prometheus: not installed (apt-get install prometheus, or set PROMETHEUS_BIN)',
    )
  }
  const url = `http://${HOST}:${port}`
  const ready = async () => (await httpStatus(`${url}/-/ready`)) === 200
  const dir = throwaway ? throwawayDir(name) : join(runDir(), name)
  const configFile = join(dir, 'prometheus.yml')

  const leftOver = ownedPid(name)
  if (leftOver) {
    // Left by an earlier run: restart it so it scrapes the targets asked for now.
    await stopPid(leftOver, { timeoutMs: 10_000 })
    removePidfile(name)
  }
  if (await tcpOpen(HOST, port)) {
    throw new InfraError(
      'PORT_TAKEN',
      `${name}: ${HOST}:${port} is already in use by a process this call did not start; stop it or choose another port (PROMETHEUS_PORT)`,
    )
  }
  mkdirSync(join(dir, 'data'), { recursive: true })
  const { ruleFiles, scrapeInterval, evaluationInterval } = options
  writeFileSync(configFile, renderConfig(targets, { ruleFiles, scrapeInterval, evaluationInterval }))
  const t0 = Date.now()
  const daemon = await startDaemon({
    name,
    command: binary,
    args: [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      '--storage.tsdb.retention.time=1d',
      `--web.listen-address=${HOST}:${port}`,
      // POST /-/reload picks up edited rule files (docs/runbook.md) without a restart.
      '--web.enable-lifecycle',
    ],
    match: configFile,
    endpoint: url,
  })
  log(`${name}: started pid ${daemon.pid}, waiting for ${url}/-/ready (log: ${daemon.log})`)
  await waitReady({ name, probe: ready, timeoutMs: 60_000, ...daemon })
  log(
    `${name}: ready at ${url} in ${since(t0)}, scraping ${targets.map((t) => `${t.job}=${t.address}`).join(' ')}`,
  )

  const stop = async () => {
    const pid = ownedPid(name)
    if (pid) {
      const how = await stopPid(pid, { timeoutMs: 10_000 })
      log(`${name}: ${how} (pid ${pid})`)
    }
    removePidfile(name)
  }
  const kill = async () => {
    const pid = ownedPid(name)
    if (pid) await killPid(pid)
    removePidfile(name)
    if (throwaway) rmSync(dir, { recursive: true, force: true })
  }
  return { url, logFile: daemon.log, stop, kill }
}

/**
 * The default Prometheus: PROMETHEUS_URL when set; else whatever answers
 * /-/ready on PROMETHEUS_PORT (default 9090); else one started here; when
 * Prometheus is not installed, says so and resolves undefined.
 */
export async function ensurePrometheus({
  log = stderrLog,
  targets = DEFAULT_TARGETS,
}: { log?: Log; targets?: ScrapeTarget[] } = {}): Promise<EnsuredServer | undefined> {
  if (process.env.PROMETHEUS_URL) {
    log(`prometheus: using PROMETHEUS_URL=${process.env.PROMETHEUS_URL}`)
    return { url: process.env.PROMETHEUS_URL, started: false, stop: async () => {} }
  }
  const port = Number(process.env.PROMETHEUS_PORT || 9090)
  const url = `http://${HOST}:${port}`
  if ((await httpStatus(`${url}/-/ready`)) === 200) {
    const pid = ownedPid('prometheus')
    log(
      pid
        ? `prometheus: reusing ${url} (pid ${pid}, started earlier from this checkout)`
        : `prometheus: reusing Prometheus already answering at ${url} (not started by infra; its scrape targets are its own)`,
    )
    return { url, started: false, stop: async () => {} }
  }
  if (!(await findPrometheus())) {
    log('prometheus: not installed (apt-get install prometheus), continuing without it')
    return undefined
  }
  const prom = await startPrometheus({ targets, port, log, name: 'prometheus' })
  return { url: prom.url, started: true, stop: () => prom.stop() }
}
