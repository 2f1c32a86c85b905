// Types for TypeScript callers (tests, benchmarks) of the plain-JS infra modules.

export interface StackEnv {
  KAFKA_BROKERS: string
  SCHEMA_REGISTRY_URL: string
  DATABASE_URL: string
  PROMETHEUS_URL?: string
}

export function ensureStack(options?: {
  prometheus?: boolean
  log?: (line: string) => void
}): Promise<{ env: StackEnv; started: string[]; stop(): Promise<void> }>

/** A broker a test owns (fault tests stop and restart it); same ports and data across restarts. */
export interface OwnedKafkaBroker {
  brokers: string
  logFile: string
  start(): Promise<void>
  stop(): Promise<void>
  kill(): Promise<void>
}

export function startKafkaBroker(options: {
  /** Required unless `throwaway`. */
  port?: number
  /** Required unless `throwaway`. */
  controllerPort?: number
  dataDir?: string
  /** Free ports unless given, and a fresh directory under the system's temp dir that `kill()` deletes. */
  throwaway?: boolean
  name?: string
  log?: (line: string) => void
}): Promise<OwnedKafkaBroker>

/** A PostgreSQL cluster a test owns, so an outage test never stops the machine's shared server. */
export interface OwnedPostgresCluster {
  url: string
  port: number
  dataDir: string
  logFile: string
  start(): Promise<void>
  stop(): Promise<void>
  kill(): Promise<void>
}

export function startPostgresCluster(options: {
  /** Required unless `throwaway`. */
  port?: number
  /** A free port unless given, and a fresh directory under the system's temp dir that `kill()` deletes. */
  throwaway?: boolean
  name?: string
  dataDir?: string
  database?: string
  log?: (line: string) => void
}): Promise<OwnedPostgresCluster>

export interface ScrapeTarget {
  job: string
  address: string
}

export const DEFAULT_TARGETS: ScrapeTarget[]

/** infra/prometheus/rules/*.yml (absolute): the rules `npm start` and `npm test` load. */
export const DEFAULT_RULE_FILES: string[]

export interface PrometheusConfigOptions {
  /** Rule files (absolute paths or globs). @default DEFAULT_RULE_FILES */
  ruleFiles?: string[]
  /** Prometheus duration replacing the template's 5s. */
  scrapeInterval?: string
  /** Prometheus duration replacing the template's 5s. */
  evaluationInterval?: string
}

/** The prometheus.yml startPrometheus writes: the template's global section, rule files, one job per target. */
export function renderConfig(targets: ScrapeTarget[], options?: PrometheusConfigOptions): string

export function startPrometheus(
  options: PrometheusConfigOptions & {
    targets?: ScrapeTarget[]
    /** Required unless `throwaway`. */
    port?: number
    /** A free port unless given, and a fresh directory under the system's temp dir that `kill()` deletes. */
    throwaway?: boolean
    name?: string
    log?: (line: string) => void
  },
): Promise<{ url: string; logFile: string; stop(): Promise<void>; kill(): Promise<void> }>

/** `count` distinct TCP ports nobody listens on right now. */
export function freeTcpPorts(count: number): Promise<number[]>

/** True when a PostgreSQL server answers on host:port. */
export function postgresAnswers(host: string, port: number, timeoutMs?: number): Promise<boolean>
