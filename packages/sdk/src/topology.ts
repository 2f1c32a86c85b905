import { MAX_RECORD_BATCH_BYTES, type TopicSpec } from '@integration-ledger/kafka'

/** A delayed-retry tier: records wait here at least `delayMs` before they are tried again. */
export interface RetryTier {
  /** Short label used in the topic name, e.g. `5s`. */
  name: string
  delayMs: number
}

/** @default 5 s, 1 min, 10 min */
export const DEFAULT_RETRY_TIERS: readonly RetryTier[] = [
  { name: '5s', delayMs: 5_000 },
  { name: '1m', delayMs: 60_000 },
  { name: '10m', delayMs: 600_000 },
]

export const DEFAULT_EVENTS_TOPIC = 'ledger.events'
export const DEFAULT_QUARANTINE_TOPIC = 'ledger.quarantine'

/** Topic holding a consumer group's records that wait for retry tier `tier`. */
export function retryTopicName(group: string, tier: RetryTier): string {
  return `${group}.retry.${tier.name}`
}

/** Topic holding a consumer group's permanently failed and exhausted records. */
export function dlqTopicName(group: string): string {
  return `${group}.dlq`
}

export interface TopologyOptions {
  /** Topics that sources and SDK producers publish events to. @default ['ledger.events'] */
  eventTopics?: readonly string[]
  /** @default 'ledger.quarantine' */
  quarantineTopic?: string
  /** Consumer groups that get retry tiers and a DLQ of their own. @default ['ledger.projector'] */
  consumerGroups?: readonly string[]
  /** @default DEFAULT_RETRY_TIERS */
  retryTiers?: readonly RetryTier[]
  /** Partitions of event topics; the upper bound of consumer parallelism per group. @default 6 */
  partitions?: number
  /** @default 1 (single-broker development stack) */
  replicationFactor?: number
}

/**
 * Room an event's record needs besides its raw body: the envelope's other fields, the headers it
 * keeps (an HTTP server takes 16 KiB of headers by default), Kafka's record headers (a retried or
 * dead-lettered record carries a few more) and Kafka's own per-record bytes. 64 KiB.
 */
export const ENVELOPE_OVERHEAD_BYTES = 64 * 1024

/**
 * The largest raw body an event may carry so its record always fits the topics' size limit
 * (`MAX_RECORD_BATCH_BYTES`, the topics' `max.message.bytes`): what a source's `maxBodyBytes` may
 * be at most. 8 MiB - 64 KiB = 8,323,072 bytes.
 */
export const MAX_RAW_BODY_BYTES = MAX_RECORD_BATCH_BYTES - ENVELOPE_OVERHEAD_BYTES

/** What every topic's records may weigh: the one declaration of the limit, see `MAX_RECORD_BATCH_BYTES`. */
const SIZE_LIMIT = { 'max.message.bytes': String(MAX_RECORD_BATCH_BYTES) }

/** Events are the ledger itself: they are kept until someone decides otherwise. */
const KEEP_FOREVER = '-1'
const SEVEN_DAYS_MS = String(7 * 24 * 3600 * 1000)

/**
 * The one declaration of every topic the ledger uses, with partitions, retention and the record
 * size limit (`max.message.bytes`, raised on existing topics that have less). Services
 * create it idempotently at start-up (`ensureTopics`); broker auto-creation stays off so a typo
 * in a topic name fails loudly instead of creating a stray topic.
 */
export function declareTopology(options: TopologyOptions = {}): TopicSpec[] {
  const partitions = options.partitions ?? 6
  const replicationFactor = options.replicationFactor ?? 1
  const tiers = options.retryTiers ?? DEFAULT_RETRY_TIERS
  const durable = (topic: string, config: Record<string, string> = {}): TopicSpec => ({
    topic,
    partitions,
    replicationFactor,
    config: {
      'retention.ms': KEEP_FOREVER,
      'min.insync.replicas': String(Math.min(2, replicationFactor)),
      ...SIZE_LIMIT,
      ...config,
    },
  })
  const specs: TopicSpec[] = [
    ...(options.eventTopics ?? [DEFAULT_EVENTS_TOPIC]).map((topic) => durable(topic)),
    durable(options.quarantineTopic ?? DEFAULT_QUARANTINE_TOPIC),
  ]
  for (const group of options.consumerGroups ?? ['ledger.projector']) {
    specs.push(...consumerGroupTopics(group, { retryTiers: tiers, partitions, replicationFactor }))
  }
  return specs
}

/**
 * The retry topics and the DLQ of one consumer group. Retry records are kept seven days (the
 * longest tier is minutes); the DLQ is kept until someone replays or discards it.
 */
export function consumerGroupTopics(
  group: string,
  options: Pick<TopologyOptions, 'retryTiers' | 'partitions' | 'replicationFactor'> = {},
): TopicSpec[] {
  const partitions = options.partitions ?? 6
  const replicationFactor = options.replicationFactor ?? 1
  const spec = (topic: string, retentionMs: string): TopicSpec => ({
    topic,
    partitions,
    replicationFactor,
    config: {
      'retention.ms': retentionMs,
      'min.insync.replicas': String(Math.min(2, replicationFactor)),
      ...SIZE_LIMIT,
    },
  })
  return [
    ...(options.retryTiers ?? DEFAULT_RETRY_TIERS).map((tier) =>
      spec(retryTopicName(group, tier), SEVEN_DAYS_MS),
    ),
    spec(dlqTopicName(group), KEEP_FOREVER),
  ]
}
