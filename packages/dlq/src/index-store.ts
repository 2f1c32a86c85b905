import { toDatabaseError } from '@integration-ledger/postgres'
import type pg from 'pg'
import { checkout } from './checkout.js'
import type { FailureKind } from '@integration-ledger/sdk'
import type { DlqFilter, DlqRecordDetail, DlqRecordRef, DlqRecordView } from './types.js'

/** A DLQ record as the index keeps it (everything but the value, which stays in Kafka). */
export interface IndexRow {
  partition: number
  offset: string
  key: string | null
  deadLetteredAt: Date
  originalTopic: string
  originalPartition: number
  originalOffset: string
  attempt: number
  failureKind: string | null
  errorClass: string | null
  errorMessage: string | null
  firstFailureAt: string | null
  headers: Record<string, string>
  valueBytes: number
  event: DlqRecordView['event'] | null
  decodeError: string | null
}

interface StoredRow {
  dlq_partition: number
  dlq_offset: string
  record_key: string | null
  dead_lettered_at: Date
  original_topic: string
  original_partition: number
  original_offset: string
  attempt: number
  failure_kind: string | null
  error_class: string | null
  error_message: string | null
  first_failure_at: string | null
  headers: Record<string, string>
  value_bytes: number
  event: DlqRecordView['event'] | null
  decode_error: string | null
  status: DlqRecordView['status']
  action: 'replay' | 'discard' | null
  actor: string | null
  reason: string | null
  resolved_at: Date | null
}

/** At most `limit` rows after `after`, in (partition, offset) order. */
export interface IndexPage {
  limit: number
  after?: DlqRecordRef | undefined
}

/** A SQL statement and its parameters. */
export interface Query {
  text: string
  values: unknown[]
}

const COLUMNS = `i.dlq_partition, i.dlq_offset, i.record_key, i.dead_lettered_at, i.original_topic,
  i.original_partition, i.original_offset, i.attempt, i.failure_kind, i.error_class, i.error_message,
  i.first_failure_at, i.value_bytes, i.event, i.decode_error, i.status,
  a.action, a.actor, a.reason, a.created_at AS resolved_at`

// The effective action of each row, looked up per row so a page stays a walk of one index.
const RESOLUTION = `LEFT JOIN LATERAL (
    SELECT action, actor, reason, created_at FROM dlq_actions a
     WHERE a.group_id = i.group_id AND a.dlq_partition = i.dlq_partition AND a.dlq_offset = i.dlq_offset
       AND a.outcome = 'done'
  ) a ON true`

/**
 * The `dlq_index` table: one row per DLQ record, written by `DlqIndexer`, read by list and show.
 * Pages are keyset-paginated on (partition, offset), so the cost of a page is its rows.
 */
export class DlqIndexStore {
  readonly #pool: pg.Pool

  constructor(pool: pg.Pool) {
    this.#pool = pool
  }

