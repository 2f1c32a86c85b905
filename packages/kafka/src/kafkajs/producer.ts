import { setTimeout as sleep } from 'node:timers/promises'
import { LedgerError, TransientError, backoffDelayMs, type Logger } from '@integration-ledger/core'
import { CompressionTypes, type Message, type Producer, type ProducerBatch } from 'kafkajs'
import { recordTooLargeError, toBrokerError } from '../errors.js'
import { batchBytes, recordBytes } from '../limits.js'
import { type PartitionSource, type TopicLayout, createPartitionChooser } from './partitions.js'
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
  /** Where each record's partition is chosen from, before sending; disconnected with the producer. */
  partitionSource: PartitionSource
  logger: Logger
}

/** One record on its way, with the kafkajs message built for it once (its partition written in). */
interface Entry {
  index: number
  record: OutgoingRecord
  message: Message
}

/**
 * What became of one request: stored (`metadata`), refused for good (`err`), or `sessionLost`: the
 * broker no longer knows the producer ID, so no resend under it can succeed.
 */
type Attempt = { ok: true; baseOffset: bigint } | { ok: false; err: unknown; sessionLost?: true }

/**
 * The kafkajs producer behind the seam, with rules kafkajs does not keep by itself.
 *
 * **One partition per request.** The idempotent producer's guarantee (each record stored once)
 * rests on sequence numbers per partition: a resend with the same numbers is recognised by the
 * broker, a resend with new ones is stored again. kafkajs moves a partition's sequence on when its
 * broker answers and rolls it back when that broker's request fails, but a `sendBatch` over
 * partitions led by several brokers sends one request per broker and reports them as one: it
 * throws the first broker's refusal while the other brokers stored theirs (and moved their
 * sequences on), so resending everything stored those twice (seen on the three-node cluster: 98
 * records stored of 62). Its own retries of such a send are no better: a broker whose answer is
 * still on its way when another broker fails gets the same records again under new numbers
 * (stored twice), and a partition whose leader moves to a broker that already answered is never
 * sent again, yet the send resolves (lost behind a false acknowledgement). So every `sendBatch`
 * here carries the records of exactly one partition: one broker, one request at a time, whose
 * outcome is the partition's. The seam chooses the partitions itself first (`PartitionChooser`),
 * sends the partitions at once (kafkajs still sends one request at a time to each broker), and an
 * acknowledgement that does not name the partition (kafkajs did not know it yet) counts as not
 * sent.
 *
 * **A cluster of one broker gets one request.** One request per partition would make a single
 * node take a batch's partitions one round trip after another (six partitions: 2.6 → 6.0 ms per
 * batch here). With one broker, kafkajs cannot split a send over brokers, and a request to one
 * broker fails or succeeds as a whole in kafkajs' books: any partition's error throws and rolls
 * back every partition's sequence number, including those the broker stored. So all partitions
 * go in one request first; what it did not acknowledge is then sent partition by partition as
 * below, with the same records in the same order and so the same sequence numbers: the broker
 * recognises the batches it stored, and the refused one is split as usual. The broker count
 * comes with the partitions (cached five minutes); a broker added meanwhile leads nothing until an
 * operator reassigns partitions to it.
 *
 * **Resend rule.** A partition's batch that may have reached the broker is resent as it was until
 * the broker answers, never given up. kafkajs gives a send up after its own retries (a broker
 * restarting takes longer than its connect retries, a leader moving to another node) and rolls
 * the partition's sequence number back. Resending the same records in the same order to the same
 * partition gives them the same sequence numbers again, so the broker either stores them or
 * recognises them as already stored: exactly once either way.
 *
 * **A refusal is the partition's.** The broker stores or refuses a partition's record batch as a
 * whole (one over `max.message.bytes` is refused), and kafkajs rolls that partition's sequence
 * back, so nothing of it is stored and its sequence number is where the broker expects it. A
 * refused batch is split in halves until the refused record stands alone; only it is answered
 * `refused`, the other partitions are not touched by it.
 *
 * **A lost session means a new kafkajs producer.** When the broker no longer knows the producer
 * (OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID) the partition's batch is sent again under a
 * new producer ID. kafkajs only asks for a producer ID on its first connect, so reconnecting the
 * same instance keeps the stale ID and sequence numbers (and was refused for ever): a new instance
 * is made, once the other partitions' requests have been answered (the old instance's requests in
 * flight must not be cut off, or their resends would be numbered afresh and stored twice).
 *
 * Calls to `sendEach` run one after another: a partition has one batch in flight at a time.
 */
