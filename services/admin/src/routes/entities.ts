import { ENTITY_ID_MAX_LENGTH, ENTITY_TYPE_MAX_LENGTH, LedgerError } from '@integration-ledger/core'
import { errorResponse, jsonResponse } from '@integration-ledger/service-kit'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import type pg from 'pg'
import { z } from 'zod'
import { entityAsOf } from './entity-as-of.js'

/**
 * Router limit on one URL parameter, in characters as the router sees them: the longest entity ID
 * the ledger takes, each code unit percent-encoded at worst as three UTF-8 bytes (`%E2%82%AC`).
 * Below this the router answers 414 for entities that ingest accepted.
 */
export const ENTITY_PARAM_MAX_LENGTH = 9 * Math.max(ENTITY_ID_MAX_LENGTH, ENTITY_TYPE_MAX_LENGTH)

/**
 * `object` as JSON text with one more member whose value is JSON text already, as PostgreSQL
 * rendered the stored jsonb. States are never parsed into objects and serialised again, so one
 * nested deeper than `JSON.stringify` can recurse (stored before ingest bounded nesting) is still
 * readable. `object` must have at least one member.
 */
function withJsonMember(object: object, key: string, json: string): string {
  return `${JSON.stringify(object).slice(0, -1)},${JSON.stringify(key)}:${json}}`
}

function sendJson(reply: FastifyReply, text: string) {
  return reply.type('application/json; charset=utf-8').send(text)
}

/** What the entity routes need: the projector's database (tables `projections`, `ledger_events`). */
export interface EntityRoutesOptions {
  pool: pg.Pool
}

const historyQuerySchema = z.object({
  /** Rows per page. @default 100 */
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  /** Cursor: the `seq` of the last row of the previous page; rows after it are returned. */
  after: z
    .string()
    .regex(/^\d{1,19}$/, 'expected the seq of a ledger row (a non-negative integer)')
    .optional(),
})

interface EntityParams {
  type: string
  id: string
}

const entityParams = z.object({
  type: z.string().meta({ description: 'Entity type, e.g. customer.' }),
  id: z.string().meta({ description: 'Entity ID, percent-encoded (up to 512 characters).' }),
})

const stateQuery = z.object({
  asOf: z
    .string()
    .optional()
    .meta({
      description: 'ISO 8601 time with a zone: the state the projection held then, from the ledger.',
      examples: ['2025-01-31T14:03:00Z'],
    }),
})

const entityStateSchema = z.looseObject({
  entityType: z.string(),
  entityId: z.string(),
  version: z.number().int(),
  lastEventId: z.string(),
  updatedAt: z.string(),
  state: z.unknown().meta({ description: 'The projected state (JSON).' }),
  asOf: z.string().optional(),
  setBy: z.looseObject({}).optional().meta({ description: 'With asOf: the event that set this state.' }),
})

const tags = ['entities']

interface HistoryRow {
  seq: string
  event_id: string
  type: string
  entity_version: string
  outcome: string
  source: string
  provider_event_id: string
  correlation_id: string
  occurred_at: Date
  received_at: Date
  recorded_at: Date
  kafka_topic: string
  kafka_partition: number
  kafka_offset: string
  payload_json: string
}

/**
 * Read-only views of the projector's tables:
 * - `GET /entities/:type/:id`: current state, version and the event that set it; with
 *   `?asOf=<ISO time>` the state the projection held then, from the ledger (`entity-as-of.ts`);
 * - `GET /entities/:type/:id/history?limit&after`: the entity's ledger rows, oldest first, with
 *   the outcome of the version rule for each; `nextAfter` is the cursor of the next page.
 */