  /** Next offset to index per partition of a group's DLQ (partitions never indexed are absent). */
  async positions(group: string): Promise<Map<number, bigint>> {
    const { rows } = await this.#query<{ dlq_partition: number; next_offset: string }>(
      'reading DLQ index positions',
      'SELECT dlq_partition, next_offset FROM dlq_index_positions WHERE group_id = $1',
      [group],
    )
    return new Map(rows.map((r) => [r.dlq_partition, BigInt(r.next_offset)]))
  }

  /**
   * Writes index rows of one partition and moves its position to `nextOffset`, in one transaction:
   * the position never passes a row that is not written. Rows already there are rewritten (a
   * rebuild); their status is derived from `dlq_actions` and only ever moves away from pending.
   */
  async write(
    group: string,
    partition: number,
    rows: readonly IndexRow[],
    nextOffset: bigint,
  ): Promise<void> {
    const json = JSON.stringify(
      rows.map((r) => ({
        group_id: group,
        dlq_partition: r.partition,
        dlq_offset: r.offset,
        record_key: r.key,
        dead_lettered_at: r.deadLetteredAt.toISOString(),
        original_topic: r.originalTopic,
        original_partition: r.originalPartition,
        original_offset: r.originalOffset,
        attempt: r.attempt,
        failure_kind: r.failureKind,
        error_class: r.errorClass,
        error_message: r.errorMessage,
        first_failure_at: r.firstFailureAt,
        headers: r.headers,
        value_bytes: r.valueBytes,
        event: r.event,
        source: r.event?.source ?? null,
        decode_error: r.decodeError,
        status: 'pending',
      })),
      // PostgreSQL text and jsonb cannot hold U+0000; a header may. One odd byte must not wedge the index.
      (_, value: unknown) => (typeof value === 'string' ? value.replaceAll('\u0000', '\uFFFD') : value),
    )
    const { client, release } = await checkout(this.#pool, 'connecting for the DLQ index')
    try {
      await client.query('BEGIN')
      await client.query(
        `INSERT INTO dlq_index
         SELECT r.group_id, r.dlq_partition, r.dlq_offset, r.record_key, r.dead_lettered_at, r.original_topic,
                r.original_partition, r.original_offset, r.attempt, r.failure_kind, r.error_class,
                r.error_message, r.first_failure_at, r.headers, r.value_bytes, r.event, r.source,
                r.decode_error,
                CASE a.action WHEN 'replay' THEN 'replayed' WHEN 'discard' THEN 'discarded' ELSE 'pending' END
           FROM json_populate_recordset(NULL::dlq_index, $1) r
           LEFT JOIN dlq_actions a ON a.group_id = r.group_id AND a.dlq_partition = r.dlq_partition
                                  AND a.dlq_offset = r.dlq_offset AND a.outcome = 'done'
         ON CONFLICT (group_id, dlq_partition, dlq_offset) DO UPDATE SET
           record_key = EXCLUDED.record_key, dead_lettered_at = EXCLUDED.dead_lettered_at,
           original_topic = EXCLUDED.original_topic, original_partition = EXCLUDED.original_partition,
           original_offset = EXCLUDED.original_offset, attempt = EXCLUDED.attempt,
           failure_kind = EXCLUDED.failure_kind, error_class = EXCLUDED.error_class,
           error_message = EXCLUDED.error_message, first_failure_at = EXCLUDED.first_failure_at,
           headers = EXCLUDED.headers, value_bytes = EXCLUDED.value_bytes, event = EXCLUDED.event,
           source = EXCLUDED.source, decode_error = EXCLUDED.decode_error,
           status = CASE WHEN dlq_index.status = 'pending' THEN EXCLUDED.status ELSE dlq_index.status END`,
        [json],
      )
      await client.query(
        `INSERT INTO dlq_index_positions (group_id, dlq_partition, next_offset) VALUES ($1, $2, $3)
         ON CONFLICT (group_id, dlq_partition)
         DO UPDATE SET next_offset = GREATEST(dlq_index_positions.next_offset, EXCLUDED.next_offset)`,
        [group, partition, String(nextOffset)],
      )
      await client.query('COMMIT')
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {})
      throw toDatabaseError(err, 'writing the DLQ index')
    } finally {
      release()
    }
  }

  /** Forgets how far a group's DLQ was indexed, so the next catch-up re-reads it from the start. */
  async resetPositions(group: string): Promise<void> {
    await this.#query(
      'resetting DLQ index positions',
      'DELETE FROM dlq_index_positions WHERE group_id = $1',
      [group],
    )
  }

  /** The SQL of one page; exported for tests that check its plan. */
  pageQuery(group: string, filter: DlqFilter, page: IndexPage): Query {
    const { where, values } = conditions(group, filter)
    if (page.after) {
      values.push(page.after.partition, page.after.offset)
      where.push(`(i.dlq_partition, i.dlq_offset) > ($${values.length - 1}, $${values.length})`)
    }
    values.push(page.limit)
    return {
      text: `SELECT ${COLUMNS} FROM dlq_index i ${RESOLUTION}
              WHERE ${where.join(' AND ')}
              ORDER BY i.dlq_partition, i.dlq_offset LIMIT $${values.length}`,
      values,
    }
  }

  /** One page of records matching `filter`, oldest partition/offset first. */
  async page(group: string, filter: DlqFilter, page: IndexPage): Promise<DlqRecordView[]> {
    const { text, values } = this.pageQuery(group, filter, page)
    const { rows } = await this.#query<StoredRow>('listing the DLQ index', text, values)
    return rows.map((r) => toView(group, r))
  }

  /** How many records match `filter` (an index count in PostgreSQL; nothing is read from Kafka). */
  async count(group: string, filter: DlqFilter): Promise<number> {
    const { where, values } = conditions(group, filter)
    const { rows } = await this.#query<{ n: string }>(
      'counting the DLQ index',
      `SELECT count(*) AS n FROM dlq_index i WHERE ${where.join(' AND ')}`,
      values,
    )
    return Number(rows[0]?.n ?? 0)
  }

  /** The listed records that are indexed, with every header. */
  async find(group: string, refs: readonly DlqRecordRef[]): Promise<DlqRecordDetail[]> {
    if (refs.length === 0) return []
    const { rows } = await this.#query<StoredRow>(
      'reading the DLQ index',
      `SELECT ${COLUMNS}, i.headers FROM dlq_index i ${RESOLUTION}
        WHERE i.group_id = $1
          AND (i.dlq_partition, i.dlq_offset) IN (SELECT * FROM unnest($2::int[], $3::bigint[]))
        ORDER BY i.dlq_partition, i.dlq_offset`,
      [group, refs.map((r) => r.partition), refs.map((r) => r.offset)],
    )
    return rows.map((r) => ({ ...toView(group, r), headers: r.headers, valueBytes: r.value_bytes }))
  }

  /** Pending records and the time the oldest of them was dead-lettered. */
  async pending(group: string): Promise<{ count: number; oldest: Date | null }> {
    const { rows } = await this.#query<{ n: string; oldest: Date | null }>(
      'counting pending DLQ records',
      `SELECT count(*) AS n, min(dead_lettered_at) AS oldest FROM dlq_index
        WHERE group_id = $1 AND status = 'pending'`,
      [group],
    )
    return { count: Number(rows[0]?.n ?? 0), oldest: rows[0]?.oldest ?? null }
  }

  async #query<R extends pg.QueryResultRow>(action: string, text: string, values: unknown[]) {
    try {
      return await this.#pool.query<R>(text, values)
    } catch (err) {
      throw toDatabaseError(err, action)
    }
  }
}

