import { findLedgerError, type ErrorCode } from '@ledger/core'
import type { FastifyError, FastifyInstance } from 'fastify'

/** The one place a ledger error code becomes an HTTP status. */
const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  VALIDATION_FAILED: 400,
  DECODE_FAILED: 400,
  SIGNATURE_INVALID: 401,
  UNAUTHORIZED: 401,
  UNKNOWN_SOURCE: 404,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RECORD_TOO_LARGE: 413,
  PROVIDER_RATE_LIMITED: 429,
  BROKER_UNAVAILABLE: 503,
  BROKER_TIMEOUT: 503,
  REGISTRY_UNAVAILABLE: 503,
  DATABASE_UNAVAILABLE: 503,
  CIRCUIT_OPEN: 503,
  OVERLOADED: 503,
}

export function httpStatusFor(code: ErrorCode): number {
  return STATUS_BY_CODE[code] ?? 500
}

/**
 * Installs the service's single error handler. Ledger errors answer with their code and message
 * (written to be shown); anything else is a 500 whose message never leaves the process.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const ledgerError = findLedgerError(err)
    if (ledgerError) {
      const status = httpStatusFor(ledgerError.code)
      if (ledgerError.retryAfterMs !== undefined || status === 503) {
        void reply.header(
          'retry-after',
          String(Math.max(1, Math.ceil((ledgerError.retryAfterMs ?? 1000) / 1000))),
        )
      }
      if (status >= 500) request.log.warn({ err: ledgerError }, 'request failed with a server-side condition')
      return reply.status(status).send({ error: ledgerError.code, message: ledgerError.message })
    }
    // fastify's own errors (body too large, bad JSON, schema validation) carry a 4xx statusCode.
    if (err.statusCode !== undefined && err.statusCode < 500) {
      return reply.status(err.statusCode).send({ error: err.code ?? 'BAD_REQUEST', message: err.message })
    }
    request.log.error({ err }, 'unhandled error')
    return reply
      .status(500)
      .send({ error: 'INTERNAL', message: 'Internal error; see the service log for this correlation ID.' })
  })
}
