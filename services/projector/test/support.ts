import type pg from 'pg'
import { buildEvent } from '@integration-ledger/sdk'
import { createTestPool, stackEnv, type CleanupHost } from '@integration-ledger/testing'
import { migrate } from '../src/db/migrate.js'
import { toLedgerRecord, type LedgerRecord } from '../src/record.js'

let offset = 0

/** A checked ledger record for entity `customer/<id>`; equal `provider` means equal event ID. */
export function record(
  id: string,
  version: number,
  provider: string,
  body: unknown = { id, version },
): LedgerRecord {
  const event = buildEvent({
    source: 'test',
    providerEventId: provider,
    type: 'customer.updated',
    entityType: 'customer',
    entityId: id,
    entityVersion: version,
    payload: body,
  })
  const checked = toLedgerRecord(event, { topic: 'test.events', partition: 0, offset: String(offset++) })
  if (!checked.ok) throw new Error(checked.reason)
  return checked.record
}

/** A fresh, migrated database on the shared server, dropped when the test ends. */
export async function migratedPool(t: CleanupHost): Promise<pg.Pool> {
  const { pool } = await createTestPool(t, stackEnv().databaseUrl)
  await migrate(pool)
  return pool
}
