import { LedgerError } from '@integration-ledger/core'
import { stateAsOf } from '@integration-ledger/ledger-reader'
import { parseIsoTime } from '@integration-ledger/service-kit'
import type pg from 'pg'

/** An entity's state as of a time: the answer's members besides `state`, and the state's JSON text. */
export interface EntityAsOfAnswer {
  meta: {
    entityType: string
    entityId: string
    asOf: string
    version: number
    lastEventId: string
    /** When the projection took this state (the ledger row's `recorded_at`). */
    updatedAt: string
    /** The event that set it, as its ledger row has it. */
    setBy: {
      eventId: string
      type: string
      source: string
      occurredAt: string
      receivedAt: string
      recordedAt: string
      kafka: { topic: string; partition: number; offset: string }
    }
  }
  stateJson: string
}

/**
 * What the projection of `type/id` held at `asOfText` (ISO 8601), from the ledger table under the
 * projector's version rule (`stateAsOf` of `@integration-ledger/ledger-reader`). Shared by
 * `GET /entities/:type/:id?asOf=` and `npm run entity`.
 * @throws LedgerError VALIDATION_FAILED for a time that is not ISO 8601 with a zone; NOT_FOUND
 * when the entity had no state yet at that time.
 */
export async function entityAsOf(
  pool: pg.Pool,
  type: string,
  id: string,
  asOfText: unknown,
): Promise<EntityAsOfAnswer> {
  if (typeof asOfText !== 'string') {
    throw new LedgerError(
      'VALIDATION_FAILED',
      'asOf must be given once, as an ISO 8601 time, e.g. 2025-01-31T14:03:00Z.',
    )
  }
  const asOf = parseIsoTime(asOfText, 'asOf')
  const result = await stateAsOf(pool, type, id, asOf)
  if (!result.found) {
    throw new LedgerError(
      'NOT_FOUND',
      result.firstRecordedAt
        ? `Entity ${type}/${id} had no state yet at ${asOf.toISOString()}: its first state was recorded at ${result.firstRecordedAt.toISOString()}.`
        : `Entity ${type}/${id} has no state at any time: the projector has applied no event for it. GET /entities/${type}/${id}/history shows whether events arrived and what became of them.`,
    )
  }
  const { state } = result
  const row = state.setBy
  return {
    meta: {
      entityType: type,
      entityId: id,
      asOf: asOf.toISOString(),
      version: state.version,
      lastEventId: row.eventId,
      updatedAt: row.recordedAt.toISOString(),
      setBy: {
        eventId: row.eventId,
        type: row.type,
        source: row.source,
        occurredAt: row.occurredAt.toISOString(),
        receivedAt: row.receivedAt.toISOString(),
        recordedAt: row.recordedAt.toISOString(),
        kafka: row.kafka,
      },
    },
    stateJson: state.stateJson,
  }
}
