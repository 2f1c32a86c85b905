import { findLedgerError, type ErrorCode, type LedgerError } from '@integration-ledger/core'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'

/** How one error code is answered over HTTP. */
interface ErrorAnswer {
  status: number
  /**
   * For 5xx: what the caller is told instead of the error's own message, which may carry what a
   * lower layer said (broker addresses, topic names, SQL). The full error goes to the log.
   */
  publicMessage?: string
  /**
   * The error's own message is shown even on a 5xx: every place that raises this code composes
   * the message from facts meant for the caller.
   */
  exposeMessage?: true
}

const RETRY_SAME =
  'retry after the Retry-After delay with the same request; one that was stored after all is answered as a duplicate'

/**
 * The one place a ledger error code becomes an HTTP answer. Total over `ErrorCode`, so a new code
 * does not compile until it is given a status here.
 */
const ANSWERS: Record<ErrorCode, ErrorAnswer> = {
  VALIDATION_FAILED: { status: 400 },
  DECODE_FAILED: { status: 400 },
  SIGNATURE_INVALID: { status: 401 },
  SIGNATURE_REJECTED: { status: 401 },
  UNAUTHORIZED: { status: 401 },
  FORBIDDEN: { status: 403 },
  UNKNOWN_SOURCE: { status: 404 },
  NOT_FOUND: { status: 404 },
  CONFLICT: { status: 409 },
  BODY_TOO_LARGE: { status: 413 },
  RECORD_TOO_LARGE: { status: 413 },
  UNSUPPORTED_MEDIA_TYPE: { status: 415 },
  RATE_LIMITED: { status: 429 },
  PROVIDER_RATE_LIMITED: { status: 429 },
  CONFIG_INVALID: {
    status: 503,
    publicMessage:
      'This part of the service is switched off or misconfigured; an operator must fix its configuration (the service log names the setting).',
  },
  TOPIC_NOT_FOUND: {
    status: 500,
    publicMessage:
      'The Kafka topic this request is published to does not exist, so nothing was stored; an operator must create it (the service log names it), then retry.',
  },
  HANDLER_FAILED: {
    status: 500,
    publicMessage:
      'The request failed inside the service; retry later, and report the correlation ID if it persists.',
  },
  PROVIDER_UNAVAILABLE: {
    status: 502,
    publicMessage: 'A service this request depends on is unavailable; retry later.',
  },
  PROVIDER_REJECTED: {
    status: 502,
    publicMessage: 'A service this request depends on refused it; report the correlation ID to an operator.',
  },
  PROVIDER_CREDENTIALS_INVALID: {
    status: 502,
    publicMessage:
      'A service this request depends on refused our credentials; an operator must renew them (the service log names the provider).',
  },
  PROVIDER_OUTCOME_UNKNOWN: {
    status: 502,
    publicMessage:
      'A service this request depends on did not confirm whether it carried the request out; check its state before repeating the request.',
  },
  PROVIDER_ANSWER_INVALID: {
    status: 502,
    publicMessage:
      'A service this request depends on answered in a shape we do not understand; report the correlation ID to an operator.',
  },
  BROKER_UNAVAILABLE: { status: 503, publicMessage: `Kafka could not store the event now; ${RETRY_SAME}.` },
  BROKER_TIMEOUT: {
    status: 503,
    publicMessage: `Kafka did not acknowledge the event in time; ${RETRY_SAME}.`,
  },
  REGISTRY_UNAVAILABLE: {
    status: 503,
    publicMessage:
      'The schema registry is unavailable, so nothing was stored; retry after the Retry-After delay.',
  },
  DATABASE_UNAVAILABLE: {
    status: 503,
    publicMessage: 'The database is unavailable, so nothing was stored; retry after the Retry-After delay.',
  },
  CIRCUIT_OPEN: {
    status: 503,
    publicMessage: 'A dependency is failing and calls to it are paused; retry after the Retry-After delay.',
  },
  OVERLOADED: { status: 503, exposeMessage: true },
}

/** The HTTP status of an error code. */
export function httpStatusFor(code: ErrorCode): number {
  return ANSWERS[code].status
}

/**
 * The body of every error answer: `reason` when the error gives one, `correlationId` on 5xx. Also
 * the `ErrorBody` component of every service's OpenAPI document (`registerOpenApi`).
 */
