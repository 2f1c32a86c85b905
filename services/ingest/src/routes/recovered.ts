import { PermanentError, newCorrelationId } from '@integration-ledger/core'
import { extractDelivery } from '@integration-ledger/providers'
import {
  bearerTokenName,
  errorResponse,
  jsonResponse,
  requireBearerToken,
} from '@integration-ledger/service-kit'
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { IntakeRouteDeps } from './deps.js'
import { countFailure } from './outcomes.js'
import { submitDelivery } from './submit-delivery.js'

/** The header a recovered event keeps instead of the provider's signature: who recovered it. */
export const RECOVERED_BY_HEADER = 'ledger-recovered-by'

/** What the route answers and takes, for the OpenAPI document; the handler reads bytes itself. */
const recoveredSchema = {
  tags: ['webhooks'],
  summary: "A provider event its webhook never brought, as the provider's API lists it",
  description:
    'For a trusted recoverer (the reconciler). Claimed like the webhook: a later webhook of the same event is a duplicate.',
  params: z.object({ source: z.string().meta({ description: 'The source the event belongs to.' }) }),
  consumes: ['application/json'],
  body: z.unknown().meta({
    description: "The event as the provider's API answers it (Stripe: an item of GET /v1/events).",
  }),
  response: {
    200: jsonResponse(
      'Accepted before; not published again.',
      z.object({ eventId: z.string(), duplicate: z.literal(true) }),
    ),
    202: jsonResponse('Stored.', z.object({ eventId: z.string(), duplicate: z.literal(false) })),
    400: errorResponse("VALIDATION_FAILED: the body cannot be read as an event of the source's kind."),
    401: errorResponse('UNAUTHORIZED: no token of INGEST_RECOVERY_TOKENS.'),
    404: errorResponse('UNKNOWN_SOURCE.'),
  },
}

/**
 * POST /recovered/:source — a provider event that its webhook never brought, as the provider's own
 * API lists it (Stripe's `GET /v1/events` answers the very object its webhook sends), posted by a
 * trusted recoverer (the reconciler's catch-up) with a bearer token of INGEST_RECOVERY_TOKENS.
 *
 * It takes the webhook's path after the signature: the same extraction (provider event ID, type,
 * entity, version) and the same claim, scope = the source's name and key = the provider event ID.
 * So a webhook that arrives later is a duplicate of the recovered event (200, `duplicate: true`),
 * and a recovered event whose webhook came first is one here; a second path that published
 * directly to Kafka would miss this claim and let the webhook publish a second record.
 *
 * There is no signature to check (the event came from the provider's API over TLS, not from the
 * provider's webhook), so the stored event keeps `ledger-recovered-by: <token name>` in place of
 * the provider's headers and `reverifyEvent` fails for it. An unusable body is refused with 400
 * (the recoverer must not send what extraction cannot read), never quarantined.
 */
export async function recoveredRoutes(app: FastifyInstance, deps: IntakeRouteDeps): Promise<void> {
  requireBearerToken(app, deps.recoveryTokens, 'INGEST_RECOVERY_TOKENS')

  app.post<{ Params: { source: string } }>(
    '/recovered/:source',
    { schema: recoveredSchema, bodyLimit: deps.maxBodyBytes },
    async (request, reply) => {
      const recoverer = bearerTokenName(request) ?? 'unknown'
      const source = deps.sources.get(request.params.source)
      if (!source || !source.enabled) {
        throw new PermanentError(
          'UNKNOWN_SOURCE',
          `No enabled source named "${request.params.source}"; recover events only for configured sources.`,
        )
      }
      const label = `recovered:${source.name}`
      deps.metrics.received.inc({ source: label })
      try {
        const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
        const now = deps.clock.now()
        // No provider headers: what a recovered event is keyed by must come from its body, as
        // Stripe's does (a kind whose extraction needs headers is recovered by redelivery instead).
        const extracted = extractDelivery(source, rawBody, {}, now)
        if (!extracted.ok) {
          throw new PermanentError(
            'VALIDATION_FAILED',
            `The recovered event cannot be read as a "${source.kind}" event of source "${source.name}" (${extracted.reason}): ${extracted.message}`,
          )
        }
        const delivery = extracted.delivery
        const result = await submitDelivery(
          deps,
          source,
          delivery,
          {
            rawBody,
            correlationId: request.id || newCorrelationId(),
            contentType: 'application/json',
            headers: { [RECOVERED_BY_HEADER]: recoverer },
          },
          now,
        )
        if (result.duplicate) {
          deps.metrics.duplicates.inc({ source: label })
          return await reply.status(200).send(result)
        }
        deps.metrics.accept(label)
        return await reply.status(202).send(result)
      } catch (err) {
        return countFailure(deps.metrics, label, err)
      }
    },
  )
}