function conditions(group: string, filter: DlqFilter): { where: string[]; values: unknown[] } {
  const where = ['i.group_id = $1']
  const values: unknown[] = [group]
  const add = (sql: (param: string) => string, value: unknown) => {
    values.push(value)
    where.push(sql(`$${values.length}`))
  }
  if (filter.source !== undefined) add((p) => `i.source = ${p}`, filter.source)
  if (filter.errorClass !== undefined) add((p) => `i.error_class = ${p}`, filter.errorClass)
  if (filter.since !== undefined) add((p) => `i.dead_lettered_at >= ${p}`, filter.since)
  if (filter.until !== undefined) add((p) => `i.dead_lettered_at < ${p}`, filter.until)
  if (filter.status !== undefined && filter.status !== 'all') add((p) => `i.status = ${p}`, filter.status)
  return { where, values }
}

function toView(group: string, r: StoredRow): DlqRecordView {
  return {
    group,
    partition: r.dlq_partition,
    offset: String(r.dlq_offset),
    key: r.record_key,
    deadLetteredAt: r.dead_lettered_at.toISOString(),
    originalTopic: r.original_topic,
    originalPartition: r.original_partition,
    originalOffset: r.original_offset,
    attempt: r.attempt,
    failureKind: (r.failure_kind ?? undefined) as FailureKind | undefined,
    errorClass: r.error_class ?? undefined,
    errorMessage: r.error_message ?? undefined,
    firstFailureAt: r.first_failure_at ?? undefined,
    ...(r.event ? { event: r.event } : {}),
    ...(r.decode_error !== null ? { decodeError: r.decode_error } : {}),
    status: r.status,
    ...(r.action &&
      r.actor !== null &&
      r.resolved_at && {
        resolution: { action: r.action, actor: r.actor, at: r.resolved_at.toISOString(), reason: r.reason },
      }),
  }
}
