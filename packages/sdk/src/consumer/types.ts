import type { LedgerEvent } from '@integration-ledger/core'
import type { IncomingBatch, IncomingRecord, KafkaTransport } from '@integration-ledger/kafka'
import type { EnvelopeCodec } from '@integration-ledger/registry'
import type { Logger } from '@integration-ledger/core'
import type { Registry } from 'prom-client'
import type { z } from 'zod'
import type { EventContract, EventSchemas } from '../contract/contract.js'
import type { RetryTier } from '../topology.js'

/** Where a record was first read from, before any retry tier moved it. */
export interface RecordOrigin {
  topic: string
  partition: number
  offset: string
}

/** A decoded event with the Kafka coordinates it was read from. */
export interface ConsumedEvent {
  event: LedgerEvent
  /** The record as read: from an event topic or from one of the group's retry topics. */
  record: IncomingRecord
  /** The original coordinates (equal to `record`'s unless the record came from a retry tier). */
  origin: RecordOrigin
  /** 0 on first delivery; n on the n-th retry. */
  attempt: number
}

/**
 * The partition batch being handled. `topic` is the topic the batch was read from, which is a
 * retry topic (`<group>.retry.<tier>`) when `isRetry` is true.
 */
export interface BatchContext extends IncomingBatch {
  isRetry: boolean
}

/** Something that produces already-encoded records, such as `LedgerPublisher`. */
export interface RawRecordSink {
  produceRaw(record: {
    topic: string
    key: string | null
    value: Buffer
    headers?: Record<string, string>
  }): Promise<void>
}

/** How transient failures are retried. */
export interface RetryPolicy {
  /** Delayed-retry tiers, tried in order; the last one repeats. @default DEFAULT_RETRY_TIERS (5 s, 1 min, 10 min) */
  tiers?: readonly RetryTier[]
  /** Retries before a transient failure goes to the DLQ as exhausted. @default tiers.length */
  maxAttempts?: number
}

/** The sink circuit breaker: pauses consumption while the handler's own dependency is down. */
export interface SinkBreakerOptions {
  /**
   * Decides that a handler error means "the sink is down" rather than "this record failed".
   * @default code DATABASE_UNAVAILABLE or REGISTRY_UNAVAILABLE anywhere in the cause chain
   */
  isSinkDown?: (err: unknown) => boolean
  /** First pause after a trip. @default 1000 */
  initialBackoffMs?: number
  /** Longest pause; the backoff doubles up to here. @default 30000 */
  maxBackoffMs?: number
}

/**
 * What the subscription's consumer is doing: `joining` (first join), `consuming` (joined; what
 * readiness should require), `restarting` (crashed on a retriable error; the Kafka client restarts
 * it), `recreating` (crashed for good; a new consumer is built after a backoff), `failed` (crashed
 * for good under the `fail` policy; it stays so), `closed`.
 */
export type ConsumerState = 'joining' | 'consuming' | 'restarting' | 'recreating' | 'failed' | 'closed'

/** What happens when the Kafka client gives the consumer up for good (a non-retriable crash). */
export interface FatalCrashPolicy {
  /**
   * `recreate`: a new consumer joins the group after a backoff (exponential with jitter, reset
   * once it consumes again), for as long as it takes. `fail`: the subscription enters `failed`
   * and stays there, for services that would rather exit non-zero and be restarted by their
   * supervisor.
   * @default 'recreate'
   */
  policy?: 'recreate' | 'fail'
  /** @default 1000 */
  initialBackoffMs?: number
  /** @default 30000 */
  maxBackoffMs?: number
}

