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

export function startPrometheus(options: {
  targets?: ScrapeTarget[]
  /** Required unless `throwaway`. */
  port?: number
  /** A free port unless given, and a fresh directory under the system's temp dir that `kill()` deletes. */
  throwaway?: boolean
  name?: string
  log?: (line: string) => void
}): Promise<{ url: string; logFile: string; stop(): Promise<void>; kill(): Promise<void> }>
