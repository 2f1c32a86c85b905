import { setTimeout as sleep } from 'node:timers/promises'
import { LedgerError, TransientError, backoffDelayMs, type Logger } from '@integration-ledger/core'
import {
  CompressionTypes,
  type Message,
  type Producer,
  type ProducerBatch,
  type RecordMetadata,
} from 'kafkajs'
import { recordTooLargeError, toBrokerError } from '../errors.js'
import { batchBytes, recordBytes } from '../limits.js'
import { produceVerdict, refusalType } from './produce-verdict.js'
import type { OutgoingRecord, ProduceAck, ProducerTransport, RecordOutcome } from '../types.js'

/** acks=all: the write counts only once every in-sync replica has it. */
const ACKS_ALL = -1
/** Refusals that one record of a batch can cause, so halving the batch finds it. */
const RECORD_REFUSALS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
])
/** The first pause between two resends; it doubles up to `maxRetryTimeMs`. */
const FIRST_PAUSE_MS = 100

export interface KafkajsProducerOptions {
  requestTimeoutMs: number
  /** Longest pause between two resends of a batch. */
  maxRetryTimeMs: number
  /** How record batches are compressed. @default CompressionTypes.None */
  compression?: CompressionTypes
  logger: Logger
}

/** One record on its way, with the kafkajs message built for it once (see `pinningPartitioner`). */
interface Entry {
  index: number
  record: OutgoingRecord
  message: Message
}

type Attempt = { ok: true; metadata: RecordMetadata[] } | { ok: false; err: unknown }

/**
 * The kafkajs producer behind the seam, with rules kafkajs does not keep by itself.
 *
 * **Resend rule.** A batch that may have reached the broker is resent as it was until the broker
 * answers, never given up. kafkajs gives a send up after its own retries (a broker restarting
 * takes longer than its connect retries) and rolls the partition's sequence number back. The
 * next, different batch then reuses those sequence numbers: if the broker had stored the abandoned
 * batch, it refuses every later one with OUT_OF_ORDER_SEQUENCE_NUMBER, for good (seen with a broker
 * stopped mid-traffic). Resending the same records in the same order to the same partition gives
 * them the same sequence numbers again, so the broker either stores them or recognises them as
 * already stored: exactly once either way.
 *
 * **A refusal is per partition, kafkajs' answer is per request.** The broker stores or refuses
 * each partition's batch of a request on its own (a batch over `max.message.bytes` is refused,
 * the others are stored), but kafkajs throws the first refusal for the whole request and rolls
 * back the sequence numbers of every partition in it, stored ones included. So after a refusal
 * each partition's records are sent again on their own, unchanged: a stored partition has the
 * same sequence numbers as before and the broker answers it as the duplicate it is (nothing is
 * stored twice, kafkajs' sequence moves on); a refused one is refused again, now alone, so nothing
 * of it is stored and its sequence number is where the broker expects it. A single partition's
 * refused batch is then split in halves until the refused record stands alone; only it is
 * answered `refused`. (This relies on the broker keeping the last five batches per producer and
 * partition, which it always does for the batch just sent. With several brokers, kafkajs keeps
 * the sequence of the brokers that answered; a partition of those sent again is stored twice,
 * with the same event ID, which consumers deduplicate.)
 *
 * **A lost session means a new kafkajs producer.** When the broker no longer knows the producer
 * (OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID) the batch is sent again under a new producer
 * ID. kafkajs only asks for a producer ID on its first connect, so reconnecting the same instance
 * keeps the stale ID and sequence numbers (and was refused for ever): a new instance is made.
 */