export function createKafkajsProducer(
  newProducer: () => Producer,
  options: KafkajsProducerOptions,
): ProducerTransport {
  const { logger } = options
  const compression = options.compression ?? CompressionTypes.None
  const closing = new AbortController()
  const chooser = createPartitionChooser(options.partitionSource)
  let producer = newProducer()
  /** The `sendEach` call running (or the last one), which the next one waits for. */
  let previous: Promise<unknown> = Promise.resolve()

  /** Waits before resend number `resend`; throws the closed error once the producer is closed. */
  const pause = async (resend: number, err: unknown) => {
    if (closing.signal.aborted) throw closedError(err)
    await sleep(resendPauseMs(resend, options.maxRetryTimeMs), undefined, {
      signal: closing.signal,
    }).catch(() => {})
    if (closing.signal.aborted) throw closedError(err)
  }

  /** Starts a new idempotent session (a new producer ID, sequence numbers from zero), until it connects. */
  const newSession = async () => {
    for (let retry = 0; ; retry++) {
      try {
        await producer.disconnect().catch(() => {})
        producer = newProducer()
        await producer.connect()
        return
      } catch (err) {
        await pause(retry, err)
      }
    }
  }

  /** The topic's layout, asked for until Kafka answers; a missing topic is an answer too. */
  const layoutOf = async (
    topic: string,
  ): Promise<{ ok: true; layout: TopicLayout } | { ok: false; err: unknown }> => {
    for (let retry = 0; ; retry++) {
      try {
        return { ok: true, layout: await chooser.layoutOf(topic) }
      } catch (err) {
        const verdict = produceVerdict(err)
        if (verdict === 'topic-missing' || verdict === 'give-up') return { ok: false, err }
        if (retry === 0)
          logger.warn(
            { err, topic },
            'Kafka did not say which partitions the topic has; asking again until it does',
          )
        await pause(retry, err)
      }
    }
  }

  /**
   * Sends one partition's records, resending them unchanged through outages (the resend rule).
   * Returns the broker's answer, its refusal, or that the session is lost; throws only when the
   * producer is closed.
   */
  const attempt = async (group: readonly Entry[]): Promise<Attempt> => {
    const topic = topicOf(group)
    const partition = group[0]?.message.partition
    // Built once: every resend carries the same messages in the same order.
    const request: ProducerBatch = {
      acks: ACKS_ALL,
      timeout: options.requestTimeoutMs,
      compression,
      topicMessages: [{ topic, messages: group.map((e) => e.message) }],
    }
    for (let resend = 0; ; resend++) {
      let err: unknown
      try {
        const metadata = await producer.sendBatch(request)
        const ack = metadata.find((m) => m.topicName === topic && m.partition === partition)
        if (ack) {
          if (resend > 0)
            logger.info({ records: group.length, attempt: resend }, 'Kafka acknowledged a resent batch')
          return { ok: true, baseOffset: BigInt(ack.baseOffset ?? '-1') }
        }
        // kafkajs skips a partition its metadata does not have yet (the topic just grew): nothing
        // was sent, the sequence was never touched.
        err = new Error(`kafkajs did not send to partition ${partition} of ${topic}; it does not know it yet`)
      } catch (caught) {
        err = caught
        const verdict = produceVerdict(err)
        if (verdict === 'give-up' || verdict === 'topic-missing') return { ok: false, err }
        if (verdict === 'new-session') return { ok: false, err, sessionLost: true }
      }
      if (resend === 0)
        logger.warn(
          { err, records: group.length, topic, partition },
          'Kafka did not acknowledge a batch; resending it unchanged until it does',
        )
      await pause(resend, err)
    }
  }

  /**
   * Sends one partition's records (halving a refused batch to find the refused record), writing
   * each record's outcome. Returns the records still to send when the session was lost.
   */
  const sendPartition = async (part: Entry[], outcomes: RecordOutcome[]): Promise<Entry[]> => {
    // Groups still to send, in order: the partition's records keep their order.
    const groups: Entry[][] = [part]
    for (let group = groups.shift(); group !== undefined; group = groups.shift()) {
      let result: Attempt
      try {
        result = await attempt(group)
      } catch (err) {
        const unknown = err instanceof LedgerError ? err : closedError(err)
        for (const e of [group, ...groups].flat()) outcomes[e.index] = { status: 'unknown', error: unknown }
        return []
      }
      if (result.ok) {
        storedOutcomes(group, result.baseOffset, outcomes)
      } else if (result.sessionLost) {
        logger.warn(
          { err: result.err, records: group.length },
          'Kafka no longer knows this producer session (it lost data or expired the producer ID); starting a new session and resending the batch',
        )
        return [group, ...groups].flat()
      } else if (group.length > 1 && RECORD_REFUSALS.has(refusalType(result.err) ?? '')) {
        // Refused as a whole (nothing of it stored) for what one record may cause: halve it to
        // find the record.
        const half = Math.ceil(group.length / 2)
        groups.unshift(group.slice(0, half), group.slice(half))
      } else {
        if (refusalType(result.err) === 'UNKNOWN_TOPIC_OR_PARTITION') chooser.forget(topicOf(group))
        const error = refusalError(group, result.err)
        for (const e of group) outcomes[e.index] = { status: 'refused', error }
      }
    }
    return []
  }

  /**
   * Sends every partition's records in one request (one broker only, see above). Writes the
   * outcomes of what it acknowledged and returns the partitions still to send one by one.
   */
  const sendTogether = async (parts: Entry[][], outcomes: RecordOutcome[]): Promise<Entry[][]> => {
    const request: ProducerBatch = {
      acks: ACKS_ALL,
      timeout: options.requestTimeoutMs,
      compression,
      topicMessages: [...groupBy(parts.flat(), (e) => e.record.topic)].map(([topic, group]) => ({
        topic,
        messages: group.map((e) => e.message),
      })),
    }
    let metadata: Awaited<ReturnType<Producer['sendBatch']>>
    try {
      metadata = await producer.sendBatch(request)
    } catch (err) {
      if (closing.signal.aborted) {
        for (const e of parts.flat()) outcomes[e.index] = { status: 'unknown', error: closedError(err) }
        return []
      }
      logger.debug(
        { err, partitions: parts.length },
        'Kafka did not take the request whole; sending it partition by partition',
      )
      return parts
    }
    return parts.filter((part) => {
      const partition = part[0]?.message.partition
      const ack = metadata.find((m) => m.topicName === topicOf(part) && m.partition === partition)
      if (ack) storedOutcomes(part, BigInt(ack.baseOffset ?? '-1'), outcomes)
      return !ack
    })
  }

  /**
   * Chooses each record's partition; records of a topic that cannot take them are answered here.
   * `together` says whether the partitions may share a request: every topic's cluster has one broker.
   */
  const partitioned = async (
    entries: Entry[],
    outcomes: RecordOutcome[],
  ): Promise<{ parts: Entry[][]; together: boolean }> => {
    const parts: Entry[][] = []
    let together = true
    await Promise.all(
      [...groupBy(entries, (e) => e.record.topic)].map(async ([topic, group]) => {
        let lookup: Awaited<ReturnType<typeof layoutOf>>
        try {
          lookup = await layoutOf(topic)
        } catch (err) {
          const unknown = err instanceof LedgerError ? err : closedError(err)
          for (const e of group) outcomes[e.index] = { status: 'unknown', error: unknown }
          return
        }
        if (!lookup.ok) {
          const error = refusalError(group, lookup.err)
          for (const e of group) outcomes[e.index] = { status: 'refused', error }
          return
        }
        const { partitions, brokers } = lookup.layout
        if (brokers !== 1) together = false
        for (const e of group) chooser.choose(topic, partitions, e.message)
        parts.push(...groupBy(group, (e) => e.message.partition).values())
      }),
    )
    return { parts, together }
  }

  const sendAll = async (records: readonly OutgoingRecord[]): Promise<RecordOutcome[]> => {
    // kafkajs would quietly reconnect a disconnected producer to send.
    if (closing.signal.aborted) throw closedError(undefined)
    const outcomes: RecordOutcome[] = []
    const entries = records.map((record, index) => ({ index, record, message: toMessage(record) }))
    const layout = await partitioned(entries, outcomes)
    let parts = layout.parts
    if (layout.together && parts.length > 1) parts = await sendTogether(parts, outcomes)
    while (parts.length > 0) {
      const left = (await Promise.all(parts.map((part) => sendPartition(part, outcomes)))).filter(
        (rest) => rest.length > 0,
      )
      if (left.length === 0) break
      // Every request of the old session has been answered: none is cut off by the switch.
      try {
        await newSession()
      } catch (err) {
        const unknown = err instanceof LedgerError ? err : closedError(err)
        for (const e of left.flat()) outcomes[e.index] = { status: 'unknown', error: unknown }
        break
      }
      parts = left
    }
    return outcomes
  }

  const sendEach = (records: readonly OutgoingRecord[]): Promise<RecordOutcome[]> => {
    const run = previous.then(() => sendAll(records))
    previous = run.catch(() => {})
    return run
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
      await Promise.all([producer.disconnect(), options.partitionSource.disconnect()])
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

/** The topic of a group's records (one partition's, so one topic). */
function topicOf(group: readonly Entry[]): string {
  return group[0]?.record.topic ?? ''
}

/** The entries by `key`, each group in the entries' order. */
function groupBy<K>(entries: readonly Entry[], key: (e: Entry) => K): Map<K, Entry[]> {
  const groups = new Map<K, Entry[]>()
  for (const entry of entries) {
    const k = key(entry)
    let group = groups.get(k)
    if (!group) groups.set(k, (group = []))
    group.push(entry)
  }
  return groups
}

/** Each record's offset: the partition's base offset plus its place among the group's records. */
function storedOutcomes(group: readonly Entry[], baseOffset: bigint, outcomes: RecordOutcome[]): void {
  group.forEach(({ index, record, message }, i) => {
    const partition = message.partition ?? -1
    outcomes[index] = {
      status: 'stored',
      topic: record.topic,
      partition,
      offset: String(baseOffset + BigInt(i)),
    }
  })
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
