import { csv } from './config.js'
import { z } from 'zod'

/**
 * Where the shared infrastructure is, as every service reads it. Defaults match the stack that
 * `npm start` brings up (infra/stack.mjs).
 */
export const stackEnvSchema = z.object({
  /** @default '127.0.0.1:9092' */
  KAFKA_BROKERS: z.string().min(1).default('127.0.0.1:9092'),
  /** @default 'http://127.0.0.1:8085/apis/ccompat/v7' (Apicurio's Confluent-compatible API) */
  SCHEMA_REGISTRY_URL: z.url().default('http://127.0.0.1:8085/apis/ccompat/v7'),
  /** @default 'postgres://postgres@127.0.0.1:5432/ledger' */
  DATABASE_URL: z.string().min(1).default('postgres://postgres@127.0.0.1:5432/ledger'),
  /** @default 'info' */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Interface to listen on. @default '127.0.0.1' */
  HOST: z.string().min(1).default('127.0.0.1'),
})

/** A listening port variable with its default. */
export function portSchema(defaultPort: number) {
  return z.coerce.number().int().min(0).max(65535).default(defaultPort)
}

/** The settings every service has, in the shape services use them. */
export interface StackConfig {
  host: string
  port: number
  logLevel: string
  kafkaBrokers: string[]
  schemaRegistryUrl: string
  databaseUrl: string
}

/** Maps the parsed shared variables (plus the service's PORT) to `StackConfig`. */
export function stackConfig(parsed: z.output<typeof stackEnvSchema> & { PORT: number }): StackConfig {
  return {
    host: parsed.HOST,
    port: parsed.PORT,
    logLevel: parsed.LOG_LEVEL,
    kafkaBrokers: csv(parsed.KAFKA_BROKERS),
    schemaRegistryUrl: parsed.SCHEMA_REGISTRY_URL,
    databaseUrl: parsed.DATABASE_URL,
  }
}