export const entityRoutes: FastifyPluginAsync<EntityRoutesOptions> = async (api, { pool }) => {
  const stateRoute = {
    schema: {
      tags,
      summary: "An entity's current state, or its state as of a time",
      params: entityParams,
      querystring: stateQuery,
      response: {
        200: jsonResponse('The state, its version and the event that set it.', entityStateSchema),
        400: errorResponse('VALIDATION_FAILED: asOf is not an ISO 8601 time with a zone.'),
        404: errorResponse('NOT_FOUND: no state for this entity (at that time).'),
      },
    },
  }
  api.get<{ Params: EntityParams; Querystring: { asOf?: unknown } }>(
    '/entities/:type/:id',
    stateRoute,
    async (request, reply) => {
      const { type, id } = request.params
      if (request.query.asOf !== undefined) {
        const { meta, stateJson } = await entityAsOf(pool, type, id, request.query.asOf)
        return sendJson(reply, withJsonMember(meta, 'state', stateJson))
      }
      const { rows } = await pool.query<{
        version: string
        last_event_id: string
        state_json: string
        updated_at: Date
      }>(
        `SELECT version, last_event_id, state::text AS state_json, updated_at
         FROM projections WHERE entity_type = $1 AND entity_id = $2`,
        [type, id],
      )
      const row = rows[0]
      if (!row) {
        throw new LedgerError(
          'NOT_FOUND',
          `No projection for entity ${type}/${id}: the projector has applied no event for it. ` +
            `GET /entities/${type}/${id}/history shows whether events arrived and what became of them.`,
        )
      }
      const meta = {
        entityType: type,
        entityId: id,
        version: Number(row.version),
        lastEventId: row.last_event_id,
        updatedAt: row.updated_at.toISOString(),
      }
      return sendJson(reply, withJsonMember(meta, 'state', row.state_json))
    },
  )

  const historyRoute = {
    schema: {
      tags,
      summary: "The entity's ledger rows, oldest first, with the outcome of the version rule",
      params: entityParams,
      querystring: historyQuerySchema,
      response: {
        200: jsonResponse(
          '`nextAfter` is the `after` of the next page (null on the last).',
          z.object({
            entityType: z.string(),
            entityId: z.string(),
            nextAfter: z.string().nullable(),
            events: z.array(z.looseObject({ seq: z.string(), eventId: z.string(), outcome: z.string() })),
          }),
        ),
        400: errorResponse('VALIDATION_FAILED: limit or after is not as described.'),
      },
    },
  }
  api.get<{ Params: EntityParams }>('/entities/:type/:id/history', historyRoute, async (request, reply) => {
    const { type, id } = request.params
    const parsed = historyQuerySchema.safeParse(request.query)
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
      throw new LedgerError('VALIDATION_FAILED', `Invalid query: ${problems}`)
    }
    const { limit, after } = parsed.data
    // One row more than asked tells whether another page exists without a count query.
    const { rows } = await pool.query<HistoryRow>(
      `SELECT seq, event_id, type, entity_version, outcome, source, provider_event_id, correlation_id,
              occurred_at, received_at, recorded_at, kafka_topic, kafka_partition, kafka_offset,
              payload::text AS payload_json
         FROM ledger_events
        WHERE entity_type = $1 AND entity_id = $2 AND seq > $3
        ORDER BY seq LIMIT $4`,
      [type, id, after ?? '0', limit + 1],
    )
    const page = rows.slice(0, limit)
    const events = page.map((r) =>
      withJsonMember(
        {
          seq: r.seq,
          eventId: r.event_id,
          type: r.type,
          version: Number(r.entity_version),
          outcome: r.outcome,
          source: r.source,
          providerEventId: r.provider_event_id,
          correlationId: r.correlation_id,
          occurredAt: r.occurred_at.toISOString(),
          receivedAt: r.received_at.toISOString(),
          recordedAt: r.recorded_at.toISOString(),
          kafka: { topic: r.kafka_topic, partition: r.kafka_partition, offset: r.kafka_offset },
        },
        'payload',
        r.payload_json,
      ),
    )
    const meta = {
      entityType: type,
      entityId: id,
      nextAfter: rows.length > limit ? (page[page.length - 1]?.seq ?? null) : null,
    }
    return sendJson(reply, withJsonMember(meta, 'events', `[${events.join(',')}]`))
  })
}
