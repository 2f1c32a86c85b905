import { randomUUID } from 'node:crypto'
import { toDatabaseError } from '@integration-ledger/postgres'
import type pg from 'pg'
import type { CatchUpReport } from '../catchup/types.js'
import type { RunCounts, RunReport } from '../run/report.js'
import { emptyCounts } from '../run/report.js'

/** A run row as the engine uses it. */
export interface RunRow {
  id: string
  source: string
  entityType: string
  since: Date | null
  dryRun: boolean
  status: 'running' | 'succeeded' | 'failed'
  cursor: string | null
  enumerated: boolean
  pages: number
  counts: RunCounts
  startedBy: string
  startedAt: Date
  resumed: number
  report: RunReport | null
  /** The catch-up phase's report once done (null: not yet, or none). */
  catchUp: CatchUpReport | null
}

interface Row {
  id: string
  source: string
  entity_type: string
  since: Date | null
  dry_run: boolean
  status: RunRow['status']
  cursor: string | null
  enumerated: boolean
  pages: number
  counts: RunCounts
  started_by: string
  started_at: Date
  resumed: number
  report: RunReport | null
  catch_up: CatchUpReport | null
}

const toRun = (r: Row): RunRow => ({
  id: r.id,
  source: r.source,
  entityType: r.entity_type,
  since: r.since,
  dryRun: r.dry_run,
  status: r.status,
  cursor: r.cursor,
  enumerated: r.enumerated,
  pages: r.pages,
  counts: { ...emptyCounts(), ...r.counts },
  startedBy: r.started_by,
  startedAt: r.started_at,
  resumed: r.resumed,
  report: r.report,
  catchUp: r.catch_up,
})

/** What one page adds to the checkpoint, written in one transaction. */
export interface PageCommit {
  cursor: string | null
  enumerated: boolean
  pagesDelta: number
  counts: RunCounts
  seen: readonly string[]
  publications: readonly { eventId: string; entityId: string; version: number; reason: string }[]
  reviews: readonly ReviewDraft[]
}

/** A disagreement a person must decide. */
export interface ReviewDraft {
  entityId: string
  kind: string
  localVersion: number | null
  remoteVersion: number | null
  remoteState: unknown
  detail: Record<string, unknown>
}

/** `reconcile_runs`, `reconcile_publications`, `reconcile_seen` and the review inserts of a page. */
export class RunStore {
  constructor(private readonly pool: pg.Pool) {}

