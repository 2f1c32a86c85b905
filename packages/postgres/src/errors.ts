import { LedgerError, PermanentError, TransientError } from '@integration-ledger/core'

/** Node socket errors that mean the server could not be reached or went away. */
const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
])

/**
 * SQLSTATEs meaning "the server cannot serve now": 08 connection exception, 53 insufficient
 * resources, 57P01-57P03 shutdown / not yet accepting connections.
 */
function isUnavailable(sqlState: string | undefined, errno: string | undefined, message: string): boolean {
  if (errno !== undefined && CONNECTION_ERRNOS.has(errno)) return true
  if (sqlState?.startsWith('08') || sqlState?.startsWith('53')) return true
  if (sqlState === '57P01' || sqlState === '57P02' || sqlState === '57P03') return true
  // node-postgres reports a dropped socket or a connect timeout without a code.
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(message)
}

/**
 * Classifies a PostgreSQL failure for the SDK's retry router:
 * - unreachable server → `TransientError('DATABASE_UNAVAILABLE')`, which makes the consumer pause
 *   and back off rather than push records into retry topics;
 * - data (22), integrity (23) and program-limit (54: stack depth exceeded, statement too complex)
 *   errors → `PermanentError('VALIDATION_FAILED')`: the same records will fail the same way
 *   forever, so they belong in the DLQ;
 * - anything else (deadlock, serialization failure, statement timeout) → transient, retried.
 */
export function toDatabaseError(err: unknown, action: string): LedgerError {
  if (err instanceof LedgerError) return err
  const { code, message } = (err ?? {}) as { code?: string; message?: string }
  const text = message ?? String(err)
  const sqlState = code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
  const errno = sqlState === undefined ? code : undefined
  if (isUnavailable(sqlState, errno, text)) {
    return new TransientError(
      'DATABASE_UNAVAILABLE',
      `PostgreSQL unavailable while ${action}: ${text}. Consumption pauses until it answers again.`,
      { cause: err },
    )
  }
  if (sqlState?.startsWith('22') || sqlState?.startsWith('23') || sqlState?.startsWith('54')) {
    return new PermanentError('VALIDATION_FAILED', `PostgreSQL rejected the data while ${action}: ${text}`, {
      cause: err,
      details: { sqlState },
    })
  }
  return new TransientError('HANDLER_FAILED', `PostgreSQL failed while ${action}: ${text}`, {
    cause: err,
    details: sqlState === undefined ? {} : { sqlState },
  })
}