/** What every subscription takes, whichever way its handlers are given. */
export interface SubscriptionSettings {
  transport: KafkaTransport
  codec: EnvelopeCodec
  /** Consumer group; also names the retry topics (`<group>.retry.<tier>`) and the DLQ (`<group>.dlq`). */
  groupId: string
  /** Event topics to consume (retry topics are added automatically). */
  topics: readonly string[]
  /**
   * Turns a record's bytes into an event. Throw `PermanentError('DECODE_FAILED')` for bytes that
   * will never decode (they go to the DLQ as poison).
   * @default codec.decode
   */
  decode?: (value: Buffer) => Promise<LedgerEvent>
  /** @default { tiers: DEFAULT_RETRY_TIERS, maxAttempts: tiers.length } */
  retry?: RetryPolicy
  /** @default { initialBackoffMs: 1000, maxBackoffMs: 30000 } */
  sinkBreaker?: SinkBreakerOptions
  /** Producer for retry and DLQ records. @default a producer the subscription owns */
  publisher?: RawRecordSink
  /** prom-client registry for `ledger_consumer_*` metrics. @default no metrics */
  metrics?: Registry
  logger?: Logger
  /** Creates the group's retry topics and DLQ when missing. @default true */
  ensureTopics?: boolean
  /** Partitions of topics created by `ensureTopics`. @default 6 */
  topicPartitions?: number
  /** @default true */
  fromBeginning?: boolean
  /** @default 1 */
  partitionsConsumedConcurrently?: number
  /**
   * Fetch a partition's next batch while its batch is being handled (see `ConsumerRunOptions`):
   * faster, but during a rebalance a batch may be handled by the old and the new owner. For
   * idempotent handlers that do not depend on order across members. @default false
   */
  prefetchBatches?: boolean
  /** @default 30000 */
  sessionTimeoutMs?: number
  /** @default { policy: 'recreate', initialBackoffMs: 1000, maxBackoffMs: 30000 } */
  fatalCrash?: FatalCrashPolicy
  /** Called on every change of `Subscription.state`, with the crash that caused it, if any. */
  onStateChange?: (state: ConsumerState, err?: unknown) => void
}

/** The untyped form: handlers that receive the decoded envelope and read its body themselves. */
export interface SubscribeOptions extends SubscriptionSettings {
  /**
   * Handles one partition's events, in offset order, all or nothing. When it resolves the offsets
   * are committed. When it throws, the batch is retried record by record so that only the failing
   * records are routed to retry tiers or the DLQ. Give this or `handleEvent`.
   */
  handleBatch?: (events: ConsumedEvent[], ctx: BatchContext) => Promise<void>
  /** Handles one event; used when `handleBatch` is not given. */
  handleEvent?: (event: ConsumedEvent, ctx: BatchContext) => Promise<void>
  /** Only in the typed form. */
  events?: never
  /** Only in the typed form. */
  handlers?: never
  /** Only in the typed form. */
  fallback?: never
}

/** A consumed event of contract type `T`, with its payload validated and typed. */
export interface TypedConsumedEvent<T extends string, P> extends ConsumedEvent {
  type: T
  /** The raw body parsed as JSON and through the type's schema (defaults and transforms applied). */
  payload: P
}

/** One handler per contract type (each optional); each receives its type's payload. */
export type EventHandlers<S extends EventSchemas> = {
  [T in keyof S & string]?: (event: TypedConsumedEvent<T, z.output<S[T]>>, ctx: BatchContext) => Promise<void>
}

/** The typed form's handlers: a contract and what to do with each of its types. */
export interface ContractHandlers<S extends EventSchemas> {
  /** The contract (`defineEvents`) whose types this consumer reads. */
  events: EventContract<S>
  /**
   * Handlers by event type. A payload that fails its type's schema (or is not JSON) never reaches
   * its handler: it goes to the DLQ as a permanent `VALIDATION_FAILED` failure, naming each issue's
   * path and message. Errors a handler throws are routed as with `handleEvent`.
   */
  handlers: EventHandlers<S>
  /**
   * Receives, untyped and unvalidated, every event whose type has no handler (not declared, or
   * declared without a handler here).
   * @default none: such events are skipped and their offsets committed
   */
  fallback?: (event: ConsumedEvent, ctx: BatchContext) => Promise<void>
  /** Only in the untyped form. */
  handleBatch?: never
  /** Only in the untyped form. */
  handleEvent?: never
}

/** `subscribe` with a contract: per event type, a schema-validated, typed handler. */
export type TypedSubscribeOptions<S extends EventSchemas> = SubscriptionSettings & ContractHandlers<S>

export interface Subscription {
  /** What the consumer is doing now; only `consuming` means records are being read. */
  readonly state: ConsumerState
  /**
   * Graceful stop: the batch in flight is finished and committed, scheduled resumes are cancelled,
   * the group is left, owned connections are closed.
   */
  close(): Promise<void>
}
