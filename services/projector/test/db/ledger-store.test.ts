import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LedgerError } from '@integration-ledger/core'
import { cleanupScope, createTestPool, stackEnv } from '@integration-ledger/testing'
import pg from 'pg'
import { LedgerStore } from '../../src/db/ledger-store.js'
import { migrate } from '../../src/db/migrate.js'
import { migratedPool, record } from '../support.js'

describe('LedgerStore.applyBatch: the version rule', () => {
  it('applies newer versions, keeps older ones as stale, and a retried event after a newer one is stale', async (test) => {
    const t = cleanupScope(test)
    const store = new LedgerStore(await migratedPool(t))
    const v1 = record('c1', 1, 'p1')
    const v2 = record('c1', 2, 'p2')
    assert.deepEqual((await store.applyBatch([v1])).counts, {
      applied: 1,
      stale: 0,
      duplicate: 0,
      conflict: 0,
    })
    await store.applyBatch([v2])
    // The event that failed earlier and came back through a retry tier after v2 was applied.
    const retried = record('c1', 1, 'p1-retry', { late: true })
    const outcome = await store.applyBatch([retried])
    assert.deepEqual(outcome.counts, { applied: 0, stale: 1, duplicate: 0, conflict: 0 })
    const row = await store.get('customer', 'c1')
    assert.equal(row?.version, 2)
    assert.equal(row?.lastEventId, v2.event.eventId)
    assert.deepEqual(
      (await store.history('customer', 'c1')).map((h) => [h.entityVersion, h.outcome]),
      [
        [1, 'applied'],
        [2, 'applied'],
        [1, 'stale'],
      ],
    )
  })

  it('does not append a redelivered event ID again, in a later batch or within one', async (test) => {
    const t = cleanupScope(test)
    const store = new LedgerStore(await migratedPool(t))
    const v1 = record('c2', 1, 'p1')
    const first = await store.applyBatch([v1, v1])
    assert.equal(first.counts.applied, 1)
    assert.equal(first.redelivered, 1)
    const again = await store.applyBatch([v1])
    assert.equal(again.redelivered, 1)
    assert.equal((await store.history('customer', 'c2')).length, 1)
  })

  it('tells a duplicate (same version, same body, other event ID) from a conflict (other body)', async (test) => {
    const t = cleanupScope(test)
    const store = new LedgerStore(await migratedPool(t))
    const original = record('c3', 5, 'p1', { name: 'Ada' })
    await store.applyBatch([original])
    const outcome = await store.applyBatch([
      record('c3', 5, 'p2', { name: 'Ada' }),
      record('c3', 5, 'p3', { name: 'Eve' }),
    ])
    assert.deepEqual(outcome.counts, { applied: 0, stale: 0, duplicate: 1, conflict: 1 })
    const row = await store.get('customer', 'c3')
    assert.equal(row?.lastEventId, original.event.eventId, 'a conflict is never applied')
    assert.deepEqual(row?.state, { name: 'Ada' })
  })

  it('judges several events of one entity in one batch in offset order, as if handled one by one', async (test) => {
    const t = cleanupScope(test)
    const store = new LedgerStore(await migratedPool(t))
    const batch = [
      record('c4', 3, 'a'),
      record('c4', 5, 'b', { v: 5 }),
      record('c4', 4, 'c'),
      record('c4', 5, 'd', { v: 5 }),
      record('c4', 5, 'e', { v: 'other' }),
      record('c4', 6, 'f', { v: 6 }),
    ]
    const outcome = await store.applyBatch(batch)
    assert.deepEqual(outcome.counts, { applied: 3, stale: 1, duplicate: 1, conflict: 1 })
    assert.deepEqual(
      (await store.history('customer', 'c4')).map((h) => `${h.entityVersion}:${h.outcome}`),
      ['3:applied', '5:applied', '4:stale', '5:duplicate', '5:conflict', '6:applied'],
    )
    const row = await store.get('customer', 'c4')
    assert.equal(row?.version, 6)
    assert.deepEqual(row?.state, { v: 6 })
    // A duplicate of the stored version judged against the stored hash, across batches.
    const next = await store.applyBatch([record('c4', 6, 'g', { v: 6 }), record('c4', 6, 'h', { v: 7 })])
    assert.deepEqual(next.counts, { applied: 0, stale: 0, duplicate: 1, conflict: 1 })
  })

  it('refuses to edit or delete ledger rows', async (test) => {
    const t = cleanupScope(test)
    const pool = await migratedPool(t)
    await new LedgerStore(pool).applyBatch([record('c5', 1, 'p1')])
    await assert.rejects(pool.query(`UPDATE ledger_events SET outcome = 'stale'`), /append-only/)
    await assert.rejects(pool.query('DELETE FROM ledger_events'), /append-only/)
  })

  it('is planned again as the ledger grows from empty: batches stop reading the whole ledger', async (test) => {
    const t = cleanupScope(test)
    // One connection: the statement's plan and the scan counts are that connection's.
    const { pool } = await createTestPool(t, stackEnv().databaseUrl, { max: 1 })
    await migrate(pool)
    const store = new LedgerStore(pool)
    const ledgerScans = async () => {
      await pool.query('SELECT pg_stat_force_next_flush()')
      const { rows } = await pool.query<{ n: number }>(
        `SELECT seq_scan::int AS n FROM pg_stat_user_tables WHERE relname = 'ledger_events'`,
      )
      return rows[0]?.n ?? Number.NaN
    }
    // Small batches on the empty ledger: PostgreSQL settles on a generic plan made for it.
    for (let i = 0; i < 8; i++) await store.applyBatch([record(`g${i}`, 1, `g${i}`)])
    for (let b = 0; b < 12; b++) {
      await store.applyBatch(Array.from({ length: 500 }, (_, i) => record(`e${b}-${i}`, 1, `e${b}-${i}`)))
    }
    await store.idle()
    const before = await ledgerScans()
    for (let i = 0; i < 20; i++) await store.applyBatch([record(`h${i}`, 1, `h${i}`)])
    assert.equal((await ledgerScans()) - before, 0, 'no batch scanned the 6,000-row ledger')
  })

  it('reports an unreachable database as DATABASE_UNAVAILABLE, which is retryable', async () => {
    const pool = new pg.Pool({
      connectionString: 'postgres://postgres@127.0.0.1:1/none',
      connectionTimeoutMillis: 1000,
    })
    try {
      const err = await new LedgerStore(pool).applyBatch([record('c6', 1, 'p1')]).then(
        () => undefined,
        (e: unknown) => e,
      )
      assert(err instanceof LedgerError)
      assert.equal(err.code, 'DATABASE_UNAVAILABLE')
      assert.equal(err.retryable, true)
    } finally {
      await pool.end()
    }
  })
})
