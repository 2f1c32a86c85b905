import { applySchema } from '@integration-ledger/postgres'
import type pg from 'pg'

/** Any fixed 64-bit number: serialises set-up across admin and reconciler replicas starting together. */
const MIGRATION_LOCK_ID = 7_315_311

const STATEMENTS = [
  // Only the SHA-256 of each token's secret is kept (see token-store.ts for why a fast hash).
  `CREATE TABLE IF NOT EXISTS ledger_admin_tokens (
     id          uuid        PRIMARY KEY,
     name        text        NOT NULL,
     role        text        NOT NULL CHECK (role IN ('read-only', 'operator')),
     secret_hash bytea       NOT NULL,
     created_by  text        NOT NULL,
     created_at  timestamptz NOT NULL DEFAULT now(),
     revoked_by  text,
     revoked_at  timestamptz,
     CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
   )`,
  // A name is who the audit log says acted, so it names one live token at a time; a revoked
  // token's name may be given to a new one (its old rows keep the old token's ID).
  `CREATE UNIQUE INDEX IF NOT EXISTS ledger_admin_tokens_live_name
     ON ledger_admin_tokens (name) WHERE revoked_at IS NULL`,
  `CREATE TABLE IF NOT EXISTS ledger_audit_log (
     id             bigserial   PRIMARY KEY,
     at             timestamptz NOT NULL DEFAULT clock_timestamp(),
     service        text        NOT NULL,
     actor          text        NOT NULL,
     actor_token_id uuid,
     actor_role     text,
     action         text        NOT NULL,
     target         text        NOT NULL,
     outcome        text        NOT NULL CHECK (outcome IN ('succeeded', 'failed', 'refused')),
     status         integer,
     error_code     text,
     details        jsonb       NOT NULL DEFAULT '{}'::jsonb,
     correlation_id text
   )`,
  // Pages are walked newest first by id; each filter gets an index in that order.
  `CREATE INDEX IF NOT EXISTS ledger_audit_log_actor ON ledger_audit_log (actor, id)`,
  `CREATE INDEX IF NOT EXISTS ledger_audit_log_action ON ledger_audit_log (action, id)`,
  `CREATE INDEX IF NOT EXISTS ledger_audit_log_target ON ledger_audit_log (target, id)`,
  `CREATE INDEX IF NOT EXISTS ledger_audit_log_at ON ledger_audit_log (at)`,
  // Append-only in the database, not only in this code: every UPDATE, DELETE and TRUNCATE is
  // refused by a trigger. A trigger rather than privileges because the services connect as the
  // role that owns the table, and an owner's privileges cannot be withheld from it. Only the
  // owner can drop the trigger; run the services as a role that does not own the table to stop
  // that too (docs/runbook.md). Each object is created only when missing: CREATE OR REPLACE
  // TRIGGER needs PostgreSQL 14, and replacing a function needs its owner.
  `DO $$ BEGIN
     IF NOT EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'ledger_audit_log_refuse_change') THEN
       CREATE FUNCTION ledger_audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
       BEGIN
         RAISE EXCEPTION 'ledger_audit_log is append-only: % refused', TG_OP
           USING ERRCODE = 'insufficient_privilege';
       END $fn$;
     END IF;
     IF NOT EXISTS (SELECT 1 FROM pg_trigger
                     WHERE tgrelid = 'ledger_audit_log'::regclass AND tgname = 'ledger_audit_log_append_only') THEN
       CREATE TRIGGER ledger_audit_log_append_only BEFORE UPDATE OR DELETE ON ledger_audit_log
         FOR EACH ROW EXECUTE FUNCTION ledger_audit_log_refuse_change();
     END IF;
     IF NOT EXISTS (SELECT 1 FROM pg_trigger
                     WHERE tgrelid = 'ledger_audit_log'::regclass AND tgname = 'ledger_audit_log_no_truncate') THEN
       CREATE TRIGGER ledger_audit_log_no_truncate BEFORE TRUNCATE ON ledger_audit_log
         FOR EACH STATEMENT EXECUTE FUNCTION ledger_audit_log_refuse_change();
     END IF;
   END $$`,
]

/** Creates the token and audit tables (and the append-only trigger) when missing; safe on every start. */
export async function migrateAccess(pool: pg.Pool): Promise<void> {
  await applySchema(pool, { lockId: MIGRATION_LOCK_ID, statements: STATEMENTS })
}