  /** The latest unfinished run with the same options, to resume from its checkpoint. */
  async resumable(
    source: string,
    entityType: string,
    since: Date | null,
    dryRun: boolean,
  ): Promise<RunRow | undefined> {
    const { rows } = await this.#q<Row>(
      `SELECT * FROM reconcile_runs
        WHERE source = $1 AND entity_type = $2 AND status <> 'succeeded'
          AND since IS NOT DISTINCT FROM $3 AND dry_run = $4
        ORDER BY started_at DESC LIMIT 1`,
      [source, entityType, since, dryRun],
    )
    return rows[0] === undefined ? undefined : toRun(rows[0])
  }

  async create(
    source: string,
    entityType: string,
    since: Date | null,
    dryRun: boolean,
    actor: string,
  ): Promise<RunRow> {
    const { rows } = await this.#q<Row>(
      `INSERT INTO reconcile_runs (id, source, entity_type, since, dry_run, status, counts, started_by)
       VALUES ($1, $2, $3, $4, $5, 'running', $6, $7) RETURNING *`,
      [randomUUID(), source, entityType, since, dryRun, JSON.stringify(emptyCounts()), actor],
    )
    return toRun(rows[0]!)
  }

  async markResumed(id: string): Promise<void> {
    await this.#q(
      `UPDATE reconcile_runs SET status = 'running', error = NULL, resumed = resumed + 1 WHERE id = $1`,
      [id],
    )
  }

  /** Which of these corrective event IDs were already published by any run. */
  async published(eventIds: readonly string[]): Promise<Set<string>> {
    if (eventIds.length === 0) return new Set()
    const { rows } = await this.#q<{ event_id: string }>(
      'SELECT event_id FROM reconcile_publications WHERE event_id = ANY($1::uuid[])',
      [eventIds],
    )
    return new Set(rows.map((r) => r.event_id))
  }

  /**
   * The checkpoint: publications, review items, seen IDs and the cursor with the counts, all or
   * nothing. Returns how many review items were new.
   */
  async commitPage(run: RunRow, page: PageCommit): Promise<number> {
    let client: pg.PoolClient
    try {
      client = await this.pool.connect()
    } catch (err) {
      throw toDatabaseError(err, 'saving the reconciliation checkpoint')
    }
    try {
      await client.query('BEGIN')
      for (const p of page.publications) {
        await client.query(
          `INSERT INTO reconcile_publications (event_id, run_id, source, entity_type, entity_id, entity_version, reason)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING`,
          [p.eventId, run.id, run.source, run.entityType, p.entityId, p.version, p.reason],
        )
      }
      let fresh = 0
      for (const r of page.reviews) {
        const res = await client.query(
          `INSERT INTO reconcile_review (source, entity_type, entity_id, kind, local_version, remote_version, remote_state, detail, run_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
          [
            run.source,
            run.entityType,
            r.entityId,
            r.kind,
            r.localVersion,
            r.remoteVersion,
            r.remoteState === undefined ? null : JSON.stringify(r.remoteState),
            JSON.stringify(r.detail),
            run.id,
          ],
        )
        fresh += res.rowCount ?? 0
      }
      if (page.seen.length > 0) {
        await client.query(
          `INSERT INTO reconcile_seen (run_id, entity_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`,
          [run.id, page.seen],
        )
      }
      const counts = {
        ...page.counts,
        reviewNew: page.counts.reviewNew + fresh,
        reviewExisting: page.counts.reviewExisting + page.reviews.length - fresh,
      }
      await client.query(
        `UPDATE reconcile_runs SET cursor = $2, enumerated = $3, pages = pages + $4, counts = $5 WHERE id = $1`,
        [run.id, page.cursor, page.enumerated, page.pagesDelta, JSON.stringify(counts)],
      )
      await client.query('COMMIT')
      run.cursor = page.cursor
      run.enumerated = page.enumerated
      run.pages += page.pagesDelta
      run.counts = counts
      return fresh
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {})
      throw toDatabaseError(err, 'saving the reconciliation checkpoint')
    } finally {
      client.release()
    }
  }

  /** The catch-up phase is done for this run: a resumed run goes straight to the scan. */
  async saveCatchUp(run: RunRow, report: CatchUpReport): Promise<void> {
    await this.#q('UPDATE reconcile_runs SET catch_up = $2 WHERE id = $1', [run.id, JSON.stringify(report)])
    run.catchUp = report
  }

  /** Ends a run; a succeeded run's seen IDs are no longer needed. */
  async finish(run: RunRow, report: RunReport): Promise<void> {
    await this.#q(
      `UPDATE reconcile_runs SET status = $2, report = $3, error = $4, finished_at = $5 WHERE id = $1`,
      [run.id, report.status, JSON.stringify(report), report.error ?? null, report.finishedAt],
    )
    if (report.status === 'succeeded') await this.#q('DELETE FROM reconcile_seen WHERE run_id = $1', [run.id])
  }

  /**
   * When each (source, entity type) last finished a complete run successfully (no `--since`
   * window, not a dry run: one that compared and repaired everything), as recorded by any process.
   */
  async lastSuccesses(): Promise<{ source: string; entityType: string; finishedAt: Date }[]> {
    const { rows } = await this.#q<{ source: string; entity_type: string; finished_at: Date }>(
      `SELECT source, entity_type, max(finished_at) AS finished_at FROM reconcile_runs
        WHERE status = 'succeeded' AND finished_at IS NOT NULL AND since IS NULL AND NOT dry_run
        GROUP BY source, entity_type`,
      [],
    )
    return rows.map((r) => ({ source: r.source, entityType: r.entity_type, finishedAt: r.finished_at }))
  }

  async get(id: string): Promise<RunRow | undefined> {
    const { rows } = await this.#q<Row>('SELECT * FROM reconcile_runs WHERE id = $1', [id])
    return rows[0] === undefined ? undefined : toRun(rows[0])
  }

  async list(limit: number): Promise<RunRow[]> {
    const { rows } = await this.#q<Row>('SELECT * FROM reconcile_runs ORDER BY started_at DESC LIMIT $1', [
      limit,
    ])
    return rows.map(toRun)
  }

  async #q<R extends pg.QueryResultRow>(sql: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(sql, values)
    } catch (err) {
      throw toDatabaseError(err, 'saving the reconciliation checkpoint')
    }
  }
}