export function createKafkajsProducer(
  newProducer: () => Producer,
  options: KafkajsProducerOptions,
): ProducerTransport {
  const { logger } = options
  const compression = options.compression ?? CompressionTypes.None
  const closing = new AbortController()
  let producer = newProducer()

  /** Starts a new idempotent session: a new producer ID, sequence numbers from zero. */
  const newSession = async () => {
    await producer.disconnect().catch(() => {})
    producer = newProducer()
    await producer.connect()
  }

  /**
   * Sends one group of records, resending it unchanged through outages (the resend rule).
   * Returns the broker's answer, or its refusal; throws only when the producer is closed.
   */
  const attempt = async (group: readonly Entry[]): Promise<Attempt> => {
    // Built once: every resend carries the same messages in the same order.
    const request = produceRequest(group, options.requestTimeoutMs, compression)
    let sessionLost = false
    for (let resend = 0; ; resend++) {
      try {
        if (sessionLost) {
          await newSession()
          sessionLost = false
        }
        const metadata = await producer.sendBatch(request)
        if (resend > 0)
          logger.info({ records: group.length, attempt: resend }, 'Kafka acknowledged a resent batch')
        return { ok: true, metadata }
      } catch (err) {
        const verdict = produceVerdict(err)
        if (verdict === 'give-up' || verdict === 'topic-missing') return { ok: false, err }
        if (closing.signal.aborted) throw closedError(err)
        if (verdict === 'new-session' && !sessionLost) {
          sessionLost = true
          logger.warn(
            { err, records: group.length },
            'Kafka no longer knows this producer session (it lost data or expired the producer ID); starting a new session and resending the batch',
          )
        } else if (resend === 0) {
          logger.warn(
            { err, records: group.length },
            'Kafka did not acknowledge a batch; resending it unchanged until it does',
          )
        }
        await sleep(resendPauseMs(resend, options.maxRetryTimeMs), undefined, {
          signal: closing.signal,
        }).catch(() => {})
        if (closing.signal.aborted) throw closedError(err)
      }
    }
  }

  const sendEach = async (records: readonly OutgoingRecord[]): Promise<RecordOutcome[]> => {
    // kafkajs would quietly reconnect a disconnected producer to send.
    if (closing.signal.aborted) throw closedError(undefined)
    const outcomes: RecordOutcome[] = []
    // Groups still to send, in order; one request in flight keeps sequence numbers in order.
    const groups: Entry[][] = [
      records.map((record, index) => ({ index, record, message: toMessage(record) })),
    ]
    for (let group = groups.shift(); group !== undefined; group = groups.shift()) {
      let result: Attempt
      try {
        result = await attempt(group)
      } catch (err) {
        const unknown = err instanceof LedgerError ? err : closedError(err)
        for (const g of [group, ...groups])
          for (const e of g) outcomes[e.index] = { status: 'unknown', error: unknown }
        break
      }
      if (result.ok) {
        storedOutcomes(group, result.metadata, outcomes)
        continue
      }
      const parts = byPartition(group)
      if (parts.length > 1) {
        logger.warn(
          { err: result.err, records: group.length, partitions: parts.length },
          'Kafka refused part of a batch; sending each partition on its own to store the rest',
        )
        groups.unshift(...parts)
      } else if (
        group.length > 1 &&
        group[0]?.message.partition !== undefined &&
        RECORD_REFUSALS.has(refusalType(result.err) ?? '')
      ) {
        // One partition, refused as a whole (nothing of it stored) for what one record may
        // cause: halve it to find the record.
        const half = Math.ceil(group.length / 2)
        groups.unshift(group.slice(0, half), group.slice(half))
      } else {
        const error = refusalError(group, result.err)
        for (const e of group) outcomes[e.index] = { status: 'refused', error }
      }
    }
    return outcomes
  }

  return {
    async connect() {
      try {
        await producer.connect()
      } catch (err) {
        throw toBrokerError(err, 'producer connect')
      }
    },

    sendEach,

    async send(records) {
      const outcomes = await sendEach(records)
      const acks = new Map<string, ProduceAck>()
      for (const outcome of outcomes) {
        if (outcome.status !== 'stored') throw outcome.error
        const id = `${outcome.topic}\u0000${outcome.partition}`
        const seen = acks.get(id)
        if (!seen || BigInt(outcome.offset) < BigInt(seen.baseOffset)) {
          acks.set(id, { topic: outcome.topic, partition: outcome.partition, baseOffset: outcome.offset })
        }
      }
      return [...acks.values()]
    },

    async disconnect() {
      closing.abort()
      await producer.disconnect()
    },
  }
}

