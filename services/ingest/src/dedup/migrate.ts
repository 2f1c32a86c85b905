import { applySchema } from '@integration-ledger/postgres'
import type pg from 'pg'

/** Any fixed 64-bit number: serialises concurrent migrations from several ingest replicas. */
const MIGRATION_LOCK_ID = 7_315_101

const STATEMENTS = [
  // One row per delivery ever accepted or being published. `scope` is the source name for
  // webhooks and `events:<client>` for POST /events; `delivery_key` the provider event ID or the
  // Idempotency-Key. A pending row is owned by one ingest process until its lease runs out.
  `CREATE TABLE IF NOT EXISTS ingest_deliveries (
     scope         text        NOT NULL,
     delivery_key  text        NOT NULL,
     event_id      uuid        NOT NULL,
     request_hash  text,
     status        text        NOT NULL CHECK (status IN ('pending', 'accepted')),
     owner         uuid,
     lease_until   timestamptz,
     received_at   timestamptz NOT NULL DEFAULT now(),
     accepted_at   timestamptz,
     PRIMARY KEY (scope, delivery_key)
   ) WITH (fillfactor = 70)`,
  // Pruning goes by received_at, which the `accepted` mark does not touch: with no index on the
  // columns that mark changes, and room left on each page, it is a HOT update (no index writes).
  `CREATE INDEX IF NOT EXISTS ingest_deliveries_received_at ON ingest_deliveries (received_at)`,
  `DROP INDEX IF EXISTS ingest_deliveries_accepted_at`,
  `ALTER TABLE ingest_deliveries SET (fillfactor = 70)`,
]

/** Creates the deduplication table when missing; safe to run on every start. */
export async function migrateDeliveries(pool: pg.Pool): Promise<void> {
  await applySchema(pool, { lockId: MIGRATION_LOCK_ID, statements: STATEMENTS })
}
