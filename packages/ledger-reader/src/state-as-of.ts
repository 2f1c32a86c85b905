import { ledgerReadError } from './errors.js'
import type pg from 'pg'
import { LEDGER_EVENT_COLUMNS, type LedgerEventRow, toLedgerEventRow } from './ledger-events.js'
import { HOLDER_ORDER_SQL } from './version-rule.js'

/** What an entity's projection held at a time, and the ledger row of the event that set it. */
export interface StateAsOf {
  entityType: string
  entityId: string
  version: number
  /** The state as PostgreSQL renders the stored jsonb: never parsed and re-serialised here. */
  stateJson: string
  /** The event that set it; its `recordedAt` is when the projection took this state. */
  setBy: LedgerEventRow
}

/** The answer: the state, or when there was none yet, when the entity's first state was recorded. */
export type StateAsOfResult =
  { found: true; state: StateAsOf } | { found: false; firstRecordedAt: Date | undefined }

/**
 * What the projection of one entity held at `asOf`, derived from the append-only ledger table:
 * of the entity's `applied` rows recorded by then, the holder under the version rule
 * (`HOLDER_ORDER_SQL`). Rows the projector judged `stale`, `duplicate` or `conflict` never held
 * the state, so an older event that arrived after a newer one is never the answer. `asOf` names a
 * whole millisecond: a row recorded within it counts (the database keeps microseconds, ISO times
 * as printed carry milliseconds), so asking at a `recordedAt` this returns includes that event.
 */
export async function stateAsOf(
  pool: pg.Pool,
  entityType: string,
  entityId: string,
  asOf: Date,
): Promise<StateAsOfResult> {
  try {
    const { rows } = await pool.query<Parameters<typeof toLedgerEventRow>[0] & { state_json: string }>(
      `SELECT ${LEDGER_EVENT_COLUMNS}, payload::text AS state_json FROM ledger_events
        WHERE entity_type = $1 AND entity_id = $2 AND outcome = 'applied'
          AND recorded_at < $3::timestamptz + interval '1 millisecond'
        ORDER BY ${HOLDER_ORDER_SQL} LIMIT 1`,
      [entityType, entityId, asOf],
    )
    const row = rows[0]
    if (row) {
      const setBy = toLedgerEventRow(row)
      return {
        found: true,
        state: { entityType, entityId, version: setBy.entityVersion, stateJson: row.state_json, setBy },
      }
    }
    const first = await pool.query<{ at: Date | null }>(
      `SELECT min(recorded_at) AS at FROM ledger_events
        WHERE entity_type = $1 AND entity_id = $2 AND outcome = 'applied'`,
      [entityType, entityId],
    )
    return { found: false, firstRecordedAt: first.rows[0]?.at ?? undefined }
  } catch (err) {
    throw ledgerReadError(err, `reading the ledger of ${entityType}/${entityId}`)
  }
}
