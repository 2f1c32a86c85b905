import { LedgerError } from '@integration-ledger/core'
import { csv } from './config.js'
import { z } from 'zod'

/**
 * Where the shared infrastructure is, as every service reads it. Defaults match the stack that
 * `npm start` brings up (ensureStack of @integration-ledger/local-stack).
 */
export const stackEnvSchema = z.object({
  /** @default '127.0.0.1:9092' */
  KAFKA_BROKERS: z.string().min(1).default('127.0.0.1:9092'),
  /**
   * Replicas of every ledger topic the service declares (declareTopology; min.insync.replicas is 2
   * when this is above 1). 3 on the three-node cluster (`LEDGER_KAFKA_NODES=3` sets it for
   * `npm start` and `npm test`). @default 1 (the single-node development broker)
   */
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).default(1),
  /** @default 'http://127.0.0.1:8085/apis/ccompat/v7' (Apicurio's Confluent-compatible API) */
  SCHEMA_REGISTRY_URL: z.url().default('http://127.0.0.1:8085/apis/ccompat/v7'),
  /** @default 'postgres://postgres@127.0.0.1:5432/ledger' */
  DATABASE_URL: z.string().min(1).default('postgres://postgres@127.0.0.1:5432/ledger'),
  /** @default 'info' */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Interface to listen on. @default '127.0.0.1' */
  HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * Longest time a caller may take to send a whole request (headers and body); a slower one is
   * answered 408 and disconnected, so it cannot hold an in-flight slot. @default 30000
   */
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  /** Longest time a caller may take to send the request headers. @default 10000 */
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  /**
   * How long an idle keep-alive connection stays open for the next request; above the idle
   * timeout of the load balancers in front (60 s for most). @default 72000
   */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().positive().default(72_000),
  /**
   * A connection on which nothing moves (no byte in or out) this long is closed, e.g. a caller
   * that stopped reading its answer. It also bounds a handler that works this long without
   * answering, so it is far above the slowest admin operation. @default 300000
   */
  HTTP_CONNECTION_TIMEOUT_MS: z.coerce.number().int().positive().default(300_000),
})

/** A listening port variable with its default. */
export function portSchema(defaultPort: number) {
  return z.coerce.number().int().min(0).max(65535).default(defaultPort)
}

/** The HTTP server's timeouts (see `stackEnvSchema` for what each bounds). */
export interface HttpTimeouts {
  requestTimeoutMs: number
  headersTimeoutMs: number
  keepAliveTimeoutMs: number
  connectionTimeoutMs: number
}

/** The settings every service has, in the shape services use them. */
export interface StackConfig {
  host: string
  port: number
  logLevel: string
  kafkaBrokers: string[]
  kafkaReplicationFactor: number
  schemaRegistryUrl: string
  databaseUrl: string
  http: HttpTimeouts
}

/** Maps the parsed shared variables (plus the service's PORT) to `StackConfig`. */
export function stackConfig(parsed: z.output<typeof stackEnvSchema> & { PORT: number }): StackConfig {
  if (parsed.HTTP_HEADERS_TIMEOUT_MS > parsed.HTTP_REQUEST_TIMEOUT_MS) {
    // node refuses this combination when the server is created; say so at start-up instead.
    throw new LedgerError(
      'CONFIG_INVALID',
      `Invalid configuration; fix these environment variables:\n  HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS (${parsed.HTTP_REQUEST_TIMEOUT_MS}) (got "${parsed.HTTP_HEADERS_TIMEOUT_MS}")`,
    )
  }
  return {
    host: parsed.HOST,
    port: parsed.PORT,
    logLevel: parsed.LOG_LEVEL,
    kafkaBrokers: csv(parsed.KAFKA_BROKERS),
    kafkaReplicationFactor: parsed.KAFKA_REPLICATION_FACTOR,
    schemaRegistryUrl: parsed.SCHEMA_REGISTRY_URL,
    databaseUrl: parsed.DATABASE_URL,
    http: {
      requestTimeoutMs: parsed.HTTP_REQUEST_TIMEOUT_MS,
      headersTimeoutMs: parsed.HTTP_HEADERS_TIMEOUT_MS,
      keepAliveTimeoutMs: parsed.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      connectionTimeoutMs: parsed.HTTP_CONNECTION_TIMEOUT_MS,
    },
  }
}
