import { applySchema } from '@integration-ledger/postgres'
import type pg from 'pg'

/** Serialises the reconciler's DDL across replicas starting together. */
const MIGRATION_LOCK_ID = 7_310_409_001

const STATEMENTS = [
  // One row per run. `cursor`/`pages`/`counts` are the checkpoint, written in the same transaction
  // as the page's publications, seen IDs and review items.
  `CREATE TABLE IF NOT EXISTS reconcile_runs (
     id          uuid        PRIMARY KEY,
     source      text        NOT NULL,
     entity_type text        NOT NULL,
     since       timestamptz,
     dry_run     boolean     NOT NULL,
     status      text        NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
     cursor      text,
     enumerated  boolean     NOT NULL DEFAULT false,
     pages       integer     NOT NULL DEFAULT 0,
     counts      jsonb       NOT NULL DEFAULT '{}'::jsonb,
     report      jsonb,
     error       text,
     started_by  text        NOT NULL,
     started_at  timestamptz NOT NULL DEFAULT now(),
     resumed     integer     NOT NULL DEFAULT 0,
     finished_at timestamptz
   )`,
  `CREATE INDEX IF NOT EXISTS reconcile_runs_by_key ON reconcile_runs (source, entity_type, started_at DESC)`,
  // Every corrective event ever published, by its deterministic ledger event ID: a page that is
  // processed again (a resumed run, a second run) skips what is here.
  `CREATE TABLE IF NOT EXISTS reconcile_publications (
     event_id       uuid        PRIMARY KEY,
     run_id         uuid        NOT NULL,
     source         text        NOT NULL,
     entity_type    text        NOT NULL,
     entity_id      text        NOT NULL,
     entity_version bigint      NOT NULL,
     reason         text        NOT NULL,
     published_at   timestamptz NOT NULL DEFAULT now()
   )`,
  // Entity IDs a run has enumerated, so deletes are judged over the whole listing even across resumes.
  `CREATE TABLE IF NOT EXISTS reconcile_seen (
     run_id    uuid NOT NULL,
     entity_id text NOT NULL,
     PRIMARY KEY (run_id, entity_id)
   )`,
  `CREATE TABLE IF NOT EXISTS reconcile_review (
     id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     source         text        NOT NULL,
     entity_type    text        NOT NULL,
     entity_id      text        NOT NULL,
     kind           text        NOT NULL,
     local_version  bigint,
     remote_version bigint,
     remote_state   jsonb,
     detail         jsonb       NOT NULL DEFAULT '{}'::jsonb,
     run_id         uuid        NOT NULL,
     found_at       timestamptz NOT NULL DEFAULT now(),
     status         text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted-remote', 'kept-local', 'ignored')),
     resolved_by    text,
     resolved_at    timestamptz,
     resolution_event_id uuid
   )`,
  // The same disagreement found again (a second run, a resumed page) is the same item.
  `CREATE UNIQUE INDEX IF NOT EXISTS reconcile_review_one_per_finding ON reconcile_review
     (source, entity_type, entity_id, kind, coalesce(local_version, -1), coalesce(remote_version, -1))`,
  `CREATE INDEX IF NOT EXISTS reconcile_review_open ON reconcile_review (status, id)`,
  `CREATE INDEX IF NOT EXISTS reconcile_review_resolution ON reconcile_review (resolution_event_id)
     WHERE resolution_event_id IS NOT NULL`,
  // The catch-up phase's report once it is done for this run (null: not yet, or skipped).
  `ALTER TABLE reconcile_runs ADD COLUMN IF NOT EXISTS catch_up jsonb`,
  // Per source: the committed checkpoint of its event log and the pass in progress (saved per page).
  `CREATE TABLE IF NOT EXISTS reconcile_catchup (
     source     text        PRIMARY KEY,
     checkpoint jsonb,
     pass       jsonb,
     updated_at timestamptz NOT NULL DEFAULT now()
   )`,
  // GitHub redeliveries asked for, written before asking: a failed delivery is asked for once.
  `CREATE TABLE IF NOT EXISTS reconcile_redeliveries (
     source       text        NOT NULL,
     guid         text        NOT NULL,
     delivery_id  bigint      NOT NULL,
     requested_at timestamptz NOT NULL DEFAULT now(),
     attempts     integer     NOT NULL DEFAULT 1,
     PRIMARY KEY (source, guid)
   )`,
]

/** Creates the reconciler's tables when missing; run at every start. */
export async function migrateReconciler(pool: pg.Pool): Promise<void> {
  await applySchema(pool, { lockId: MIGRATION_LOCK_ID, statements: STATEMENTS })
}
