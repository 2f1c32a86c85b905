import {
  CORRELATION_ID_PATTERN,
  ENTITY_ID_MAX_LENGTH,
  ENTITY_TYPE_MAX_LENGTH,
} from '@integration-ledger/core'
import { z } from 'zod'
import type { NewEvent } from './build-event.js'

/**
 * The JSON form of a `NewEvent`, as `POST /events` on the ingest service takes it. Dates travel as
 * ISO strings and a byte-exact body as base64 (`rawBodyBase64`); otherwise give `payload`.
 */
export const newEventJsonSchema = z
  .strictObject({
    source: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, 'lower-case letters, digits, ".", "_", "-"'),
    providerEventId: z.string().min(1).max(512),
    type: z.string().min(1).max(256),
    entityType: z.string().min(1).max(ENTITY_TYPE_MAX_LENGTH),
    entityId: z.string().min(1).max(ENTITY_ID_MAX_LENGTH),
    // zod's int() is the safe-integer range, as the projector requires.
    entityVersion: z.number().int().min(0),
    occurredAt: z.iso.datetime({ offset: true }).optional(),
    correlationId: z
      .string()
      .regex(CORRELATION_ID_PATTERN, 'at most 128 letters, digits, ".", "_", ":", "-"')
      .optional(),
    headers: z.record(z.string(), z.string()).optional(),
    contentType: z.string().min(1).max(256).optional(),
    payload: z.unknown().optional(),
    rawBodyBase64: z.base64().optional(),
  })
  .refine((e) => !(e.payload !== undefined && e.rawBodyBase64 !== undefined), {
    message: 'give either payload or rawBodyBase64, not both',
  })
  .meta({
    id: 'NewEvent',
    description: 'An event as POST /events on ingest takes it; give payload or rawBodyBase64, not both.',
    examples: [
      {
        source: 'orders',
        providerEventId: 'o-42-v3',
        type: 'order.updated',
        entityType: 'order',
        entityId: 'o-42',
        entityVersion: 3,
        payload: { status: 'paid' },
      },
    ],
  })

export type NewEventJson = z.input<typeof newEventJsonSchema>

/** Serialises a `NewEvent` for `POST /events`. */
export function toNewEventJson(event: NewEvent): NewEventJson {
  return {
    source: event.source,
    providerEventId: event.providerEventId,
    type: event.type,
    entityType: event.entityType,
    entityId: event.entityId,
    entityVersion: event.entityVersion,
    ...(event.occurredAt ? { occurredAt: event.occurredAt.toISOString() } : {}),
    ...(event.correlationId ? { correlationId: event.correlationId } : {}),
    ...(event.headers ? { headers: event.headers } : {}),
    ...(event.contentType ? { contentType: event.contentType } : {}),
    ...(event.rawBody
      ? { rawBodyBase64: event.rawBody.toString('base64') }
      : { payload: event.payload ?? null }),
  }
}

/** Parses the JSON form back into a `NewEvent` (sourceKind `sdk`); zod issues on bad input. */
export function fromNewEventJson(
  json: unknown,
): { ok: true; event: NewEvent } | { ok: false; problems: string[] } {
  const parsed = newEventJsonSchema.safeParse(json)
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`),
    }
  }
  const { occurredAt, rawBodyBase64, payload, ...rest } = parsed.data
  return {
    ok: true,
    event: {
      ...rest,
      sourceKind: 'sdk',
      ...(occurredAt ? { occurredAt: new Date(occurredAt) } : {}),
      ...(rawBodyBase64 !== undefined ? { rawBody: Buffer.from(rawBodyBase64, 'base64') } : { payload }),
    },
  }
}
