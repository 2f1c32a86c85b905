import type { AnswerView, RateLimitReading } from './policy.js'

/** An answer the provider sent: status, lower-cased headers, parsed JSON body (if JSON) and raw text. */
export interface Answer extends AnswerView {
  text: string
}

/**
 * Why a request is known not to have been processed, so repeating it is safe:
 * - `connection-refused`, `connect-timeout`, `dns`: no connection was made;
 * - `tls`: the TLS handshake failed (a configuration problem: not retried);
 * - `rate-limited`: the provider refused it for the rate limit (429, a GitHub secondary-limit
 *   403, a THROTTLED GraphQL answer), which providers apply before processing;
 * - `request-timeout`: the provider answered 408;
 * - `circuit-open`: the client did not send it because the provider's breaker is open;
 * - `throttle-wait-too-long`: the client did not send it because the credential's bucket would
 *   make it wait longer than the call's waiting budget.
 */
export type BeforeProcessingReason =
  | 'connection-refused'
  | 'connect-timeout'
  | 'dns'
  | 'tls'
  | 'rate-limited'
  | 'request-timeout'
  | 'circuit-open'
  | 'throttle-wait-too-long'

/**
 * Why the provider may or may not have processed the request:
 * - `timeout`: no (complete) answer within the timeouts after the request was sent;
 * - `connection-lost`: the connection broke after it was established;
 * - `server-error`: a 5xx (Stripe documents a 500's result as indeterminate).
 */
export type AmbiguousReason = 'timeout' | 'connection-lost' | 'server-error'

/** What became of one attempt, or of a whole call (the last attempt's outcome). */
export type Outcome =
  | { kind: 'succeeded'; answer: Answer }
  | { kind: 'failed-before-processing'; reason: BeforeProcessingReason; answer?: Answer }
  /** 4xx other than 408/429: never retried. `credentialsProblem` for 401, and 403 unless read as a rate limit. */
  | { kind: 'rejected'; answer: Answer; credentialsProblem: boolean }
  | { kind: 'ambiguous'; reason: AmbiguousReason; answer?: Answer }

export type OutcomeKind = Outcome['kind']

/** Classifies an answer, given what the policy read from it. */
export function classifyAnswer(answer: Answer, reading: RateLimitReading): Outcome {
  if (reading.throttled || answer.status === 429) {
    return { kind: 'failed-before-processing', reason: 'rate-limited', answer }
  }
  if (answer.status < 400) return { kind: 'succeeded', answer }
  if (answer.status === 408) return { kind: 'failed-before-processing', reason: 'request-timeout', answer }
  if (answer.status >= 500) return { kind: 'ambiguous', reason: 'server-error', answer }
  return { kind: 'rejected', answer, credentialsProblem: answer.status === 401 || answer.status === 403 }
}

const NOT_CONNECTED: Record<string, BeforeProcessingReason> = {
  ECONNREFUSED: 'connection-refused',
  EHOSTUNREACH: 'connection-refused',
  ENETUNREACH: 'connection-refused',
  EADDRNOTAVAIL: 'connection-refused',
  UND_ERR_CONNECT_TIMEOUT: 'connect-timeout',
  ETIMEDOUT: 'connect-timeout',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
}

function errorCodes(err: unknown): string[] {
  const codes: string[] = []
  const seen = new Set<unknown>()
  let current: unknown = err
  while (typeof current === 'object' && current !== null && !seen.has(current)) {
    seen.add(current)
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string') codes.push(code)
    const nested = (current as { errors?: unknown }).errors
    if (Array.isArray(nested)) for (const inner of nested) codes.push(...errorCodes(inner))
    current = (current as { cause?: unknown }).cause
  }
  return codes
}

/**
 * Classifies a transport failure. Only failures that prove no connection was made count as
 * "before processing"; anything after connecting is ambiguous, because undici does not tell
 * whether the request had reached the provider. A stale keep-alive connection closed before the
 * write is therefore called ambiguous too: the safe side, since it only stops the retry of a
 * non-idempotent request that carries no idempotency key.
 */
export function classifyTransportError(err: unknown, timedOut: boolean): Outcome {
  const codes = errorCodes(err)
  for (const code of codes) {
    const reason = NOT_CONNECTED[code]
    if (reason) return { kind: 'failed-before-processing', reason }
    if (code.startsWith('ERR_TLS') || code.includes('CERT'))
      return { kind: 'failed-before-processing', reason: 'tls' }
  }
  if (
    timedOut ||
    codes.some((code) => code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
  ) {
    return { kind: 'ambiguous', reason: 'timeout' }
  }
  return { kind: 'ambiguous', reason: 'connection-lost' }
}

/** `2xx`, `4xx`, … for metrics; `none` when there was no answer. */
export function statusClass(outcome: Outcome): string {
  const status = outcome.answer?.status
  return status === undefined ? 'none' : `${Math.floor(status / 100)}xx`
}

/** A short reason for logs and metrics. */
export function outcomeReason(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'succeeded':
      return 'ok'
    case 'rejected':
      return outcome.credentialsProblem ? 'credentials' : `status-${outcome.answer.status}`
    default:
      return outcome.reason
  }
}
