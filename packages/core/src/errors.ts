/**
 * Every error code the ledger raises. The code, not the message, is what callers, HTTP mappers
 * and the retry router branch on.
 */
export const ERROR_CODES = [
  'CONFIG_INVALID',
  'BROKER_UNAVAILABLE',
  'BROKER_TIMEOUT',
  'TOPIC_NOT_FOUND',
  'RECORD_TOO_LARGE',
  'REGISTRY_UNAVAILABLE',
  'DATABASE_UNAVAILABLE',
  'DECODE_FAILED',
  'VALIDATION_FAILED',
  'SIGNATURE_INVALID',
  'UNKNOWN_SOURCE',
  'CONFLICT',
  'HANDLER_FAILED',
  'PROVIDER_UNAVAILABLE',
  'PROVIDER_RATE_LIMITED',
  'PROVIDER_REJECTED',
  'PROVIDER_CREDENTIALS_INVALID',
  'PROVIDER_OUTCOME_UNKNOWN',
  'CIRCUIT_OPEN',
  'PROVIDER_ANSWER_INVALID',
  'OVERLOADED',
  'NOT_FOUND',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'SIGNATURE_REJECTED',
  'BODY_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'RATE_LIMITED',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

export interface LedgerErrorOptions {
  /** Whether doing the same thing again later may succeed. @default false */
  retryable?: boolean
  /** The lower-level error this one wraps. */
  cause?: unknown
  /** Structured, secret-free context for logs and API bodies. */
  details?: Record<string, unknown>
  /** When the caller should try again, in milliseconds, if known. */
  retryAfterMs?: number
}

/**
 * Base class of every error the ledger raises on purpose. It carries a stable `code`, a
 * `retryable` flag that the retry router reads, and a message that says what to do next.
 */
export class LedgerError extends Error {
  readonly code: ErrorCode
  readonly retryable: boolean
  readonly details: Record<string, unknown>
  readonly retryAfterMs: number | undefined

  constructor(code: ErrorCode, message: string, options: LedgerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'LedgerError'
    this.code = code
    this.retryable = options.retryable ?? false
    this.details = options.details ?? {}
    this.retryAfterMs = options.retryAfterMs
  }
}

/** A failure that will not go away by retrying: route it to the DLQ (or quarantine) at once. */
export class PermanentError extends LedgerError {
  constructor(code: ErrorCode, message: string, options: Omit<LedgerErrorOptions, 'retryable'> = {}) {
    super(code, message, { ...options, retryable: false })
    this.name = 'PermanentError'
  }
}

/** A failure that is expected to pass (outage, timeout, throttling): retry later. */
export class TransientError extends LedgerError {
  constructor(code: ErrorCode, message: string, options: Omit<LedgerErrorOptions, 'retryable'> = {}) {
    super(code, message, { ...options, retryable: true })
    this.name = 'TransientError'
  }
}

/** Walks `err` and its `cause` chain, outermost first, stopping at cycles. */
export function* errorChain(err: unknown): Generator<unknown> {
  const seen = new Set<unknown>()
  let current: unknown = err
  while (current !== undefined && current !== null && !seen.has(current)) {
    seen.add(current)
    yield current
    current = current instanceof Error ? current.cause : undefined
  }
}

/**
 * Decides retry versus DLQ. The outermost `LedgerError` in the chain wins, because the layer that
 * wrapped an error knows more than the layer that raised it. Errors we did not classify are
 * treated as transient: an unknown failure is retried a bounded number of times before the DLQ,
 * which loses nothing, whereas calling it permanent would skip the retries.
 */
export function isRetryable(err: unknown): boolean {
  for (const link of errorChain(err)) {
    if (link instanceof LedgerError) return link.retryable
  }
  return true
}

/** The first `LedgerError` in the chain, if any. */
export function findLedgerError(err: unknown): LedgerError | undefined {
  for (const link of errorChain(err)) {
    if (link instanceof LedgerError) return link
  }
  return undefined
}

/** A one-line description safe to store in headers and logs: class, code and a truncated message. */
export function describeError(err: unknown, maxLength = 300): { errorClass: string; message: string } {
  const ledgerError = findLedgerError(err)
  const errorClass = ledgerError?.code ?? (err instanceof Error ? err.name : typeof err)
  const raw = err instanceof Error ? err.message : String(err)
  return { errorClass, message: raw.length > maxLength ? `${raw.slice(0, maxLength - 1)}…` : raw }
}
