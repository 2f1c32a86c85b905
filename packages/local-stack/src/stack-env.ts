/**
 * Endpoints of the running stack: what `ensureStack()` found or started, and what the test
 * processes read back from their environment (`stackEnv()`). The one shape of it; its variables
 * are `stackEnvVars()`.
 */
export interface StackEnv {
  kafkaBrokers: string[]
  /** Confluent-compatible base URL. */
  schemaRegistryUrl: string
  databaseUrl: string
  /** Absent when Prometheus was not asked for or is not installed. */
  prometheusUrl: string | undefined
  /** Replicas of each ledger topic: 3 on the three-node cluster, 1 on a single node. */
  kafkaReplicationFactor: number
}

/** The stack's endpoints from environment variables, with the defaults of the local stack. */
export function stackEnv(env: NodeJS.ProcessEnv = process.env): StackEnv {
  return {
    kafkaBrokers: (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    schemaRegistryUrl: env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8085/apis/ccompat/v7',
    databaseUrl: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/ledger',
    prometheusUrl: env.PROMETHEUS_URL,
    kafkaReplicationFactor: Number(env.KAFKA_REPLICATION_FACTOR || 1),
  }
}

/** The environment variables that hand `env` to a child process (services, test files). */
export function stackEnvVars(env: StackEnv): Record<string, string> {
  return {
    KAFKA_BROKERS: env.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: env.schemaRegistryUrl,
    DATABASE_URL: env.databaseUrl,
    KAFKA_REPLICATION_FACTOR: String(env.kafkaReplicationFactor),
    ...(env.prometheusUrl ? { PROMETHEUS_URL: env.prometheusUrl } : {}),
  }
}
