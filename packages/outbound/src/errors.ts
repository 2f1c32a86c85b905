import { LedgerError, type ErrorCode } from '@integration-ledger/core'
import type { OutboundResult } from './types.js'

/**
 * A call to a provider that did not succeed. `result` holds every attempt and the provider's
 * answer; it is not enumerable, so a logger's error serializer does not copy the answer's body
 * (which may hold customer or payment data) into the log. `details` is secret-free.
 */
export class OutboundError extends LedgerError {
  declare readonly result: OutboundResult

  constructor(code: ErrorCode, message: string, result: OutboundResult, retryable: boolean) {
    const last = result.attempts.at(-1)
    super(code, message, {
      retryable,
      ...(result.retryAfterMs === undefined ? {} : { retryAfterMs: result.retryAfterMs }),
      details: {
        provider: result.provider,
        operation: result.operation,
        outcome: result.outcome.kind,
        reason: last?.reason,
        status: result.outcome.answer?.status,
        attempts: result.attempts.length,
      },
    })
    this.name = 'OutboundError'
    Object.defineProperty(this, 'result', { value: result, enumerable: false })
  }
}

/** 4xx other than 401/403/408/429: the request itself is wrong; fix it, do not retry it. */
export class ProviderRejectedError extends OutboundError {
  constructor(message: string, result: OutboundResult) {
    super('PROVIDER_REJECTED', message, result, false)
    this.name = 'ProviderRejectedError'
  }
}

/** 401, or 403 that is not a rate limit: the credential is wrong, revoked or lacks a scope. */
export class ProviderCredentialsError extends OutboundError {
  constructor(message: string, result: OutboundResult) {
    super('PROVIDER_CREDENTIALS_INVALID', message, result, false)
    this.name = 'ProviderCredentialsError'
  }
}

/**
 * The provider did not process the call (no connection, 408); retrying later is safe, and helps
 * unless the cause is ours (`retryable: false` for a failed TLS handshake).
 */
export class ProviderUnavailableError extends OutboundError {
  constructor(message: string, result: OutboundResult, retryable = true) {
    super('PROVIDER_UNAVAILABLE', message, result, retryable)
    this.name = 'ProviderUnavailableError'
  }
}

/** The provider's rate limit refused the call, or waiting it out would exceed the call's budget. */
export class ProviderRateLimitedError extends OutboundError {
  constructor(message: string, result: OutboundResult) {
    super('PROVIDER_RATE_LIMITED', message, result, true)
    this.name = 'ProviderRateLimitedError'
  }
}

/**
 * The provider may or may not have done it. Retryable only when the call is safe to repeat
 * (idempotent or keyed); otherwise read the remote state to learn what happened.
 */
export class ProviderOutcomeUnknownError extends OutboundError {
  constructor(message: string, result: OutboundResult) {
    super('PROVIDER_OUTCOME_UNKNOWN', message, result, result.safeToRepeat)
    this.name = 'ProviderOutcomeUnknownError'
  }
}

/** The provider's circuit breaker is open: the call was not sent. */
export class ProviderCircuitOpenError extends OutboundError {
  constructor(message: string, result: OutboundResult) {
    super('CIRCUIT_OPEN', message, result, true)
    this.name = 'ProviderCircuitOpenError'
  }
}

/** The typed error of a call that did not succeed, with a message that says what to do. */
export function outboundErrorFor(result: OutboundResult): OutboundError {
  const { outcome, provider, operation } = result
  const call = `${provider} ${operation}`
  const tries = `after ${result.attempts.length} attempt(s)`
  switch (outcome.kind) {
    case 'succeeded':
      throw new TypeError('outboundErrorFor called with a successful result')
    case 'rejected':
      return outcome.credentialsProblem
        ? new ProviderCredentialsError(
            `${call} was refused with ${outcome.answer.status}: the credential is invalid, revoked or lacks the permission; renew it or grant the scope, then retry.`,
            result,
          )
        : new ProviderRejectedError(
            `${call} was rejected with ${outcome.answer.status}; the request is wrong and retrying will not help (the answer is in the error's result).`,
            result,
          )
    case 'ambiguous':
      return new ProviderOutcomeUnknownError(
        result.safeToRepeat
          ? `${call} got no clear answer ${tries} (${outcome.reason}); it is safe to repeat later${result.idempotencyKey ? ' with the same idempotency key' : ''}.`
          : `${call} got no clear answer (${outcome.reason}) and may have been carried out; it was not repeated because it has no idempotency key: read the provider's state before doing it again.`,
        result,
      )
    case 'failed-before-processing':
      switch (outcome.reason) {
        case 'circuit-open':
          return new ProviderCircuitOpenError(
            `${call} was not sent: ${provider} failed repeatedly and calls to it are paused; retry after the Retry-After delay.`,
            result,
          )
        case 'rate-limited':
        case 'throttle-wait-too-long':
          return new ProviderRateLimitedError(
            `${call} is held back by ${provider}'s rate limit ${tries}; retry after the Retry-After delay.`,
            result,
          )
        case 'tls':
          return new ProviderUnavailableError(
            `${call} failed in the TLS handshake; check the provider's base URL and the system's CA certificates.`,
            result,
            false,
          )
        default:
          return new ProviderUnavailableError(
            `${call} could not reach ${provider} ${tries} (${outcome.reason}); nothing was processed, retry later.`,
            result,
          )
      }
  }
}