/**
 * The pause before resend number `resend` (from 0): exponential up to `maxMs`, with equal jitter
 * (half fixed, half random), so producers that lost the same broker do not all come back in step.
 */
export function resendPauseMs(resend: number, maxMs: number): number {
  return backoffDelayMs(resend, { baseMs: FIRST_PAUSE_MS, maxMs })
}

function toMessage(record: OutgoingRecord): Message {
  return {
    key: record.key,
    value: record.value,
    ...(record.headers ? { headers: record.headers } : {}),
  }
}

/** One produce request per broker for the group, grouped by topic in the records' order. */
function produceRequest(
  group: readonly Entry[],
  timeoutMs: number,
  compression: CompressionTypes,
): ProducerBatch {
  const byTopic = new Map<string, Message[]>()
  for (const { record, message } of group) {
    let messages = byTopic.get(record.topic)
    if (!messages) byTopic.set(record.topic, (messages = []))
    messages.push(message)
  }
  return {
    acks: ACKS_ALL,
    timeout: timeoutMs,
    compression,
    topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
  }
}

/**
 * The group split by topic-partition, in order. Messages that never got a partition (the request
 * failed before kafkajs chose one, e.g. a missing topic) are grouped by topic: nothing was sent.
 */
function byPartition(group: readonly Entry[]): Entry[][] {
  const parts = new Map<string, Entry[]>()
  for (const entry of group) {
    const id = `${entry.record.topic}\u0000${entry.message.partition ?? ''}`
    let part = parts.get(id)
    if (!part) parts.set(id, (part = []))
    part.push(entry)
  }
  return [...parts.values()]
}

/** Each record's offset: its partition's base offset plus its place among that partition's records. */
function storedOutcomes(
  group: readonly Entry[],
  metadata: RecordMetadata[],
  outcomes: RecordOutcome[],
): void {
  const base = new Map(
    metadata.map((m) => [`${m.topicName}\u0000${m.partition}`, BigInt(m.baseOffset ?? '-1')]),
  )
  const next = new Map<string, bigint>()
  for (const { index, record, message } of group) {
    const partition = message.partition ?? -1
    const id = `${record.topic}\u0000${partition}`
    const offset = next.get(id) ?? base.get(id) ?? -1n
    next.set(id, offset + 1n)
    outcomes[index] = { status: 'stored', topic: record.topic, partition, offset: String(offset) }
  }
}

/** The answer for records the broker refused for good (after splitting, when that could help). */
function refusalError(group: readonly Entry[], cause: unknown): LedgerError {
  const topics = [...new Set(group.map((e) => e.record.topic))].join(', ')
  const type = refusalType(cause)
  if (type === 'UNKNOWN_TOPIC_OR_PARTITION') {
    return new LedgerError(
      'TOPIC_NOT_FOUND',
      `Kafka has no topic ${topics}, and topics are never created on first use: declare it with declareTopology() so ensureTopics() creates it at start-up, or fix the topic name. Nothing was sent.`,
      { cause },
    )
  }
  if (type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE') {
    const bytes = group.reduce((sum, e) => sum + recordBytes(e.record), 0)
    return recordTooLargeError(topics, batchBytes(bytes), undefined, cause)
  }
  return toBrokerError(cause, 'produce')
}

function closedError(cause: unknown): TransientError {
  return new TransientError(
    'BROKER_UNAVAILABLE',
    'The producer was closed before Kafka acknowledged these records; they may or may not be stored. Whoever tracks them must treat their outcome as unknown.',
    { cause },
  )
}
