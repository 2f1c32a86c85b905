import type { IncomingHttpHeaders } from 'node:http'
import { isCorrelationId, newCorrelationId } from '@integration-ledger/core'
import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'

/** Header that carries a correlation ID in and out of every service. */
export const CORRELATION_HEADER = 'x-correlation-id'

/** W3C Trace Context: `00-<32 hex trace ID>-<16 hex parent ID>-<2 hex flags>`. */
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/

/**
 * The correlation ID of an incoming request: the caller's `X-Correlation-Id`, else its
 * `X-Request-Id` (what proxies and load balancers set), else the trace ID of its `traceparent`,
 * so a request already traced upstream keeps its ID through the ledger. A value that is not a
 * valid correlation ID (see `isCorrelationId`: at most 128 letters, digits, `.` `_` `:` `-`) is
 * ignored rather than refused, and a fresh one is made: the request itself may be fine.
 */
export function correlationIdFor(headers: IncomingHttpHeaders): string {
  for (const name of [CORRELATION_HEADER, 'x-request-id']) {
    const value = headers[name]
    if (typeof value === 'string' && isCorrelationId(value)) return value
  }
  const traceId = TRACEPARENT.exec(String(headers.traceparent ?? '').trim())?.[1]
  // An all-zero trace ID is invalid by the spec.
  if (traceId !== undefined && !/^0+$/.test(traceId)) return traceId
  return newCorrelationId()
}

/**
 * Fastify options shared by every service: structured pino logs labelled with the service, the
 * request's correlation ID (taken from the caller when valid, see `correlationIdFor`), and redaction of anything that can
 * carry a secret or payment data.
 */
export function serviceLoggerOptions(
  service: string,
  level: string,
): Pick<FastifyServerOptions, 'logger' | 'requestIdHeader' | 'logController' | 'genReqId'> {
  return {
    logger: {
      level,
      base: { service },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers["stripe-signature"]',
          'req.headers["x-hub-signature-256"]',
          'req.headers["x-shopify-hmac-sha256"]',
          'req.headers["webhook-signature"]',
          '*.secret',
          '*.secrets',
          '*.rawBody',
          '*.payload',
        ],
        censor: '[redacted]',
      },
    },
    // Fastify would take the header's value unchecked; `genReqId` validates it instead.
    requestIdHeader: false,
    logController: new OneLinePerRequest({ requestIdLogLabel: 'correlationId' }),
    genReqId: (req) => correlationIdFor(req.headers),
  }
}

/**
 * The URL without its query string: senders put API keys and tokens there (`?api_key=`), and a
 * query is as likely to carry payment data as a body, which is never logged either.
 */
function pathOnly(url: string): string {
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}

/**
 * One log line per request, written when it completes, instead of fastify's two (incoming and
 * completed): at webhook rates the pair doubles log volume without saying more.
 */
class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (this.isLogDisabled(request)) return
    const fields = {
      method: request.method,
      url: pathOnly(request.url),
      statusCode: reply.statusCode,
      responseTimeMs: Math.round(reply.elapsedTime * 10) / 10,
    }
    if (error) reply.log.error({ ...fields, err: error }, 'request errored')
    else reply.log.info(fields, 'request completed')
  }
}
