import { LedgerError } from '@integration-ledger/core'
import { toDatabaseError } from '@integration-ledger/postgres'

/** SQLSTATE undefined_table. */
const UNDEFINED_TABLE = '42P01'

/**
 * A failed read of the ledger table as a typed error. A database without the table is a
 * misconfiguration (the tool points at another database than the projector's), said so plainly.
 */
export function ledgerReadError(err: unknown, action: string): LedgerError {
  if ((err as { code?: unknown } | null)?.code === UNDEFINED_TABLE) {
    return new LedgerError(
      'CONFIG_INVALID',
      `The database has no ledger_events table: point DATABASE_URL at the projector's database (the projector creates the table when it starts).`,
      { cause: err },
    )
  }
  return toDatabaseError(err, action)
}
