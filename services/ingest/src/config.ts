import { DEFAULT_MAX_BODY_BYTES } from '@integration-ledger/providers'
import {
  type StackConfig,
  parseEnv,
  portSchema,
  stackConfig,
  stackEnvSchema,
} from '@integration-ledger/service-kit'
import { MAX_RAW_BODY_BYTES } from '@integration-ledger/sdk'
import { z } from 'zod'
import { type EventClient, buildEventClients, parseEventGrants, parseEventTokens } from './event-clients.js'

/** An optional variable read by one of the event-clients parsers, failing with the problem it names. */
function parsedWith<T>(parse: (value: string) => { ok: true; value: T } | { ok: false; problem: string }) {
  return z
    .string()
    .transform((value, ctx) => {
      const result = parse(value)
      if (result.ok) return result.value
      ctx.addIssue({ code: 'custom', message: result.problem })
      return z.NEVER
    })
    .optional()
}

const ingestEnvSchema = stackEnvSchema.extend({
  /** @default 8080 */
  PORT: portSchema(8080),
  /** Path of the YAML file declaring the sources (see README). Admin-created sources add to it. */
  LEDGER_SOURCES: z.string().min(1).optional(),
  /**
   * Master keys decrypting the secrets of admin-created sources: `id:base64(32 bytes)`, comma-separated,
   * newest first. Without it only file sources are served.
   */
  LEDGER_MASTER_KEYS: z.string().min(1).optional(),
  /**
   * Longest wait for Kafka's acknowledgement before answering 503 with Retry-After.
   * @default 5000
   */
  INGEST_PRODUCE_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  /** Retry-After (seconds) sent with 503s when the broker is unavailable. @default 5 */
  INGEST_RETRY_AFTER_SECONDS: z.coerce.number().int().positive().default(5),
  /** How often Kafka is probed for /readyz and fast-fail. @default 2000 */
  INGEST_BROKER_PROBE_INTERVAL_MS: z.coerce.number().int().positive().default(2000),
  /** How long a claimed delivery blocks other replicas; renewed while in flight. @default 30000 */
  INGEST_DEDUP_LEASE_MS: z.coerce.number().int().min(1000).default(30_000),
  /** Accepted deliveries are remembered (deduplicated) this long. @default 2592000000 (30 days) */
  INGEST_DEDUP_RETENTION_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(30 * 24 * 3600 * 1000),
  /** Requests processed at once before answering 503. @default 2000 */
  INGEST_MAX_IN_FLIGHT: z.coerce.number().int().positive().default(2000),
  /**
   * Request-body bytes held in memory at once, across all requests (announced Content-Length, or
   * what has arrived of a chunked body); past it new bodies answer 503 OVERLOADED before being read.
   * At least `MAX_RAW_BODY_BYTES`, so the largest body a source may allow always fits when alone.
   * @default 268435456 (256 MiB)
   */
  INGEST_MAX_IN_FLIGHT_BYTES: z.coerce
    .number()
    .int()
    .min(MAX_RAW_BODY_BYTES, `at least ${MAX_RAW_BODY_BYTES}, the largest body a source may allow`)
    .default(256 * 1024 * 1024),
  /** Event-loop lag before answering 503. @default 1000 */
  INGEST_MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().int().positive().default(1000),
  /**
   * Body limit of the HTTP server (and of POST /events); per-source limits apply below it. At most
   * `MAX_RAW_BODY_BYTES` (8,323,072): a larger body's event could never be stored in Kafka.
   * @default 1048576
   */
  INGEST_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .max(
      MAX_RAW_BODY_BYTES,
      `can never be stored: a Kafka record of the ledger takes at most ${MAX_RAW_BODY_BYTES} bytes of body`,
    )
    .default(DEFAULT_MAX_BODY_BYTES),
  /** How often admin-created sources are re-read, besides LISTEN/NOTIFY. @default 30000 */
  INGEST_SOURCES_POLL_MS: z.coerce.number().int().positive().default(30_000),
  /** Bearer tokens for POST /events, `client=token,…`. Unset: POST /events answers 404. */
  INGEST_EVENT_TOKENS: parsedWith(parseEventTokens),
  /**
   * What each POST /events client may write: `client=source[/entityType],…;client=…`.
   * @default each client may write the source named like itself, any entity type
   */
  INGEST_EVENT_GRANTS: parsedWith(parseEventGrants),
  /** Topic POST /events publishes to. @default 'ledger.events' */
  INGEST_EVENTS_TOPIC: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,249}$/)
    .default('ledger.events'),
  /**
   * Bearer tokens of the recoverers that may POST /recovered/:source (the reconciler's catch-up),
   * `name=token,…` (tokens of 16+ characters); the name is kept on each recovered event.
   * Unset: the route answers 404.
   */
  INGEST_RECOVERY_TOKENS: parsedWith(parseEventTokens),
  /** Producer linger: how long a record waits for others to share its produce request. @default 0 */
  INGEST_PRODUCE_LINGER_MS: z.coerce.number().int().min(0).default(0),
  /**
   * Compression of the record batches ingest produces: `none` or `gzip`. Events keep the raw body,
   * and JSON compresses to a fifth or less (test/bench/BENCHMARKS.md); the byte bounds count
   * uncompressed bytes, so either way a body within its source's limit is stored.
   * @default 'none'
   */
  INGEST_PRODUCE_COMPRESSION: z.enum(['none', 'gzip']).default('none'),
  /** PostgreSQL connections. @default 8 */
  INGEST_DB_POOL_SIZE: z.coerce.number().int().positive().default(8),
})

