import { applySchema } from '@integration-ledger/postgres'
import type pg from 'pg'

/** Any fixed 64-bit number: serialises concurrent migrations from admin and ingest replicas. */
const MIGRATION_LOCK_ID = 7_315_201

const STATEMENTS = [
  // `config` is the source as the sources file would declare it, minus `secrets`.
  `CREATE TABLE IF NOT EXISTS ledger_sources (
     name        text        PRIMARY KEY,
     kind        text        NOT NULL,
     config      jsonb       NOT NULL,
     enabled     boolean     NOT NULL DEFAULT true,
     created_at  timestamptz NOT NULL DEFAULT now(),
     updated_at  timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE TABLE IF NOT EXISTS ledger_source_secrets (
     id          uuid        PRIMARY KEY,
     source_name text        NOT NULL REFERENCES ledger_sources (name) ON DELETE CASCADE,
     key_id      text        NOT NULL,
     nonce       bytea       NOT NULL,
     ciphertext  bytea       NOT NULL,
     created_at  timestamptz NOT NULL DEFAULT now(),
     retired_at  timestamptz
   )`,
  // Provider API credentials for the outbound client; the sealed columns are NULL once retired.
  `CREATE TABLE IF NOT EXISTS ledger_provider_credentials (
     id          text        PRIMARY KEY,
     provider    text        NOT NULL,
     key_id      text,
     nonce       bytea,
     ciphertext  bytea,
     created_at  timestamptz NOT NULL DEFAULT now(),
     rotated_at  timestamptz,
     retired_at  timestamptz,
     CHECK ((retired_at IS NULL) = (ciphertext IS NOT NULL))
   )`,
]

/** Creates the source and provider-credential tables when missing; safe to run on every start. */
export async function migrateSourceStore(pool: pg.Pool): Promise<void> {
  await applySchema(pool, { lockId: MIGRATION_LOCK_ID, statements: STATEMENTS })
}
