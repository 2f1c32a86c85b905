import { setTimeout as sleep } from 'node:timers/promises'
import { LedgerError, TransientError, type Logger } from '@ledger/core'
import {
  CompressionTypes,
  type Message,
  type Producer,
  type ProducerBatch,
  type RecordMetadata,
} from 'kafkajs'
import { toBrokerError } from '../errors.js'
import { produceVerdict } from './produce-verdict.js'
import type { OutgoingRecord, ProduceAck, ProducerTransport } from '../types.js'

/** acks=all: the write counts only once every in-sync replica has it. */
const ACKS_ALL = -1

export interface KafkajsProducerOptions {
  requestTimeoutMs: number
  /** Longest pause between two resends of a batch. */
  maxRetryTimeMs: number
  logger: Logger
}

/**
 * The kafkajs producer behind the seam, with one rule kafkajs does not keep by itself: a batch that
 * may have reached the broker is resent as it was until the broker answers, never given up.
 *
 * kafkajs gives a send up after its own retries (a broker restarting takes longer than its connect
 * retries) and rolls the partition's sequence number back. The next, different batch then reuses
 * those sequence numbers: if the broker had stored the abandoned batch, it refuses every later one
 * with OUT_OF_ORDER_SEQUENCE_NUMBER, for good (seen with a broker stopped mid-traffic). Resending
 * the same records in the same order gives them the same sequence numbers again, so the broker
 * either stores them or recognises them as already stored: exactly once either way.
 */
export function createKafkajsProducer(
  producer: Producer,
  options: KafkajsProducerOptions,
): ProducerTransport {
  const { logger } = options
  const closing = new AbortController()

  /** Starts a new idempotent session (new producer ID, sequences from zero). */
  const resetSession = async () => {
    await producer.disconnect().catch(() => {})
    await producer.connect()
  }

  return {
    async connect() {
      try {
        await producer.connect()
      } catch (err) {
        throw toBrokerError(err, 'producer connect')
      }
    },

    async send(records: readonly OutgoingRecord[]): Promise<ProduceAck[]> {
      // kafkajs would quietly reconnect a disconnected producer to send.
      if (closing.signal.aborted) throw closedError(undefined)
      // Built once: every resend carries the same records in the same order.
      const request = produceRequest(records, options.requestTimeoutMs)
      let pauseMs = 100
      let sessionLost = false
      for (let attempt = 0; ; attempt++) {
        try {
          if (sessionLost) {
            await resetSession()
            sessionLost = false
          }
          const acks = toAcks(await producer.sendBatch(request))
          if (attempt > 0)
            logger.info({ records: records.length, attempt }, 'Kafka acknowledged a resent batch')
          return acks
        } catch (err) {
          const verdict = produceVerdict(err)
          if (verdict === 'give-up') throw toBrokerError(err, 'produce')
          if (verdict === 'topic-missing') throw topicMissingError(records, err)
          if (closing.signal.aborted) throw closedError(err)
          if (verdict === 'new-session' && !sessionLost) {
            sessionLost = true
            logger.warn(
              { err, records: records.length },
              'Kafka no longer knows this producer session (it lost data or expired the producer ID); starting a new session and resending the batch',
            )
          } else if (attempt === 0) {
            logger.warn(
              { err, records: records.length },
              'Kafka did not acknowledge a batch; resending it unchanged until it does',
            )
          }
          await sleep(pauseMs, undefined, { signal: closing.signal }).catch(() => {})
          if (closing.signal.aborted) throw closedError(err)
          pauseMs = Math.min(options.maxRetryTimeMs, pauseMs * 2)
        }
      }
    },

    async disconnect() {
      closing.abort()
      await producer.disconnect()
    },
  }
}

/** One produce request per broker for all records, grouped by topic in their original order. */
function produceRequest(records: readonly OutgoingRecord[], timeoutMs: number): ProducerBatch {
  const byTopic = new Map<string, Message[]>()
  for (const record of records) {
    let messages = byTopic.get(record.topic)
    if (!messages) byTopic.set(record.topic, (messages = []))
    messages.push({
      key: record.key,
      value: record.value,
      ...(record.headers ? { headers: record.headers } : {}),
    })
  }
  return {
    acks: ACKS_ALL,
    timeout: timeoutMs,
    compression: CompressionTypes.None,
    topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
  }
}

function toAcks(metadata: RecordMetadata[]): ProduceAck[] {
  return metadata.map((m) => ({
    topic: m.topicName,
    partition: m.partition,
    baseOffset: m.baseOffset ?? '-1',
  }))
}

function topicMissingError(records: readonly OutgoingRecord[], cause: unknown): LedgerError {
  const topics = [...new Set(records.map((r) => r.topic))].join(', ')
  return new LedgerError(
    'TOPIC_NOT_FOUND',
    `Kafka has no topic ${topics} (or not all of them), and topics are never created on first use: declare it with declareTopology() so ensureTopics() creates it at start-up, or fix the topic name. Nothing was sent.`,
    { cause },
  )
}

function closedError(cause: unknown): TransientError {
  return new TransientError(
    'BROKER_UNAVAILABLE',
    'The producer was closed before Kafka acknowledged these records; they may or may not be stored. Whoever tracks them must treat their outcome as unknown.',
    { cause },
  )
}
