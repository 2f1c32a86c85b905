import { createHash } from 'node:crypto'
import { PermanentError, parseStorableJson } from '@integration-ledger/core'
import { buildEvent, fromNewEventJson, newEventJsonSchema } from '@integration-ledger/sdk'
import { documentSecurity, errorResponse, jsonResponse } from '@integration-ledger/service-kit'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { type EventClient, assertMayWrite } from '../event-clients.js'
import type { IntakeRouteDeps } from './deps.js'
import { closeUnreadBody, countFailure } from './outcomes.js'

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/
const sha256 = (value: string | Buffer) => createHash('sha256').update(value).digest('hex')

declare module 'fastify' {
  interface FastifyRequest {
    /** The POST /events client its bearer token names, known before the body is read. */
    ledgerEventClient?: EventClient
  }
}

/** The media types of a JSON body: `application/json` and `application/<anything>+json`. */
const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i

/** What the route answers and takes, for the OpenAPI document; the handler parses the bytes itself. */
const eventSchema = {
  tags: ['events'],
  summary: 'Publish an event from a service without a Kafka connection',
  description:
    "The body is an SDK NewEvent. Its source and entity type must be among the token's grants (INGEST_EVENT_GRANTS), and never a webhook source. Answered 202 only after Kafka acknowledged.",
  headers: z.object({
    'idempotency-key': z
      .string()
      .regex(IDEMPOTENCY_KEY)
      .meta({
        description:
          'Required; 1-255 visible ASCII characters, e.g. a UUID. Reuse it when retrying: the same key and body answer the first result again.',
        examples: ['6f1c2a4e-0b5d-4c1e-9d7a-2f8e3b9c1a00'],
      }),
  }),
  consumes: ['application/json'],
  body: newEventJsonSchema,
  response: {
    202: jsonResponse(
      'Stored, acknowledged by Kafka (acks=all). With header `Idempotent-Replayed: true` when this key was answered before: nothing was published again.',
      z.object({ eventId: z.string() }),
    ),
    400: errorResponse(
      'VALIDATION_FAILED: no Idempotency-Key, not JSON, or a field that is not as described.',
    ),
    401: errorResponse('UNAUTHORIZED: no token of INGEST_EVENT_TOKENS.'),
    403: errorResponse('FORBIDDEN: the token may not write this source or entity type.'),
    409: errorResponse('CONFLICT: this Idempotency-Key was used with another body.'),
    413: errorResponse('BODY_TOO_LARGE.'),
    415: errorResponse('UNSUPPORTED_MEDIA_TYPE: send application/json.'),
    503: errorResponse(
      'Kafka unavailable or slow, or ingest overloaded: retry with the same key after Retry-After.',
    ),
  },
}

/**
 * POST /events — publish an SDK `NewEvent` (JSON) for a service that holds no Kafka connection.
 * Bearer token from INGEST_EVENT_TOKENS names the client; the event's `source` and `entityType`
 * must be among the client's grants (INGEST_EVENT_GRANTS), and never a webhook source (403).
 * `Idempotency-Key` is required: the same key with the same body bytes returns the first result
 * (header `Idempotent-Replayed: true`) and publishes nothing; the same key with other bytes is
 * refused with 409.
 */
export async function eventRoutes(app: FastifyInstance, deps: IntakeRouteDeps): Promise<void> {
  // Tokens are looked up by digest, so the comparison does not run over the secret itself.
  const clients = new Map([...deps.eventClients].map(([token, client]) => [sha256(token), client]))
  documentSecurity(app, {
    INGEST_EVENT_TOKENS: {
      type: 'http',
      scheme: 'bearer',
      description: '`Authorization: Bearer <token>` with a token of INGEST_EVENT_TOKENS (client=token,…).',
    },
  })

  const authenticate = async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      request.ledgerEventClient = admitClient(request)
    } catch (err) {
      closeUnreadBody(reply)
      throw err
    }
  }
  const admitClient = (request: FastifyRequest): EventClient => {
    const header = request.headers.authorization ?? ''
    const client = header.startsWith('Bearer ') ? clients.get(sha256(header.slice(7))) : undefined
    if (client === undefined) {
      throw new PermanentError(
        'UNAUTHORIZED',
        'Send "Authorization: Bearer <token>" with a token listed in INGEST_EVENT_TOKENS.',
      )
    }
    const contentType = request.headers['content-type'] ?? ''
    if (!JSON_MEDIA_TYPE.test(contentType)) {
      throw new PermanentError(
        'UNSUPPORTED_MEDIA_TYPE',
        `POST /events reads an SDK NewEvent as JSON; send "Content-Type: application/json" (got ${contentType ? JSON.stringify(contentType.slice(0, 100)) : 'none'}).`,
      )
    }
    return client
  }

  // Authenticated before the body is read: a caller without a token cannot make ingest buffer one.
  const route = { schema: eventSchema, bodyLimit: deps.maxBodyBytes, onRequest: authenticate }
  app.post('/events', route, async (request, reply) => {
    const client = request.ledgerEventClient
    if (!client) throw new TypeError('the onRequest hook authenticates before the handler runs')
    const label = `events:${client.name}`
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
      assertMayWrite(client, parsed.event, (source) => deps.sources.get(source) !== undefined)
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
      } else deps.metrics.accept(label)
      return reply.status(202).send({ eventId: result.eventId })
    } catch (err) {
      return countFailure(deps.metrics, label, err)
    }
  })
}
