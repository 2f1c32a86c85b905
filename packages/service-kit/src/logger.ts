import { randomUUID } from 'node:crypto'
import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'

/** Header that carries a correlation ID in and out of every service. */
export const CORRELATION_HEADER = 'x-correlation-id'

/**
 * Fastify options shared by every service: structured pino logs labelled with the service, the
 * request's correlation ID (taken from the caller when given), and redaction of anything that can
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
    requestIdHeader: CORRELATION_HEADER,
    logController: new OneLinePerRequest({ requestIdLogLabel: 'correlationId' }),
    genReqId: () => randomUUID(),
  }
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
      url: request.url,
      statusCode: reply.statusCode,
      responseTimeMs: Math.round(reply.elapsedTime * 10) / 10,
    }
    if (error) reply.log.error({ ...fields, err: error }, 'request errored')
    else reply.log.info(fields, 'request completed')
  }
}
