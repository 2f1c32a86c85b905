import { toDatabaseError } from '@integration-ledger/postgres'
import type pg from 'pg'
import type { LocalRow } from '../run/classify.js'

/**
 * Reads the projector's tables (read-only). A projection belongs to a source through the ledger
 * row of the event that set it (`last_event_id`).
 */
export class LocalStore {
  constructor(private readonly pool: pg.Pool) {}

  /** The projections of these entities that a source's events set, by entity ID. */
  async projections(
    source: string,
    entityType: string,
    ids: readonly string[],
  ): Promise<Map<string, LocalRow>> {
    if (ids.length === 0) return new Map()
    // `accepted`: the projection was set by a person's "accept remote" (its version was raised
    // above the provider's so the projector would apply it).
    const { rows } = await this.#query<{
      entity_id: string
      version: string
      state: unknown
      accepted: boolean
    }>(
      `SELECT p.entity_id, p.version, p.state,
              EXISTS (SELECT 1 FROM reconcile_review r
                       WHERE r.resolution_event_id = p.last_event_id AND r.status = 'accepted-remote') AS accepted
         FROM projections p JOIN ledger_events e ON e.event_id = p.last_event_id
        WHERE p.entity_type = $1 AND p.entity_id = ANY($2::text[]) AND e.source = $3`,
      [entityType, ids, source],
    )
    return new Map(
      rows.map((r) => [
        r.entity_id,
        { entityId: r.entity_id, version: Number(r.version), state: r.state, acceptedByPerson: r.accepted },
      ]),
    )
  }

  /** Projections of the source and type that run `runId` did not see in the provider's listing. */
  async unseen(source: string, entityType: string, runId: string): Promise<LocalRow[]> {
    const { rows } = await this.#query<{ entity_id: string; version: string; state: unknown }>(
      `SELECT p.entity_id, p.version, p.state
         FROM projections p JOIN ledger_events e ON e.event_id = p.last_event_id
        WHERE p.entity_type = $1 AND e.source = $2
          AND NOT EXISTS (SELECT 1 FROM reconcile_seen s WHERE s.run_id = $3 AND s.entity_id = p.entity_id)
        ORDER BY p.entity_id`,
      [entityType, source, runId],
    )
    return rows.map((r) => ({ entityId: r.entity_id, version: Number(r.version), state: r.state }))
  }

  /** Which of these ledger event IDs are already in the ledger table. */
  async inLedger(eventIds: readonly string[]): Promise<Set<string>> {
    if (eventIds.length === 0) return new Set()
    const { rows } = await this.#query<{ event_id: string }>(
      'SELECT event_id FROM ledger_events WHERE event_id = ANY($1::uuid[])',
      [eventIds],
    )
    return new Set(rows.map((r) => r.event_id))
  }

  async #query<R extends pg.QueryResultRow>(sql: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(sql, values)
    } catch (err) {
      throw toDatabaseError(err, 'reading the projections')
    }
  }
}
