/** Endpoints of the running stack, as `npm test` (test/run.mjs) passes them to the test processes. */
export interface StackEnv {
  kafkaBrokers: string[]
  schemaRegistryUrl: string
  databaseUrl: string
  prometheusUrl: string | undefined
}

export function stackEnv(env: NodeJS.ProcessEnv = process.env): StackEnv {
  return {
    kafkaBrokers: (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    schemaRegistryUrl: env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8085/apis/ccompat/v7',
    databaseUrl: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/ledger',
    prometheusUrl: env.PROMETHEUS_URL,
  }
}
