import type { LedgerError } from '@integration-ledger/core'

/**
 * The transport seam. Everything above this file speaks these types only, so the Kafka client
 * (kafkajs today, in maintenance mode since 2023) can be measured against another and swapped
 * without touching producers, consumers or services.
 */

/** A record to produce. `key` decides the partition: the ledger always keys by entity ID. */
export interface OutgoingRecord {
  topic: string
  key: string | null
  value: Buffer
  headers?: Record<string, string>
}

/** Where the broker stored a produced batch for one topic-partition. */
export interface ProduceAck {
  topic: string
  partition: number
  baseOffset: string
}

/** A consumed record. Offsets stay strings because they are 64-bit. */
export interface IncomingRecord {
  topic: string
  partition: number
  offset: string
  key: Buffer | null
  value: Buffer | null
  headers: Record<string, string>
  /** Broker or producer timestamp, epoch milliseconds. */
  timestamp: number
}

/** The records fetched from one partition in one go, in offset order. */
export interface IncomingBatch {
  topic: string
  partition: number
  records: IncomingRecord[]
  /** Offset of the next record the broker will write; lag = highWatermark - last offset - 1. */
  highWatermark: string
  /** True once a rebalance took this partition away: stop and do not commit. */
  isStale(): boolean
  /** Keeps the group membership alive during long work. */
  heartbeat(): Promise<void>
}

export interface TopicPartitionOffset {
  topic: string
  partition: number
  /** The next offset to read, i.e. the last handled offset + 1. */
  offset: string
}

export interface TopicPartitions {
  topic: string
  partitions?: number[]
}

/** A topic as the ledger declares it; created idempotently at start-up. */
export interface TopicSpec {
  topic: string
  partitions: number
  replicationFactor: number
  /** Broker topic configs, e.g. `retention.ms`. */
  config: Record<string, string>
}

/**
 * What became of one record of `sendEach`: `stored` (acks=all) at `offset`; `refused` for good by
 * the broker (too large, topic missing, invalid): it is not stored and sending it again cannot
 * succeed; `unknown`: the producer was closed before the broker answered, it may be stored or not.
 */
export type RecordOutcome =
  | { status: 'stored'; topic: string; partition: number; offset: string }
  | { status: 'refused'; error: LedgerError }
  | { status: 'unknown'; error: LedgerError }

export interface ProducerTransport {
  connect(): Promise<void>
  /**
   * Produces the records, acks=all, and resolves with each one's outcome, in the records' order,
   * once all are known. A record the broker refuses never fails or holds back the others: they are
   * stored (each exactly once) and only the refused one is answered `refused`. Rejects only when
   * the producer was closed before sending.
   */
  sendEach(records: readonly OutgoingRecord[]): Promise<RecordOutcome[]>
  /**
   * `sendEach` for callers that want all or nothing: resolves with where each topic-partition's
   * records went, rejects with the first refusal (the other records may be stored).
   */
  send(records: readonly OutgoingRecord[]): Promise<ProduceAck[]>
  disconnect(): Promise<void>
}

export interface ConsumerRunOptions {
  /** Called for each partition's batch; the partition's next batch waits until this resolves. */
  eachBatch(batch: IncomingBatch): Promise<void>
  /** How many partitions are processed at once. @default 1 */
  partitionsConsumedConcurrently?: number
  /**
   * Fetch a partition's next batch while its batch is still being handled, so fetching, decoding
   * and handling overlap instead of taking turns. A partition's batches are still handled one at a
   * time, in order, and only what is handled is committed; but a batch may still be in hand when a
   * rebalance moves its partition, so the new owner may handle it too, while the old one finishes.
   * Only for handlers that are idempotent and do not depend on order across members.
   * @default false
   */
  prefetchBatches?: boolean
}

export interface ConsumerGroupEvents {
  /** Partitions this member now owns (after each rebalance). */
  onAssign?: (assignment: TopicPartitions[]) => void
  /**
   * The client's consumer crashed. `restart` says whether the client restarts it by itself (a
   * retriable error); when false the consumer is dead for good and must be recreated.
   */
  onCrash?: (err: unknown, info: { restart: boolean }) => void
}

export interface ConsumerTransport {
  connect(): Promise<void>
  subscribe(topics: readonly string[], options?: { fromBeginning?: boolean }): Promise<void>
  run(options: ConsumerRunOptions): Promise<void>
  commit(offsets: readonly TopicPartitionOffset[]): Promise<void>
  pause(partitions: readonly TopicPartitions[]): void
  resume(partitions: readonly TopicPartitions[]): void
  /** Re-read a partition from `offset` on its next fetch. */
  seek(position: TopicPartitionOffset): void
  /** Finishes the in-flight batch, leaves the group and closes connections. */
  disconnect(): Promise<void>
}

export interface ConsumerOptions {
  groupId: string
  /** Upper bound of bytes fetched per partition per request. @default 1048576 */
  maxBytesPerPartition?: number
  /** @default 30000 */
  sessionTimeoutMs?: number
  /** @default 3000 */
  heartbeatIntervalMs?: number
  events?: ConsumerGroupEvents
}

export interface PartitionOffsets {
  partition: number
  /** Low watermark: the oldest offset still stored. */
  low: string
  /** High watermark: the next offset to be written. */
  high: string
}

export interface AdminTransport {
  connect(): Promise<void>
  /** Creates the topics that do not exist yet; returns the names it created. */
  ensureTopics(specs: readonly TopicSpec[]): Promise<string[]>
  listTopics(): Promise<string[]>
  topicOffsets(topic: string): Promise<PartitionOffsets[]>
  /** Committed offsets of a group on a topic; '-1' where nothing was committed. */
  groupOffsets(groupId: string, topic: string): Promise<TopicPartitionOffset[]>
  deleteTopics(topics: readonly string[]): Promise<void>
  disconnect(): Promise<void>
}

/** A connection factory for one cluster. */
export interface KafkaTransport {
  readonly brokers: readonly string[]
  producer(): ProducerTransport
  consumer(options: ConsumerOptions): ConsumerTransport
  admin(): AdminTransport
}
