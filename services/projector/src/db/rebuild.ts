import { PermanentError } from '@integration-ledger/core'
import type pg from 'pg'
import { toDatabaseError } from '@integration-ledger/postgres'
import { HOLDER_ORDER_SQL, UPSERT_NEWER_SQL } from '@integration-ledger/ledger-reader'

export interface RebuildProgress {
  /** Ledger rows read so far (by sequence range). */
  processed: number
  total: number
  percent: number
  eventsPerSecond: number
}

export interface RebuildOptions {
  /** Ledger rows per statement (and transaction). @default 50000 */
  chunkSize?: number
  /** Keep the replaced table as `projections_replaced_<stamp>` instead of dropping it. @default false */
  keepPrevious?: boolean
  /**
   * Swap even when the live table holds entities the ledger has no applied event for (rows written
   * before the ledger table existed, or by hand); they would be lost. @default false
   */
  force?: boolean
  /** Called after every chunk. */
  onProgress?: (progress: RebuildProgress) => void
}

export interface RebuildResult {
  /** Ledger rows read, including those appended while the rebuild ran. */
  processed: number
  entities: number
  seconds: number
  /** Name of the previous table when kept. */
  previousTable: string | undefined
}

/** Folds the applied ledger rows of sequence range (from, to] into `table`. */
function foldSql(table: string): string {
  return `INSERT INTO ${table} AS p (entity_type, entity_id, version, last_event_id, state, state_sha256, updated_at)
  SELECT DISTINCT ON (entity_type, entity_id) entity_type, entity_id, entity_version, event_id, payload,
         payload_sha256, recorded_at
    FROM ledger_events
   WHERE seq > $1 AND seq <= $2 AND outcome = 'applied'
   ORDER BY entity_type, entity_id, ${HOLDER_ORDER_SQL}
  ${UPSERT_NEWER_SQL}`
}

/** Entities of the live table the rebuilt one lacks. */
async function countOrphans(client: pg.PoolClient, fresh: string): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM projections p
      WHERE NOT EXISTS (SELECT 1 FROM ${fresh} f WHERE f.entity_type = p.entity_type AND f.entity_id = p.entity_id)`,
  )
  return rows[0]?.n ?? 0
}

async function maxSeq(client: pg.PoolClient): Promise<number> {
  const { rows } = await client.query<{ max: string }>(
    'SELECT coalesce(max(seq), 0) AS max FROM ledger_events',
  )
  return Number(rows[0]?.max ?? 0)
}

/**
 * Rebuilds `projections` from the ledger table into a fresh table, then swaps it in.
 *
 * The projection is a fold of the ledger's `applied` rows (highest version per entity), so the
 * outcomes recorded live are trusted rather than judged again. The live projector keeps running:
 * 1. under a short SHARE lock on `ledger_events` (no insert in flight) the high-water sequence is
 *    read; every row at or below it is committed, every later row will get a higher sequence;
 * 2. rows up to it are folded in chunks, each its own transaction, into the fresh table;
 * 3. the swap locks `projections` (ACCESS EXCLUSIVE, taken first: the projector's statement reads
 *    `ledger_events` before it writes `projections`, so this order cannot deadlock with it) and
 *    `ledger_events` (SHARE), folds what was appended meanwhile, and renames the tables.
 */
export async function rebuildProjections(
  pool: pg.Pool,
  options: RebuildOptions = {},
): Promise<RebuildResult> {
  const chunkSize = options.chunkSize ?? 50_000
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 17)
  const fresh = `projections_rebuild_${stamp}`
  const previous = `projections_replaced_${stamp}`
  const started = Date.now()
  const client = await pool.connect()
  try {
    await client.query(`CREATE TABLE ${fresh} (LIKE projections INCLUDING ALL)`)
    await client.query('BEGIN')
    await client.query('LOCK TABLE ledger_events IN SHARE MODE')
    const highWater = await maxSeq(client)
    await client.query('COMMIT')

    const fold = foldSql(fresh)
    let cursor = 0
    while (cursor < highWater) {
      const to = Math.min(cursor + chunkSize, highWater)
      await client.query(fold, [cursor, to])
      cursor = to
      const seconds = Math.max((Date.now() - started) / 1000, 0.001)
      options.onProgress?.({
        processed: cursor,
        total: highWater,
        percent: (100 * cursor) / highWater,
        eventsPerSecond: cursor / seconds,
      })
    }

    await client.query('BEGIN')
    await client.query('LOCK TABLE projections IN ACCESS EXCLUSIVE MODE')
    await client.query('LOCK TABLE ledger_events IN SHARE MODE')
    const finalHighWater = await maxSeq(client)
    await client.query(fold, [cursor, finalHighWater])
    const orphans = await countOrphans(client, fresh)
    if (orphans > 0 && !options.force) {
      throw new PermanentError(
        'CONFLICT',
        `${orphans} entities in projections have no applied event in ledger_events, so a rebuild would ` +
          'drop them; nothing was changed. Replay their events from Kafka first, or pass --force.',
        { details: { orphans } },
      )
    }
    await client.query(`ALTER TABLE projections RENAME TO ${previous}`)
    await client.query(`ALTER INDEX projections_pkey RENAME TO ${previous}_pkey`)
    await client.query(`ALTER TABLE ${fresh} RENAME TO projections`)
    await client.query(`ALTER INDEX ${fresh}_pkey RENAME TO projections_pkey`)
    if (!options.keepPrevious) await client.query(`DROP TABLE ${previous}`)
    const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM projections')
    await client.query('COMMIT')
    return {
      processed: finalHighWater,
      entities: rows[0]?.n ?? 0,
      seconds: (Date.now() - started) / 1000,
      previousTable: options.keepPrevious ? previous : undefined,
    }
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {})
    await client.query(`DROP TABLE IF EXISTS ${fresh}`).catch(() => {})
    throw toDatabaseError(err, 'rebuilding projections')
  } finally {
    client.release()
  }
}
