import { PermanentError, newCorrelationId } from '@integration-ledger/core'
import {
  type Delivery,
  PROVIDERS,
  type SourceConfig,
  extractDelivery,
  keptHeaders,
  verifierForSource,
} from '@integration-ledger/providers'
import { DEFAULT_QUARANTINE_TOPIC, buildEvent } from '@integration-ledger/sdk'
import { documentSecurity, errorResponse, jsonResponse } from '@integration-ledger/service-kit'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { UNKNOWN_SOURCE_LABEL } from '../metrics.js'
import type { IntakeRouteDeps } from './deps.js'
import { limitBody } from '../guards/body-limit.js'
import { assertWithinBudget, closeUnreadBody, countFailure } from './outcomes.js'
import { submitDelivery } from './submit-delivery.js'

type WebhookRequest = FastifyRequest<{ Params: { source: string } }>

/** What the route answers and takes, for the OpenAPI document; the handler reads bytes itself. */
const webhookSchema = {
  tags: ['webhooks'],
  summary: "Take in one provider's delivery",
  description:
    "Verified against the raw bytes with the source's secrets (the security schemes below, one per kind), then published with acks=all; 202 only after Kafka acknowledged. Checks run cheapest first: overload, unknown source, Content-Length over the source's maxBodyBytes, media type, signature, rate limit.",
  params: z.object({
    source: z
      .string()
      .meta({ description: 'The source name (sources file or admin API).', examples: ['billing'] }),
  }),
  // Any media type is read as bytes: the signature is over the exact body.
  consumes: ['application/json', 'application/octet-stream', '*/*'],
  body: z.unknown().meta({
    description:
      'The delivery exactly as the provider sent it; never parsed before the signature is checked.',
  }),
  response: {
    200: jsonResponse(
      'This delivery (source + provider event ID) was accepted before; not published again.',
      z.object({ eventId: z.string(), duplicate: z.literal(true) }),
    ),
    202: jsonResponse(
      'Stored (acknowledged by Kafka), or signed correctly but unusable and kept in ledger.quarantine.',
      z.union([
        z.object({ eventId: z.string(), duplicate: z.literal(false) }),
        z.object({ quarantined: z.literal(true), reason: z.string(), message: z.string() }),
      ]),
    ),
    401: errorResponse(
      'SIGNATURE_REJECTED; `reason` is missing_header, malformed_header, bad_signature or timestamp_outside_tolerance.',
    ),
    404: errorResponse('UNKNOWN_SOURCE: no enabled source of that name.'),
    413: errorResponse(
      "BODY_TOO_LARGE: over the source's maxBodyBytes; RECORD_TOO_LARGE: over the topic's limit.",
    ),
    415: errorResponse('UNSUPPORTED_MEDIA_TYPE: a Content-Type that is empty or not a media type.'),
    429: errorResponse("RATE_LIMITED: over the source's rate limit; see Retry-After."),
    503: errorResponse('Kafka unavailable or slow, or ingest overloaded: retry after Retry-After.'),
  },
}

/**
 * POST /webhooks/:source — verify against the raw bytes, derive the entity, publish once, and
 * answer 202 only after Kafka acknowledged (200 with `duplicate: true` for a delivery accepted
 * before). The body is never re-serialised, so the stored event can be re-verified later.
 */
export async function webhookRoutes(app: FastifyInstance, deps: IntakeRouteDeps): Promise<void> {
  const { metrics } = deps
  documentSecurity(
    app,
    Object.fromEntries(
      PROVIDERS.map(({ kind, signature }) => [
        `${kind}Signature`,
        {
          type: 'apiKey',
          in: 'header',
          name: signature.header,
          description: `Sources of kind ${kind}: ${signature.description}`,
        } as const,
      ]),
    ),
  )

  app.post<{ Params: { source: string } }>(
    '/webhooks/:source',
    {
      schema: webhookSchema,
      bodyLimit: deps.maxBodyBytes,
      // Before the body is read: an unknown source or an announced body over the source's limit
      // costs the sender nothing but the headers.
      onRequest: async (request, reply) => {
        try {
          request.ledgerSource = admitSource(deps, request)
        } catch (err) {
          closeUnreadBody(reply)
          throw err
        }
      },
      preParsing: async (request, reply, payload) => {
        const source = request.ledgerSource
        // A body without Content-Length is cut off at the source's limit as it arrives.
        if (!source || request.headers['content-length'] !== undefined) return payload
        return limitBody(payload, source.maxBodyBytes, () => {
          closeUnreadBody(reply)
          return bodyTooLarge(deps, source)
        })
      },
    },
    async (request, reply) => {
      const source = request.ledgerSource
      if (!source) throw new TypeError('the onRequest hook admits a source before the handler runs')
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
      const now = deps.clock.now()
      const verifyStarted = performance.now()
      const verdict = verifierForSource(source).verify({
        rawBody,
        headers: request.headers,
        secrets: source.secrets,
        nowMs: now,
      })
      metrics.verifySeconds.observe({ source: source.name }, (performance.now() - verifyStarted) / 1000)
      if (!verdict.ok) {
        metrics.rejected.inc({ source: source.name, reason: verdict.reason })
        request.log.info(
          { source: source.name, reason: verdict.reason },
          'webhook rejected: signature check failed',
        )
        throw new PermanentError('SIGNATURE_REJECTED', verdict.message, {
          details: { reason: verdict.reason },
        })
      }
      // Only after the signature: unsigned junk must not spend the real sender's budget.
      if (source.rateLimit)
        assertWithinBudget(deps.limiter.take(source.name, source.rateLimit), metrics, source.name)

      const extracted = extractDelivery(source, rawBody, request.headers, now)
      try {
        if (!extracted.ok) return await quarantine(deps, request, reply, source, rawBody, extracted)
        return await accept(deps, request, reply, source, rawBody, extracted.delivery)
      } catch (err) {
        return countFailure(metrics, source.name, err)
      }
    },
  )
}

