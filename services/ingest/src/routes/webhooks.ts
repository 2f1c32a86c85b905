import { newCorrelationId } from '@ledger/core'
import { DEFAULT_QUARANTINE_TOPIC, buildEvent } from '@ledger/sdk'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { UNKNOWN_SOURCE_LABEL } from '../metrics.js'
import {
  type Delivery,
  type SourceConfig,
  extractDelivery,
  keptHeaders,
  verifierForSource,
} from '../sources/index.js'
import type { IntakeRouteDeps } from './deps.js'
import { countFailure, refuseIfRateLimited } from './outcomes.js'

type WebhookRequest = FastifyRequest<{ Params: { source: string } }>

/**
 * POST /webhooks/:source — verify against the raw bytes, derive the entity, publish once, and
 * answer 202 only after Kafka acknowledged (200 with `duplicate: true` for a delivery accepted
 * before). The body is never re-serialised, so the stored event can be re-verified later.
 */
export async function webhookRoutes(app: FastifyInstance, deps: IntakeRouteDeps): Promise<void> {
  const { metrics } = deps

  app.post<{ Params: { source: string } }>(
    '/webhooks/:source',
    { bodyLimit: deps.maxBodyBytes },
    async (request, reply) => {
      const source = deps.sources.get(request.params.source)
      if (!source || !source.enabled) {
        metrics.received.inc({ source: UNKNOWN_SOURCE_LABEL })
        metrics.rejected.inc({ source: UNKNOWN_SOURCE_LABEL, reason: 'unknown_source' })
        return reply.status(404).send({
          error: 'UNKNOWN_SOURCE',
          message: `No enabled source named "${request.params.source}"; check the URL against the configured sources.`,
        })
      }
      metrics.received.inc({ source: source.name })
      if (
        source.rateLimit &&
        refuseIfRateLimited(deps.limiter.take(source.name, source.rateLimit), reply, metrics, source.name)
      ) {
        return reply
      }
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
      if (rawBody.length > source.maxBodyBytes) {
        metrics.rejected.inc({ source: source.name, reason: 'body_too_large' })
        return reply.status(413).send({
          error: 'BODY_TOO_LARGE',
          message: `Body of ${rawBody.length} bytes exceeds this source's limit of ${source.maxBodyBytes} bytes.`,
        })
      }

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
        return reply
          .status(401)
          .send({ error: 'SIGNATURE_REJECTED', reason: verdict.reason, message: verdict.message })
      }

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

async function accept(
  deps: IntakeRouteDeps,
  request: WebhookRequest,
  reply: FastifyReply,
  source: SourceConfig,
  rawBody: Buffer,
  delivery: Delivery,
) {
  const event = buildEvent(
    {
      source: source.name,
      sourceKind: source.kind,
      providerEventId: delivery.providerEventId,
      type: delivery.type,
      entityType: delivery.entityType,
      entityId: delivery.entityId,
      entityVersion: delivery.entityVersion,
      occurredAt: new Date(delivery.occurredAtMs),
      correlationId: request.id || newCorrelationId(),
      contentType: request.headers['content-type'] ?? 'application/json',
      headers: keptHeaders(source, request.headers),
      rawBody,
    },
    new Date(deps.clock.now()),
  )
  const result = await deps.intake.submit({
    scope: source.name,
    key: delivery.providerEventId,
    event,
    topic: source.topic,
  })
  if (result.duplicate) {
    deps.metrics.duplicates.inc({ source: source.name })
    return reply.status(200).send(result)
  }
  deps.metrics.accepted.inc({ source: source.name })
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
