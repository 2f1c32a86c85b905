import { LedgerError, PermanentError, TransientError } from '@integration-ledger/core'
import { MAX_RECORD_BATCH_BYTES } from './limits.js'

/**
 * Wraps a client error as a ledger error. Broker-side and connection failures are transient; the
 * client's own "non-retriable" verdicts (bad config, record too large) are not.
 */
export function toBrokerError(err: unknown, action: string): LedgerError {
  if (err instanceof LedgerError) return err
  const name = err instanceof Error ? err.name : ''
  const retriable = (err as { retriable?: boolean } | null)?.retriable
  const message = `Kafka ${action} failed: ${err instanceof Error ? err.message : String(err)}`
  if (retriable === false && !/Connection|NumberOfRetriesExceeded|Timeout/.test(name)) {
    return new LedgerError('BROKER_UNAVAILABLE', message, { cause: err, retryable: false })
  }
  return new TransientError(
    'BROKER_UNAVAILABLE',
    `${message}. The broker is unreachable or slow; retry later.`,
    {
      cause: err,
    },
  )
}

/**
 * A record that can never be stored: larger than the topic takes. Permanent: sending it again
 * cannot succeed. The message is written for whoever sent the record (an HTTP caller sees it as
 * it is), so it names the limit but not the topic; the topic is in `details`, for the log.
 * @param limit the limit it was measured against; undefined when the broker refused it (the
 *   topic's own setting, below the declared one), which the answer does not hold.
 */
export function recordTooLargeError(
  topic: string,
  bytes: number,
  limit: number | undefined,
  cause?: unknown,
): PermanentError {
  const against =
    limit === undefined
      ? `its max.message.bytes is set below the ${MAX_RECORD_BATCH_BYTES} bytes the ledger declares`
      : `${limit} bytes`
  return new PermanentError(
    'RECORD_TOO_LARGE',
    `The record is about ${bytes} bytes, more than the Kafka topic takes per record (${against}). It was not stored, and sending it again cannot succeed: send a smaller one.`,
    { cause, details: { topic, bytes, ...(limit === undefined ? {} : { limit }) } },
  )
}