/**
 * The enabled source the URL names, counted as received.
 * @throws PermanentError UNKNOWN_SOURCE (404), BODY_TOO_LARGE (413) when Content-Length is over
 *   the source's limit.
 */
function admitSource(deps: IntakeRouteDeps, request: WebhookRequest): SourceConfig {
  const { metrics } = deps
  const source = deps.sources.get(request.params.source)
  if (!source || !source.enabled) {
    metrics.received.inc({ source: UNKNOWN_SOURCE_LABEL })
    metrics.rejected.inc({ source: UNKNOWN_SOURCE_LABEL, reason: 'unknown_source' })
    throw new PermanentError(
      'UNKNOWN_SOURCE',
      `No enabled source named "${request.params.source}"; check the URL against the configured sources.`,
    )
  }
  metrics.received.inc({ source: source.name })
  const announced = Number(request.headers['content-length'])
  if (announced > source.maxBodyBytes) throw bodyTooLarge(deps, source, announced)
  return source
}

/** Counts and builds the 413; `announced` is the Content-Length, when the body has one. */
function bodyTooLarge(deps: IntakeRouteDeps, source: SourceConfig, announced?: number): PermanentError {
  deps.metrics.rejected.inc({ source: source.name, reason: 'body_too_large' })
  const body = announced === undefined ? 'The body' : `Body of ${announced} bytes`
  return new PermanentError(
    'BODY_TOO_LARGE',
    `${body} exceeds this source's limit of ${source.maxBodyBytes} bytes; send it in smaller deliveries or ask an operator to raise the source's maxBodyBytes.`,
  )
}

async function accept(
  deps: IntakeRouteDeps,
  request: WebhookRequest,
  reply: FastifyReply,
  source: SourceConfig,
  rawBody: Buffer,
  delivery: Delivery,
) {
  const result = await submitDelivery(
    deps,
    source,
    delivery,
    {
      rawBody,
      correlationId: request.id || newCorrelationId(),
      contentType: request.headers['content-type'] ?? 'application/json',
      headers: keptHeaders(source, request.headers),
    },
    deps.clock.now(),
  )
  if (result.duplicate) {
    deps.metrics.duplicates.inc({ source: source.name })
    return reply.status(200).send(result)
  }
  deps.metrics.accept(source.name)
  return reply.status(202).send(result)
}

/**
 * Keeps a correctly signed but unusable delivery, with the reason, and answers 202 so the sender
 * stops retrying something that can never succeed. Not deduplicated: without a usable payload
 * there is no reliable provider event ID, and a duplicate in quarantine costs nothing.
 */
async function quarantine(
  deps: IntakeRouteDeps,
  request: WebhookRequest,
  reply: FastifyReply,
  source: SourceConfig,
  rawBody: Buffer,
  extracted: { reason: string; message: string },
) {
  deps.intake.assertBrokerAvailable()
  const correlationId = request.id || newCorrelationId()
  const event = buildEvent(
    {
      source: source.name,
      sourceKind: source.kind,
      providerEventId: `quarantine:${correlationId}`,
      type: 'ledger.quarantined',
      entityType: 'quarantine',
      entityId: source.name,
      entityVersion: 0,
      correlationId,
      contentType: request.headers['content-type'] ?? 'application/json',
      // What is needed to verify and extract it again once the source's mapping is fixed.
      headers: keptHeaders(source, request.headers),
      rawBody,
    },
    new Date(deps.clock.now()),
  )
  await deps.publisher.publish(event, {
    topic: DEFAULT_QUARANTINE_TOPIC,
    timeoutMs: deps.produceTimeoutMs,
    headers: { 'ledger-quarantine-reason': extracted.reason },
  })
  deps.metrics.quarantined.inc({ source: source.name, reason: extracted.reason })
  request.log.warn(
    { source: source.name, reason: extracted.reason },
    'signed delivery quarantined: unusable payload',
  )
  return reply.status(202).send({ quarantined: true, reason: extracted.reason, message: extracted.message })
}
