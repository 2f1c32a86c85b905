import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cleanupScope } from '@integration-ledger/testing'
import type pg from 'pg'
import { LedgerStore } from '../../src/db/ledger-store.js'
import { rebuildProjections, type RebuildProgress } from '../../src/db/rebuild.js'
import type { LedgerRecord } from '../../src/record.js'
import { migratedPool, record } from '../support.js'

/** Shuffled versions 1..n of `entities` entities, some re-sent, some conflicting. */
function history(entities: number, versions: number, tag: string): LedgerRecord[] {
  const records: LedgerRecord[] = []
  for (let e = 0; e < entities; e++) {
    for (let v = 1; v <= versions; v++) records.push(record(`r${e}`, v, `${tag}-${e}-${v}`, { e, v }))
    records.push(record(`r${e}`, versions, `${tag}-${e}-conflict`, { e, v: 'other' }))
  }
  for (let i = records.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[records[i], records[j]] = [records[j]!, records[i]!]
  }
  return records
}

async function applyInBatches(store: LedgerStore, records: LedgerRecord[], size: number): Promise<void> {
  for (let i = 0; i < records.length; i += size) await store.applyBatch(records.slice(i, i + size))
}

async function snapshot(pool: pg.Pool): Promise<unknown[]> {
  const { rows } = await pool.query<Record<string, unknown>>(
    `SELECT entity_type, entity_id, version, last_event_id, state, state_sha256
       FROM projections ORDER BY entity_type, entity_id`,
  )
  return rows
}

describe('rebuildProjections', () => {
  it('rebuilds from the ledger a projection equal to the live one, with progress', async (test) => {
    const t = cleanupScope(test)
    const pool = await migratedPool(t)
    const store = new LedgerStore(pool)
    await applyInBatches(store, history(200, 10, 'a'), 137)
    const live = await snapshot(pool)

    const progress: RebuildProgress[] = []
    const result = await rebuildProjections(pool, { chunkSize: 500, onProgress: (p) => progress.push(p) })
    assert.deepEqual(await snapshot(pool), live)
    assert.equal(result.entities, 200)
    assert(progress.length >= 4, 'reports progress per chunk')
    assert.equal(progress.at(-1)?.percent, 100)
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_tables WHERE tablename LIKE 'projections_%'`,
    )
    assert.equal(rows[0]?.n, 0, 'the fresh table was swapped in and the old one dropped')
    // The live projector keeps writing to the swapped-in table.
    await store.applyBatch([record('r0', 11, 'after-rebuild')])
    assert.equal((await store.get('customer', 'r0'))?.version, 11)
  })

  it('refuses to drop live entities the ledger knows nothing about, unless forced', async (test) => {
    const t = cleanupScope(test)
    const pool = await migratedPool(t)
    await new LedgerStore(pool).applyBatch([record('kept', 1, 'k1')])
    await pool.query(
      `INSERT INTO projections (entity_type, entity_id, version, last_event_id, state)
       VALUES ('customer', 'legacy', 1, gen_random_uuid(), '{}')`,
    )
    await assert.rejects(rebuildProjections(pool), /1 entities in projections have no applied event/)
    assert.equal((await snapshot(pool)).length, 2, 'nothing changed')
    await rebuildProjections(pool, { force: true })
    assert.equal((await snapshot(pool)).length, 1)
  })

  it('folds in events the live projector records while the rebuild runs', async (test) => {
    const t = cleanupScope(test)
    const pool = await migratedPool(t)
    const store = new LedgerStore(pool)
    const referencePool = await migratedPool(t)
    const before = history(150, 8, 'b')
    const during = history(150, 8, 'c').map((r) =>
      record(r.event.entityId, r.event.entityVersion + 8, r.event.providerEventId, {
        late: r.event.entityVersion,
      }),
    )
    await applyInBatches(store, before, 200)

    await Promise.all([rebuildProjections(pool, { chunkSize: 50 }), applyInBatches(store, during, 25)])
    // The same events applied with no rebuild at all: the outcome must not depend on it.
    await applyInBatches(new LedgerStore(referencePool), [...before, ...during], 200)
    assert.deepEqual(await snapshot(pool), await snapshot(referencePool))
  })
})