/** Checks across variables, after each parsed on its own. */
const ingestEnvChecked = ingestEnvSchema.superRefine((env, ctx) => {
  const clients = new Set(env.INGEST_EVENT_TOKENS?.values())
  for (const name of env.INGEST_EVENT_GRANTS?.keys() ?? []) {
    if (!clients.has(name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['INGEST_EVENT_GRANTS'],
        message: `client "${name}" has no token in INGEST_EVENT_TOKENS; add one or remove its grants`,
      })
    }
  }
})

export interface IngestConfig extends StackConfig {
  sourcesFile: string | undefined
  masterKeys: string | undefined
  produceTimeoutMs: number
  retryAfterSeconds: number
  brokerProbeIntervalMs: number
  dedupLeaseMs: number
  dedupRetentionMs: number
  maxInFlight: number
  maxInFlightBytes: number
  maxEventLoopDelayMs: number
  maxBodyBytes: number
  sourcesPollMs: number
  /** Token → client and what it may write; empty when POST /events is off. */
  eventClients: ReadonlyMap<string, EventClient>
  /** Clients whose grants INGEST_EVENT_GRANTS lists (the others write the source named like them). */
  explicitlyGrantedClients: ReadonlySet<string>
  eventsTopic: string
  /** Who may POST /recovered/:source; empty when the route is off. */
  recoveryTokens: { name: string; token: string }[]
  produceLingerMs: number
  produceCompression: 'none' | 'gzip'
  dbPoolSize: number
}

/** Reads the ingest service's configuration from the environment once, failing fast on bad values. */
export function loadIngestConfig(env: NodeJS.ProcessEnv = process.env): IngestConfig {
  const parsed = parseEnv(ingestEnvChecked, env)
  return {
    ...stackConfig(parsed),
    sourcesFile: parsed.LEDGER_SOURCES,
    masterKeys: parsed.LEDGER_MASTER_KEYS,
    produceTimeoutMs: parsed.INGEST_PRODUCE_TIMEOUT_MS,
    retryAfterSeconds: parsed.INGEST_RETRY_AFTER_SECONDS,
    brokerProbeIntervalMs: parsed.INGEST_BROKER_PROBE_INTERVAL_MS,
    dedupLeaseMs: parsed.INGEST_DEDUP_LEASE_MS,
    dedupRetentionMs: parsed.INGEST_DEDUP_RETENTION_MS,
    maxInFlight: parsed.INGEST_MAX_IN_FLIGHT,
    maxInFlightBytes: parsed.INGEST_MAX_IN_FLIGHT_BYTES,
    maxEventLoopDelayMs: parsed.INGEST_MAX_EVENT_LOOP_DELAY_MS,
    maxBodyBytes: parsed.INGEST_MAX_BODY_BYTES,
    sourcesPollMs: parsed.INGEST_SOURCES_POLL_MS,
    eventClients: buildEventClients(
      parsed.INGEST_EVENT_TOKENS ?? new Map(),
      parsed.INGEST_EVENT_GRANTS ?? new Map(),
    ),
    explicitlyGrantedClients: new Set(parsed.INGEST_EVENT_GRANTS?.keys()),
    eventsTopic: parsed.INGEST_EVENTS_TOPIC,
    recoveryTokens: [...(parsed.INGEST_RECOVERY_TOKENS ?? new Map<string, string>())].map(
      ([token, name]) => ({
        name,
        token,
      }),
    ),
    produceLingerMs: parsed.INGEST_PRODUCE_LINGER_MS,
    produceCompression: parsed.INGEST_PRODUCE_COMPRESSION,
    dbPoolSize: parsed.INGEST_DB_POOL_SIZE,
  }
}
