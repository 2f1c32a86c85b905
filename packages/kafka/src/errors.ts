import { LedgerError, TransientError } from '@ledger/core'

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
