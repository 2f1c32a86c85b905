import { PermanentError } from '@integration-ledger/core'
import { toDatabaseError } from '@integration-ledger/postgres'
import { buildEvent } from '@integration-ledger/sdk'
import type pg from 'pg'
import type { LocalStore } from '../db/local-store.js'
import type { ReconcilerMetrics } from '../metrics.js'
import { RECONCILED_EVENT_TYPE, type ReconcileTarget, type Reconciler } from '../run/reconciler.js'

export const REVIEW_ACTIONS = ['accept-remote', 'keep-local', 'ignore'] as const
export type ReviewAction = (typeof REVIEW_ACTIONS)[number]

const STATUS_FOR: Record<ReviewAction, string> = {
  'accept-remote': 'accepted-remote',
  'keep-local': 'kept-local',
  ignore: 'ignored',
}

/** A review item as listed. */
export interface ReviewItem {
  id: number
  source: string
  entityType: string
  entityId: string
  kind: string
  localVersion: number | null
  remoteVersion: number | null
  runId: string
  foundAt: string
  status: string
  resolvedBy: string | null
  resolvedAt: string | null
  resolutionEventId: string | null
}

interface Row {
  id: string
  source: string
  entity_type: string
  entity_id: string
  kind: string
  local_version: string | null
  remote_version: string | null
  run_id: string
  found_at: Date
  status: string
  resolved_by: string | null
  resolved_at: Date | null
  resolution_event_id: string | null
}

const toItem = (r: Row): ReviewItem => ({
  id: Number(r.id),
  source: r.source,
  entityType: r.entity_type,
  entityId: r.entity_id,
  kind: r.kind,
  localVersion: r.local_version === null ? null : Number(r.local_version),
  remoteVersion: r.remote_version === null ? null : Number(r.remote_version),
  runId: r.run_id,
  foundAt: r.found_at.toISOString(),
  status: r.status,
  resolvedBy: r.resolved_by,
  resolvedAt: r.resolved_at?.toISOString() ?? null,
  resolutionEventId: r.resolution_event_id,
})

export interface ReviewServiceOptions {
  pool: pg.Pool
  local: LocalStore
  reconciler: Reconciler
  metrics: ReconcilerMetrics
  /** The configured sources, by name. */
  targets: (source: string) => ReconcileTarget | undefined
}

/**
 * The review table: list, and resolve with who and when. "Accept remote" publishes a corrective
 * event with the provider's current record (or a tombstone for a remote delete) at a version above
 * the projection's, so the projector's version check lets the person's decision through; its
 * provider event ID is derived from the item, so resolving again publishes the same event.
 */
export class ReviewService {
  constructor(private readonly options: ReviewServiceOptions) {}

  async list(filter: { status?: string | null; limit?: number; after?: number } = {}): Promise<ReviewItem[]> {
    const { rows } = await this.#q<Row>(
      `SELECT * FROM reconcile_review WHERE ($1::text IS NULL OR status = $1) AND id > $2 ORDER BY id LIMIT $3`,
      [filter.status === undefined ? 'open' : filter.status, filter.after ?? 0, filter.limit ?? 100],
    )
    return rows.map(toItem)
  }

  async open(): Promise<number> {
    const { rows } = await this.#q<{ n: number }>(
      `SELECT count(*)::int AS n FROM reconcile_review WHERE status = 'open'`,
      [],
    )
    const n = rows[0]?.n ?? 0
    this.options.metrics.reviewOpen.set(n)
    return n
  }

  /** `correlationId`: the resolving request's, carried by the corrective event "accept remote" publishes. */
  async resolve(
    id: number,
    action: ReviewAction,
    actor: string,
    correlationId?: string,
  ): Promise<ReviewItem> {
    const { rows } = await this.#q<Row>('SELECT * FROM reconcile_review WHERE id = $1', [id])
    const row = rows[0]
    if (row === undefined)
      throw new PermanentError('NOT_FOUND', `Review item ${id} does not exist; list them with GET /review.`)
    if (row.status !== 'open') {
      throw new PermanentError(
        'CONFLICT',
        `Review item ${id} was already resolved (${row.status} by ${row.resolved_by ?? '?'} at ${row.resolved_at?.toISOString() ?? '?'}).`,
      )
    }
    let eventId: string | null = null
    if (action === 'accept-remote') eventId = await this.#acceptRemote(row, correlationId)
    const { rows: updated } = await this.#q<Row>(
      `UPDATE reconcile_review SET status = $2, resolved_by = $3, resolved_at = now(), resolution_event_id = $4
        WHERE id = $1 AND status = 'open' RETURNING *`,
      [id, STATUS_FOR[action], actor, eventId],
    )
    await this.open()
    if (updated[0] === undefined)
      throw new PermanentError('CONFLICT', `Review item ${id} was resolved meanwhile by someone else.`)
    return toItem(updated[0])
  }

  async #acceptRemote(row: Row, correlationId: string | undefined): Promise<string> {
    const target = this.options.targets(row.source)
    if (target === undefined) {
      throw new PermanentError(
        'VALIDATION_FAILED',
        `Source "${row.source}" is not configured for reconciliation here; cannot read its current record.`,
      )
    }
    const remote = await target.remote.retrieve(row.entity_type, row.entity_id)
    const local = (await this.options.local.projections(row.source, row.entity_type, [row.entity_id])).get(
      row.entity_id,
    )
    const remoteVersion = remote === 'missing' ? 0 : remote.version
    const body =
      remote === 'missing' ? { id: row.entity_id, object: row.entity_type, deleted: true } : remote.state
    const event = buildEvent({
      source: row.source,
      providerEventId: `reconcile-accept:${row.id}`,
      type: remote === 'missing' ? `${RECONCILED_EVENT_TYPE}.deleted` : RECONCILED_EVENT_TYPE,
      entityType: row.entity_type,
      entityId: row.entity_id,
      entityVersion: Math.max(remoteVersion, (local?.version ?? 0) + 1),
      rawBody: Buffer.from(JSON.stringify(body)),
      headers: { 'ledger-reconcile-review': String(row.id) },
      ...(correlationId === undefined ? {} : { correlationId }),
    })
    await this.options.reconciler.publishCorrective(target, event)
    return event.eventId
  }

  async #q<R extends pg.QueryResultRow>(sql: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.options.pool.query<R>(sql, values)
    } catch (err) {
      throw toDatabaseError(err, 'reading the review table')
    }
  }
}
