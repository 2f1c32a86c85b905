import { applySchema } from '@ledger/postgres'
import type pg from 'pg'
import type { DlqRecordRef } from './types.js'

/** Any fixed 64-bit number: serialises concurrent migrations from several admin replicas. */
const MIGRATION_LOCK_ID = 7_315_004

const STATEMENTS = [
  `CREATE TABLE IF NOT EXISTS dlq_actions (
     id            bigserial   PRIMARY KEY,
     group_id      text        NOT NULL,
     dlq_partition integer     NOT NULL,
     dlq_offset    bigint      NOT NULL,
     action        text        NOT NULL CHECK (action IN ('replay', 'discard')),
     outcome       text        NOT NULL CHECK (outcome IN ('done', 'skipped')),
     actor         text        NOT NULL,
     reason        text,
     target_topic  text,
     event_id      text,
     error_class   text,
     created_at    timestamptz NOT NULL DEFAULT now()
   )`,
  // One effective action per DLQ record: this is what makes a second replay a no-op.
  `CREATE UNIQUE INDEX IF NOT EXISTS dlq_actions_once
     ON dlq_actions (group_id, dlq_partition, dlq_offset) WHERE outcome = 'done'`,
]

export interface DlqActionRow {
  partition: number
  offset: string
  action: 'replay' | 'discard'
  actor: string
  reason: string | null
  at: Date
}

export interface RecordedAction {
  group: string
  ref: DlqRecordRef
  action: 'replay' | 'discard'
  actor: string
  reason: string | null
  targetTopic: string | null
  eventId: string | null
  errorClass: string | null
}

/** The `dlq_actions` audit table: who replayed or discarded which DLQ record, when and why. */
export class DlqActionStore {
  readonly #pool: pg.Pool

  constructor(pool: pg.Pool) {
    this.#pool = pool
  }

  /** Creates the table when missing; safe on every start. */
  async migrate(): Promise<void> {
    await applySchema(this.#pool, { lockId: MIGRATION_LOCK_ID, statements: STATEMENTS })
  }

  /** The effective (done) action of each record of a group's DLQ that has one. */
  async resolutions(group: string): Promise<Map<string, DlqActionRow>> {
    const { rows } = await this.#pool.query<{
      dlq_partition: number
      dlq_offset: string
      action: 'replay' | 'discard'
      actor: string
      reason: string | null
      created_at: Date
    }>(
      `SELECT dlq_partition, dlq_offset, action, actor, reason, created_at
         FROM dlq_actions WHERE group_id = $1 AND outcome = 'done'`,
      [group],
    )
    return new Map(
      rows.map((r) => [
        refKey({ partition: r.dlq_partition, offset: String(r.dlq_offset) }),
        {
          partition: r.dlq_partition,
          offset: String(r.dlq_offset),
          action: r.action,
          actor: r.actor,
          reason: r.reason,
          at: r.created_at,
        },
      ]),
    )
  }

  /**
   * Records `action` on a DLQ record and runs `effect` (the produce, for a replay) inside the same
   * transaction, so a failed effect leaves no record. Returns false, and records a `skipped` row,
   * when the record was already replayed or discarded: concurrent callers wait on the unique index
   * and only one of them runs the effect.
   */
  async once(entry: RecordedAction, effect: () => Promise<void>): Promise<boolean> {
    const client = await this.#pool.connect()
    const values = [
      entry.group,
      entry.ref.partition,
      entry.ref.offset,
      entry.action,
      entry.actor,
      entry.reason,
      entry.targetTopic,
      entry.eventId,
      entry.errorClass,
    ]
    const insert = (outcome: 'done' | 'skipped') =>
      `INSERT INTO dlq_actions (group_id, dlq_partition, dlq_offset, action, actor, reason, target_topic, event_id, error_class, outcome)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '${outcome}')`
    try {
      await client.query('BEGIN')
      const { rowCount } = await client.query(
        `${insert('done')} ON CONFLICT (group_id, dlq_partition, dlq_offset) WHERE outcome = 'done' DO NOTHING`,
        values,
      )
      if (rowCount === 1) {
        await effect()
        await client.query('COMMIT')
        return true
      }
      await client.query(insert('skipped'), values)
      await client.query('COMMIT')
      return false
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {})
      throw err
    } finally {
      client.release()
    }
  }
}

/** `partition:offset`, the way the CLI and API name a DLQ record. */
export function refKey(ref: DlqRecordRef): string {
  return `${ref.partition}:${ref.offset}`
}
