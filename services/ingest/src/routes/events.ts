import { createHash } from 'node:crypto'
import { PermanentError, parseStorableJson } from '@ledger/core'
import { buildEvent, fromNewEventJson } from '@ledger/sdk'
import type { FastifyInstance } from 'fastify'
import type { IntakeRouteDeps } from './deps.js'
import { countFailure } from './outcomes.js'

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/
const sha256 = (value: string | Buffer) => createHash('sha256').update(value).digest('hex')

/**
 * POST /events — publish an SDK `NewEvent` (JSON) for a service that holds no Kafka connection.
 * Bearer token from INGEST_EVENT_TOKENS names the client. `Idempotency-Key` is required: the same
 * key with the same body bytes returns the first result (header `Idempotent-Replayed: true`) and
 * publishes nothing; the same key with other bytes is refused with 409.
 */
export async function eventRoutes(app: FastifyInstance, deps: IntakeRouteDeps): Promise<void> {
  // Tokens are looked up by digest, so the comparison does not run over the secret itself.
  const clients = new Map([...deps.eventClients].map(([token, name]) => [sha256(token), name]))

  app.post('/events', { bodyLimit: deps.maxBodyBytes }, async (request, reply) => {
    const header = request.headers.authorization ?? ''
    const client = header.startsWith('Bearer ') ? clients.get(sha256(header.slice(7))) : undefined
    if (client === undefined) {
      return reply.status(401).send({
        error: 'UNAUTHORIZED',
        message: 'Send "Authorization: Bearer <token>" with a token listed in INGEST_EVENT_TOKENS.',
      })
    }
    const label = `events:${client}`
    deps.metrics.received.inc({ source: label })
    try {
      const key = request.headers['idempotency-key']
      if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
        throw new PermanentError(
          'VALIDATION_FAILED',
          'Send an Idempotency-Key header (1-255 visible ASCII characters, e.g. a UUID) and reuse it when retrying.',
        )
      }
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
      // Every field ends up in PostgreSQL, so the whole request must pass the projector's rule.
      const json = parseStorableJson(rawBody)
      if (!json.ok) {
        throw new PermanentError(
          'VALIDATION_FAILED',
          json.problem === 'not_json'
            ? 'The body is not JSON; send an SDK NewEvent as application/json.'
            : `Invalid event: ${json.message}`,
        )
      }
      const parsed = fromNewEventJson(json.value)
      if (!parsed.ok) {
        throw new PermanentError('VALIDATION_FAILED', `Invalid event: ${parsed.problems.join('; ')}`)
      }
      const raw = parsed.event.rawBody && parseStorableJson(parsed.event.rawBody)
      if (raw && !raw.ok) {
        throw new PermanentError(
          'VALIDATION_FAILED',
          `Invalid event: rawBodyBase64: ${raw.message} The projector stores bodies as JSON.`,
        )
      }
      const event = buildEvent(
        { ...parsed.event, correlationId: parsed.event.correlationId ?? request.id },
        new Date(deps.clock.now()),
      )
      const result = await deps.intake.submit({
        scope: label,
        key,
        requestHash: sha256(rawBody),
        event,
        topic: deps.eventsTopic,
      })
      if (result.duplicate) {
        deps.metrics.duplicates.inc({ source: label })
        void reply.header('idempotent-replayed', 'true')
      } else deps.metrics.accepted.inc({ source: label })
      return reply.status(202).send({ eventId: result.eventId })
    } catch (err) {
      return countFailure(deps.metrics, label, err)
    }
  })
}
