import {
  type StackConfig,
  csv,
  parseEnv,
  portSchema,
  stackConfig,
  stackEnvSchema,
} from '@integration-ledger/service-kit'
import { z } from 'zod'

const projectorEnvSchema = stackEnvSchema.extend({
  /** HTTP port for /healthz, /readyz and /metrics. @default 8082 */
  PORT: portSchema(8082),
  /** @default 'ledger.projector' */
  PROJECTOR_GROUP_ID: z.string().min(1).default('ledger.projector'),
  /** Comma-separated event topics to project. @default 'ledger.events' */
  PROJECTOR_TOPICS: z.string().min(1).default('ledger.events'),
  /**
   * Partitions handled at once, each batch in its own transaction and PostgreSQL connection.
   * kafkajs fetches again only once every partition batch of the last fetch is done, so with
   * fewer than the partitions that have records, batches queue behind each other and an event
   * waits for several applies and offset commits before its own (at 2 of 6 partitions, three in
   * a row). As many as an event topic's partitions (6, `declareTopology`'s default) applies one
   * fetch at once: the waits on PostgreSQL (its WAL flush, shared by commits that coincide) and on
   * Kafka overlap. Throughput was no lower, latency lower in most A/B runs, all on a busy 2-core
   * machine (test/bench/BENCHMARKS.md, Latency). Each costs a PostgreSQL connection.
   * @default 6
   */
  PROJECTOR_PARTITIONS_CONCURRENTLY: z.coerce.number().int().min(1).max(64).default(6),
  /**
   * Fetch a partition's next batch while its batch is applied, so fetch, decode and apply overlap
   * (about 15 % more events/s in the Connect comparison, test/bench/BENCHMARKS.md). Safe here: a
   * batch a rebalance leaves with the old owner as well as the new one is applied once (event IDs)
   * and in any order (the version rule). `false` fetches only once every batch is applied.
   * @default true
   */
  PROJECTOR_PREFETCH_BATCHES: z.enum(['true', 'false']).default('true'),
  /**
   * How long the group waits for a silent member (a crashed process) before its partitions move.
   * Kafka accepts 6000 to 300000 by default (group.min/max.session.timeout.ms).
   * @default 30000
   */
  PROJECTOR_SESSION_TIMEOUT_MS: z.coerce.number().int().min(1000).default(30_000),
  /**
   * When the Kafka consumer crashes for good (kafkajs gives it up): `recreate` builds a new one
   * after a backoff, `exit` exits non-zero so a supervisor restarts the process. Either way
   * /readyz answers 503 while nothing is consumed.
   * @default 'recreate'
   */
  PROJECTOR_ON_CONSUMER_CRASH: z.enum(['recreate', 'exit']).default('recreate'),
})

export interface ProjectorConfig extends StackConfig {
  groupId: string
  topics: string[]
  partitionsConcurrently: number
  prefetchBatches: boolean
  sessionTimeoutMs: number
  onConsumerCrash: 'recreate' | 'exit'
}

/** Reads the projector's configuration from the environment once, failing fast on bad values. */
export function loadProjectorConfig(env: NodeJS.ProcessEnv = process.env): ProjectorConfig {
  const parsed = parseEnv(projectorEnvSchema, env)
  return {
    ...stackConfig(parsed),
    groupId: parsed.PROJECTOR_GROUP_ID,
    topics: csv(parsed.PROJECTOR_TOPICS),
    partitionsConcurrently: parsed.PROJECTOR_PARTITIONS_CONCURRENTLY,
    prefetchBatches: parsed.PROJECTOR_PREFETCH_BATCHES === 'true',
    sessionTimeoutMs: parsed.PROJECTOR_SESSION_TIMEOUT_MS,
    onConsumerCrash: parsed.PROJECTOR_ON_CONSUMER_CRASH,
  }
}