export const errorBodySchema = z
  .object({
    error: z.string().meta({ description: 'The error code, e.g. VALIDATION_FAILED (see the status).' }),
    message: z.string().meta({ description: 'What was wrong and what to do; names the field or header.' }),
    reason: z.string().optional().meta({ description: 'A finer reason, e.g. bad_signature on a 401.' }),
    correlationId: z
      .string()
      .optional()
      .meta({ description: 'On 5xx: the ID the service log holds the details under.' }),
  })
  .meta({
    id: 'ErrorBody',
    description:
      'Every error answer of every service. Codes and their statuses: packages/service-kit/src/http-errors.ts.',
    examples: [
      {
        error: 'VALIDATION_FAILED',
        message: 'Invalid replay request: group: Invalid input: expected string, received undefined',
      },
    ],
  })

/** The body of every error answer (`errorBodySchema`). */
export type ErrorBody = z.infer<typeof errorBodySchema>

/** fastify's own 4xx errors (raised before a handler runs), as ledger codes and actionable messages. */
function fromFrameworkError(err: FastifyError, request: FastifyRequest): { code: string; message: string } {
  const contentType = request.headers['content-type']
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        code: 'BODY_TOO_LARGE',
        message: `The body is over this route's limit of ${request.routeOptions.bodyLimit ?? 'the server'} bytes.`,
      }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: `The Content-Type header (${contentType === undefined ? 'absent' : JSON.stringify(contentType.slice(0, 100))}) is not a media type this route reads; send the body's media type, e.g. application/json.`,
      }
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        code: 'VALIDATION_FAILED',
        message: 'The body is not as long as its Content-Length header says; send the whole body.',
      }
  }
  const byStatus: Record<number, string> = {
    400: 'VALIDATION_FAILED',
    404: 'NOT_FOUND',
    413: 'BODY_TOO_LARGE',
    415: 'UNSUPPORTED_MEDIA_TYPE',
  }
  return { code: byStatus[err.statusCode ?? 400] ?? err.code, message: err.message }
}

function sendLedgerError(ledgerError: LedgerError, request: FastifyRequest, reply: FastifyReply) {
  const answer = ANSWERS[ledgerError.code]
  if (ledgerError.retryAfterMs !== undefined || answer.status === 503) {
    void reply.header(
      'retry-after',
      String(Math.max(1, Math.ceil((ledgerError.retryAfterMs ?? 1000) / 1000))),
    )
  }
  const reason = ledgerError.details.reason
  const body: ErrorBody = { error: ledgerError.code, message: ledgerError.message }
  if (typeof reason === 'string') body.reason = reason
  if (answer.status >= 500) {
    request.log.warn({ err: ledgerError }, 'request failed with a server-side condition')
    if (!answer.exposeMessage) {
      body.message = `${answer.publicMessage ?? 'The request failed inside the service.'} Correlation ID: ${request.id}.`
    }
    body.correlationId = request.id
  }
  return reply.status(answer.status).send(body)
}

/**
 * Installs the service's single error handler: every error answer of the service, whether thrown
 * by a route, a hook or fastify itself, has the body `{ error, message }` (see `ErrorBody`).
 * Ledger errors below 500 answer their own message (written for the caller); 5xx answer the
 * code's public message and the correlation ID, never what a lower layer said; anything that is
 * not a ledger error is a 500 whose message never leaves the process.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const ledgerError = findLedgerError(err)
    if (ledgerError) return sendLedgerError(ledgerError, request, reply)
    if (err.statusCode !== undefined && err.statusCode < 500) {
      const { code, message } = fromFrameworkError(err, request)
      return reply.status(err.statusCode).send({ error: code, message } satisfies ErrorBody)
    }
    request.log.error({ err }, 'unhandled error')
    return reply.status(500).send({
      error: 'INTERNAL',
      message: `Internal error; report the correlation ID to an operator. Correlation ID: ${request.id}.`,
      correlationId: request.id,
    } satisfies ErrorBody)
  })
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: 'NOT_FOUND',
      message: `No route ${request.method} ${request.url.split('?')[0] ?? ''}; check the method and path against the service's documentation.`,
    } satisfies ErrorBody),
  )
}
