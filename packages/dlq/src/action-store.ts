import type pg from 'pg'
import { checkout } from './checkout.js'
import type { DlqRecordRef } from './types.js'

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

/** The `dlq_actions` audit table (see schema.ts): who replayed or discarded which DLQ record, when and why. */
export class DlqActionStore {
  readonly #pool: pg.Pool

  constructor(pool: pg.Pool) {
    this.#pool = pool
  }

  /**
   * Records `action` on a DLQ record and runs `effect` (the produce, for a replay) inside the same
   * transaction, so a failed effect leaves no record. Returns false, and records a `skipped` row,
   * when the record was already replayed or discarded: concurrent callers wait on the unique index
   * and only one of them runs the effect.
   */
  async once(entry: RecordedAction, effect: () => Promise<void>): Promise<boolean> {
    const { client, release } = await checkout(this.#pool, 'connecting to record a DLQ action')
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
        // The index's status moves with the action, so status filters stay index lookups.
        await client.query(
          `UPDATE dlq_index SET status = $4 WHERE group_id = $1 AND dlq_partition = $2 AND dlq_offset = $3`,
          [
            entry.group,
            entry.ref.partition,
            entry.ref.offset,
            entry.action === 'replay' ? 'replayed' : 'discarded',
          ],
        )
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
      release()
    }
  }
}

/** `partition:offset`, the way the CLI and API name a DLQ record. */
export function refKey(ref: DlqRecordRef): string {
  return `${ref.partition}:${ref.offset}`
}
