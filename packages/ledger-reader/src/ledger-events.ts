import { ledgerReadError } from './errors.js'
import type pg from 'pg'

/** Where an event's byte-exact record is in Kafka (its first delivery). */
export interface KafkaPosition {
  topic: string
  partition: number
  offset: string
}

/** One row of the ledger table (`ledger_events`), without the payload. */
export interface LedgerEventRow {
  /** Handling order, a 64-bit integer as text. */
  seq: string
  eventId: string
  source: string
  type: string
  entityType: string
  entityId: string
  entityVersion: number
  /** The projector's verdict under the version rule: applied, stale, duplicate or conflict. */
  outcome: string
  occurredAt: Date
  receivedAt: Date
  /** When the projector committed it: the projection's own clock. */
  recordedAt: Date
  kafka: KafkaPosition
}

/** Which events a range query selects: one source's, received in `[since, until)`. */
export interface LedgerEventRange {
  source: string
  since: Date
  /** @default no upper bound */
  until?: Date
}

interface Row {
  seq: string
  event_id: string
  source: string
  type: string
  entity_type: string
  entity_id: string
  entity_version: string
  outcome: string
  occurred_at: Date
  received_at: Date
  recorded_at: Date
  kafka_topic: string
  kafka_partition: number
  kafka_offset: string
}

/** The columns `toLedgerEventRow` reads; shared by every query here. */
export const LEDGER_EVENT_COLUMNS = `seq, event_id, source, type, entity_type, entity_id, entity_version,
  outcome, occurred_at, received_at, recorded_at, kafka_topic, kafka_partition, kafka_offset`

export function toLedgerEventRow(r: Row): LedgerEventRow {
  return {
    seq: r.seq,
    eventId: r.event_id,
    source: r.source,
    type: r.type,
    entityType: r.entity_type,
    entityId: r.entity_id,
    entityVersion: Number(r.entity_version),
    outcome: r.outcome,
    occurredAt: r.occurred_at,
    receivedAt: r.received_at,
    recordedAt: r.recorded_at,
    kafka: { topic: r.kafka_topic, partition: r.kafka_partition, offset: r.kafka_offset },
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Finds events in the ledger table, which the projector appends to (read only here). The table
 * keeps each distinct event once, with the Kafka position of its first delivery.
 */
export class LedgerEvents {
  readonly #pool: pg.Pool

  constructor(pool: pg.Pool) {
    this.#pool = pool
  }

  /** The row of one event; `undefined` when the projector has not recorded it (or `eventId` is no UUID). */
  async find(eventId: string): Promise<LedgerEventRow | undefined> {
    if (!UUID.test(eventId)) return undefined
    const rows = await this.#query(`SELECT ${LEDGER_EVENT_COLUMNS} FROM ledger_events WHERE event_id = $1`, [
      eventId,
    ])
    return rows[0]
  }

  /** How many events `range` selects. */
  async count(range: LedgerEventRange): Promise<number> {
    const { rows } = await this.#run<{ n: string }>(
      `SELECT count(*) AS n FROM ledger_events
        WHERE source = $1 AND received_at >= $2 AND ($3::timestamptz IS NULL OR received_at < $3)`,
      [range.source, range.since, range.until ?? null],
      'counting ledger events',
    )
    return Number(rows[0]?.n ?? 0)
  }

  /** One page of the events `range` selects, in handling order, after the row with `afterSeq`. */
  page(range: LedgerEventRange, afterSeq: string, limit: number): Promise<LedgerEventRow[]> {
    return this.#query(
      `SELECT ${LEDGER_EVENT_COLUMNS} FROM ledger_events
        WHERE source = $1 AND received_at >= $2 AND ($3::timestamptz IS NULL OR received_at < $3)
          AND seq > $4
        ORDER BY seq LIMIT $5`,
      [range.source, range.since, range.until ?? null, afterSeq, limit],
    )
  }

  async #query(sql: string, params: unknown[]): Promise<LedgerEventRow[]> {
    const { rows } = await this.#run<Row>(sql, params, 'reading ledger_events')
    return rows.map(toLedgerEventRow)
  }

  async #run<T extends pg.QueryResultRow>(
    sql: string,
    params: unknown[],
    action: string,
  ): Promise<pg.QueryResult<T>> {
    try {
      return await this.#pool.query<T>(sql, params)
    } catch (err) {
      throw ledgerReadError(err, action)
    }
  }
}
