import { applySchema } from '@integration-ledger/postgres'
import type pg from 'pg'

/** Any fixed 64-bit number: serialises concurrent migrations from several admin replicas. */
const MIGRATION_LOCK_ID = 7_315_004

/**
 * The DLQ tables, created idempotently on every start (the project applies schema this way, see
 * `applySchema`). `dlq_actions` is the audit trail; `dlq_index` and `dlq_index_positions` are a
 * derived index of the DLQ topics, rebuilt from Kafka whenever needed.
 */
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
  // One row per DLQ record: what list, show and the filters need. The record's value stays in Kafka.
  `CREATE TABLE IF NOT EXISTS dlq_index (
     group_id           text        NOT NULL,
     dlq_partition      integer     NOT NULL,
     dlq_offset         bigint      NOT NULL,
     record_key         text,
     dead_lettered_at   timestamptz NOT NULL,
     original_topic     text        NOT NULL,
     original_partition integer     NOT NULL,
     original_offset    text        NOT NULL,
     attempt            integer     NOT NULL,
     failure_kind       text,
     error_class        text,
     error_message      text,
     first_failure_at   text,
     headers            jsonb       NOT NULL,
     value_bytes        integer     NOT NULL,
     event              jsonb,
     source             text,
     decode_error       text,
     status             text        NOT NULL DEFAULT 'pending'
                                    CHECK (status IN ('pending', 'replayed', 'discarded')),
     PRIMARY KEY (group_id, dlq_partition, dlq_offset)
   )`,
  // Pages are walked in (partition, offset) order; each filter gets an index in that order, so a
  // page costs its own rows, not a scan of the DLQ.
  `CREATE INDEX IF NOT EXISTS dlq_index_status ON dlq_index (group_id, status, dlq_partition, dlq_offset)`,
  `CREATE INDEX IF NOT EXISTS dlq_index_source ON dlq_index (group_id, source, dlq_partition, dlq_offset)`,
  `CREATE INDEX IF NOT EXISTS dlq_index_error_class
     ON dlq_index (group_id, error_class, dlq_partition, dlq_offset)`,
  `CREATE INDEX IF NOT EXISTS dlq_index_dead_lettered_at ON dlq_index (group_id, dead_lettered_at)`,
  // Next DLQ offset to index, per partition; moves in the same transaction as the rows it covers.
  `CREATE TABLE IF NOT EXISTS dlq_index_positions (
     group_id      text    NOT NULL,
     dlq_partition integer NOT NULL,
     next_offset   bigint  NOT NULL,
     PRIMARY KEY (group_id, dlq_partition)
   )`,
]

/** Creates the DLQ tables when missing; safe on every start, from every replica. */
export async function migrateDlqSchema(pool: pg.Pool): Promise<void> {
  await applySchema(pool, { lockId: MIGRATION_LOCK_ID, statements: STATEMENTS })
}
