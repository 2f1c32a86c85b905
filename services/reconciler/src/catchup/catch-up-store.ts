import { toDatabaseError } from '@integration-ledger/postgres'
import type pg from 'pg'

/** A source's catch-up state: the committed checkpoint and the pass in progress (provider-shaped JSON). */
export interface CatchUpState<C, P> {
  checkpoint: C | null
  pass: P | null
}

/** A redelivery the reconciler asked for, written before asking (so a killed pass never asks twice). */
export interface RedeliveryRow {
  guid: string
  deliveryId: number
  requestedAt: Date
  attempts: number
}

/**
 * `reconcile_catchup` (one row per source) and `reconcile_redeliveries`. The pass state is saved
 * after every page, the checkpoint when a pass completes; both survive a killed process.
 */
export class CatchUpStore {
  constructor(private readonly pool: pg.Pool) {}

  async load<C, P>(source: string): Promise<CatchUpState<C, P>> {
    const { rows } = await this.#q<{ checkpoint: C | null; pass: P | null }>(
      'SELECT checkpoint, pass FROM reconcile_catchup WHERE source = $1',
      [source],
    )
    return { checkpoint: rows[0]?.checkpoint ?? null, pass: rows[0]?.pass ?? null }
  }

  /** Every source's committed checkpoint, for the age gauge at start. */
  async checkpoints<C>(): Promise<{ source: string; checkpoint: C }[]> {
    const { rows } = await this.#q<{ source: string; checkpoint: C }>(
      'SELECT source, checkpoint FROM reconcile_catchup WHERE checkpoint IS NOT NULL',
      [],
    )
    return rows
  }

  async savePass(source: string, pass: unknown): Promise<void> {
    await this.#q(
      `INSERT INTO reconcile_catchup (source, pass) VALUES ($1, $2)
       ON CONFLICT (source) DO UPDATE SET pass = EXCLUDED.pass, updated_at = now()`,
      [source, JSON.stringify(pass)],
    )
  }

  /** Ends a pass: the new checkpoint, no pass in progress. */
  async complete(source: string, checkpoint: unknown): Promise<void> {
    await this.#q(
      `INSERT INTO reconcile_catchup (source, checkpoint, pass) VALUES ($1, $2, NULL)
       ON CONFLICT (source) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, pass = NULL, updated_at = now()`,
      [source, JSON.stringify(checkpoint)],
    )
  }

  /** Redeliveries already asked for, by delivery GUID. */
  async redeliveries(source: string, guids: readonly string[]): Promise<Map<string, RedeliveryRow>> {
    if (guids.length === 0) return new Map()
    const { rows } = await this.#q<{
      guid: string
      delivery_id: string
      requested_at: Date
      attempts: number
    }>(
      'SELECT guid, delivery_id, requested_at, attempts FROM reconcile_redeliveries WHERE source = $1 AND guid = ANY($2::text[])',
      [source, guids],
    )
    return new Map(
      rows.map((r) => [
        r.guid,
        {
          guid: r.guid,
          deliveryId: Number(r.delivery_id),
          requestedAt: r.requested_at,
          attempts: r.attempts,
        },
      ]),
    )
  }

  /** Records the request BEFORE it is sent: killed after sending, the next pass does not send it again. */
  async recordRedelivery(source: string, guid: string, deliveryId: number, at: Date): Promise<void> {
    await this.#q(
      `INSERT INTO reconcile_redeliveries (source, guid, delivery_id, requested_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (source, guid) DO UPDATE
         SET delivery_id = EXCLUDED.delivery_id, requested_at = EXCLUDED.requested_at,
             attempts = reconcile_redeliveries.attempts + 1`,
      [source, guid, deliveryId, at],
    )
  }

  async #q<R extends pg.QueryResultRow>(sql: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(sql, values)
    } catch (err) {
      throw toDatabaseError(err, 'saving the catch-up checkpoint')
    }
  }
}
