import { errorChain } from '@integration-ledger/core'

/**
 * What to do with a batch kafkajs failed to produce:
 * - `resend`: the broker may or may not have it (connection lost, restart, timeout); send the same
 *   records again, which the idempotent producer numbers the same, so the broker dedups them;
 * - `new-session`: the broker no longer knows this producer's sequence numbers (it lost data, or
 *   expired the producer ID); no resend under this producer ID can succeed;
 * - `give-up`: the broker refused the records for good (too large, invalid, not authorised), so
 *   they are not stored and resending cannot help;
 * - `topic-missing`: a topic does not exist; nothing was sent.
 */
export type ProduceVerdict = 'resend' | 'new-session' | 'give-up' | 'topic-missing'

const PRODUCER_STATE_LOST = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
])

/**
 * Topic auto-creation is off, so a missing topic stays missing; kafkajs reports it while fetching
 * metadata, before any record is sent. (kafkajs calls it retriable.)
 */
const TOPIC_MISSING = 'UNKNOWN_TOPIC_OR_PARTITION'

/** Reads the broker's error code (kafkajs' `type`) from anywhere in the cause chain. */
export function produceVerdict(err: unknown): ProduceVerdict {
  for (const link of errorChain(err)) {
    const { type, retriable } = link as { type?: unknown; retriable?: unknown }
    if (typeof type !== 'string') continue
    if (PRODUCER_STATE_LOST.has(type)) return 'new-session'
    if (type === TOPIC_MISSING) return 'topic-missing'
    if (retriable === false) return 'give-up'
  }
  return 'resend'
}

/** The broker's error code (kafkajs' `type`) behind a refusal, if it names one. */
export function refusalType(err: unknown): string | undefined {
  for (const link of errorChain(err)) {
    const { type } = link as { type?: unknown }
    if (typeof type === 'string') return type
  }
  return undefined
}
