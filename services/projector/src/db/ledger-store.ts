import type pg from 'pg'
import type { LedgerRecord } from '../record.js'
import { APPLY_BATCH_SQL, applyBatchParams, toBatchOutcome, type BatchOutcome } from './apply-batch.js'
import type { Logger } from '@integration-ledger/core'
import { GrowthAnalyzer, toDatabaseError } from '@integration-ledger/postgres'
import type { Outcome } from './migrate.js'

/** The current state of one entity, as tests and the rebuild read it. */
export interface ProjectionRow {
  entityType: string
  entityId: string
  version: number
  lastEventId: string
  state: unknown
  updatedAt: Date
}

/** One row of an entity's history in the ledger table. */
export interface LedgerRow {
  seq: string
  eventId: string
  type: string
  entityVersion: number
  outcome: Outcome
  kafkaTopic: string
  kafkaPartition: number
  kafkaOffset: string
  recordedAt: Date
}

/**
 * Named, so each connection prepares it once: planning the statement (CTEs, window functions,
 * three joins) took 0.4–0.7 ms, as long as running it for a batch of 5–20 records, and at 1,000
 * events/s the projector applies hundreds of such small batches a second. After five executions
 * PostgreSQL settles on a generic plan and stops planning; measured here, batches of 5 and 20
 * got faster and batches of 3,000 were no slower (test/bench/BENCHMARKS.md, Latency).
 */
const APPLY_BATCH = { name: 'projector_apply_batch', text: APPLY_BATCH_SQL }

/**
 * The event store and the projections it feeds. `applyBatch` appends a batch to `ledger_events`
 * and updates `projections` in one statement, so the record that an event was handled and its
 * effect commit together: a batch redelivered after a crash finds its event IDs already recorded.
 */
export class LedgerStore {
  readonly #analyzer: GrowthAnalyzer

  constructor(
    private readonly pool: pg.Pool,
    logger?: Logger,
  ) {
    this.#analyzer = new GrowthAnalyzer({ pool, tables: ['ledger_events', 'projections'], logger })
  }

  /**
   * Applies a batch under the version rule (see `APPLY_BATCH_SQL`). Throws
   * `TransientError('DATABASE_UNAVAILABLE')` when PostgreSQL cannot be reached and
   * `PermanentError('VALIDATION_FAILED')` when it rejects the data itself.
   */
  async applyBatch(records: readonly LedgerRecord[]): Promise<BatchOutcome> {
    if (records.length === 0) return toBatchOutcome([], 0)
    try {
      const { rows } = await this.pool.query<{ outcome: string; n: number }>({
        ...APPLY_BATCH,
        values: applyBatchParams(records),
      })
      const outcome = toBatchOutcome(rows, records.length)
      this.#analyzer.wrote(records.length - outcome.redelivered)
      return outcome
    } catch (err) {
      throw toDatabaseError(err, `applying a batch of ${records.length} events`)
    }
  }

  /** Waits for background work on the pool (an ANALYZE), so the pool can be ended. */
  async idle(): Promise<void> {
    await this.#analyzer.idle()
  }

  async get(entityType: string, entityId: string): Promise<ProjectionRow | undefined> {
    const { rows } = await this.pool.query<{
      version: string
      last_event_id: string
      state: unknown
      updated_at: Date
    }>(
      `SELECT version, last_event_id, state, updated_at FROM projections
        WHERE entity_type = $1 AND entity_id = $2`,
      [entityType, entityId],
    )
    const row = rows[0]
    if (!row) return undefined
    return {
      entityType,
      entityId,
      version: Number(row.version),
      lastEventId: row.last_event_id,
      state: row.state,
      updatedAt: row.updated_at,
    }
  }

  /** The entity's ledger rows, oldest first. */
  async history(entityType: string, entityId: string): Promise<LedgerRow[]> {
    const { rows } = await this.pool.query<{
      seq: string
      event_id: string
      type: string
      entity_version: string
      outcome: Outcome
      kafka_topic: string
      kafka_partition: number
      kafka_offset: string
      recorded_at: Date
    }>(
      `SELECT seq, event_id, type, entity_version, outcome, kafka_topic, kafka_partition, kafka_offset,
              recorded_at
         FROM ledger_events WHERE entity_type = $1 AND entity_id = $2 ORDER BY seq`,
      [entityType, entityId],
    )
    return rows.map((r) => ({
      seq: r.seq,
      eventId: r.event_id,
      type: r.type,
      entityVersion: Number(r.entity_version),
      outcome: r.outcome,
      kafkaTopic: r.kafka_topic,
      kafkaPartition: r.kafka_partition,
      kafkaOffset: r.kafka_offset,
      recordedAt: r.recorded_at,
    }))
  }
}
