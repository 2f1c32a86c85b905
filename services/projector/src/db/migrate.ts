import { applySchema } from '@integration-ledger/postgres'
import type pg from 'pg'

/** Any fixed 64-bit number: serialises concurrent migrations from several replicas. */
const MIGRATION_LOCK_ID = 7_315_001

/** The outcomes a ledger row can record; see ARCHITECTURE.md for the version rule. */
export const OUTCOMES = ['applied', 'stale', 'duplicate', 'conflict'] as const
export type Outcome = (typeof OUTCOMES)[number]

const STATEMENTS = [
  `CREATE TABLE IF NOT EXISTS projections (
     entity_type   text        NOT NULL,
     entity_id     text        NOT NULL,
     version       bigint      NOT NULL,
     last_event_id uuid        NOT NULL,
     state         jsonb       NOT NULL,
     updated_at    timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (entity_type, entity_id)
   )`,
  // The hash of the body that set the current version: a later event with the same version is a
  // duplicate when its body hashes the same, a conflict otherwise. Nullable for rows written
  // before the column existed; such a row never matches, so the rule errs towards "conflict".
  `ALTER TABLE projections ADD COLUMN IF NOT EXISTS state_sha256 bytea`,
  // The event store: one row per distinct event ID, in the order the projector handled them.
  // The byte-exact body stays in Kafka (retention: forever) at kafka_topic/partition/offset.
  `CREATE TABLE IF NOT EXISTS ledger_events (
     seq               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     event_id          uuid        NOT NULL CONSTRAINT ledger_events_event_id_key UNIQUE,
     source            text        NOT NULL,
     provider_event_id text        NOT NULL,
     type              text        NOT NULL,
     entity_type       text        NOT NULL,
     entity_id         text        NOT NULL,
     entity_version    bigint      NOT NULL,
     occurred_at       timestamptz NOT NULL,
     received_at       timestamptz NOT NULL,
     correlation_id    text        NOT NULL,
     content_type      text        NOT NULL,
     payload           jsonb       NOT NULL,
     payload_sha256    bytea       NOT NULL,
     kafka_topic       text        NOT NULL,
     kafka_partition   integer     NOT NULL,
     kafka_offset      bigint      NOT NULL,
     outcome           text        NOT NULL CHECK (outcome IN (${OUTCOMES.map((o) => `'${o}'`).join(', ')})),
     recorded_at       timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE INDEX IF NOT EXISTS ledger_events_entity_idx ON ledger_events (entity_type, entity_id, seq)`,
  // Append-only is enforced, not just promised: history that can be edited proves nothing.
  `CREATE OR REPLACE FUNCTION ledger_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     RAISE EXCEPTION 'ledger_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
   END $$`,
  `CREATE OR REPLACE TRIGGER ledger_events_append_only
     BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_events
     FOR EACH STATEMENT EXECUTE FUNCTION ledger_events_append_only()`,
]

/** Creates the projector's tables when missing; safe to run on every start. */
export async function migrate(pool: pg.Pool): Promise<void> {
  await applySchema(pool, { lockId: MIGRATION_LOCK_ID, statements: STATEMENTS })
}
