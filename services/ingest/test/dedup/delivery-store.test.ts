import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { cleanupScope, createTestPool, stackEnv } from '@integration-ledger/testing'
import { DeliveryStore } from '../../src/dedup/delivery-store.js'
import { migrateDeliveries } from '../../src/dedup/migrate.js'

async function store(test: Parameters<typeof cleanupScope>[0], leaseMs = 30_000) {
  const t = cleanupScope(test)
  const { pool } = await createTestPool(t, stackEnv().databaseUrl)
  await migrateDeliveries(pool)
  return { deliveries: new DeliveryStore({ pool, leaseMs }), pool }
}

const claimOf = (key: string, eventId = randomUUID()) => ({ scope: 'github', key, eventId })

describe('DeliveryStore against PostgreSQL', () => {
  it('claims once, answers busy while pending, accepted after the ack, and claimable again after a release', async (t) => {
    const { deliveries } = await store(t)
    const first = claimOf('d-1')
    assert.deepEqual(await deliveries.claim(first), { status: 'claimed' })
    assert.equal((await deliveries.claim(claimOf('d-1'))).status, 'busy')

    await deliveries.accept(first)
    assert.deepEqual(await deliveries.claim(claimOf('d-1')), {
      status: 'accepted',
      eventId: first.eventId,
      requestHash: null,
    })

    assert.deepEqual(await deliveries.claim(claimOf('d-2')), { status: 'claimed' })
    await deliveries.release({ scope: 'github', key: 'd-2' })
    assert.deepEqual(await deliveries.claim(claimOf('d-2')), { status: 'claimed' })
  })

  it('lets another process take over a claim whose lease ran out', async (t) => {
    const { deliveries, pool } = await store(t, 1000)
    assert.equal((await deliveries.claim(claimOf('d-3'))).status, 'claimed')
    const other = new DeliveryStore({ pool, leaseMs: 1000 })
    assert.equal((await other.claim(claimOf('d-3'))).status, 'busy')
    await sleep(1100)
    assert.equal((await other.claim(claimOf('d-3'))).status, 'claimed')
  })

  it('settles many concurrent claims of distinct and repeated keys in few statements, one winner per key', async (t) => {
    const { deliveries } = await store(t)
    const keys = Array.from({ length: 200 }, (_, i) => `k-${i % 50}`)
    const claims = await Promise.all(keys.map((key) => deliveries.claim(claimOf(key))))
    const winners = new Map<string, number>()
    claims.forEach((c, i) => {
      if (c.status === 'claimed') winners.set(keys[i]!, (winners.get(keys[i]!) ?? 0) + 1)
    })
    assert.equal(winners.size, 50)
    assert(
      [...winners.values()].every((n) => n === 1),
      'each key claimed exactly once',
    )
  })

  it('stores the first claim of a key repeated in one batch: its event ID, and its body hash for the others', async (t) => {
    const { deliveries, pool } = await store(t)
    const first = { ...claimOf('d-4'), requestHash: 'hash-first' }
    const second = { ...claimOf('d-4'), requestHash: 'hash-second' }
    const [a, b] = await Promise.all([deliveries.claim(first), deliveries.claim(second)])
    assert.deepEqual(a, { status: 'claimed' })
    assert.deepEqual(b, { status: 'busy', requestHash: 'hash-first' })
    const { rows } = await pool.query(
      `SELECT event_id, request_hash FROM ingest_deliveries WHERE delivery_key = 'd-4'`,
    )
    assert.deepEqual(rows, [{ event_id: first.eventId, request_hash: 'hash-first' }])
  })

  it('prunes accepted deliveries past the retention and keeps pending ones', async (t) => {
    const { deliveries, pool } = await store(t)
    const accepted = claimOf('old')
    await deliveries.claim(accepted)
    await deliveries.accept(accepted)
    await deliveries.claim(claimOf('in-flight'))
    await sleep(20)
    assert.equal(await deliveries.prune(10), 1)
    const { rows } = await pool.query<{ delivery_key: string }>('SELECT delivery_key FROM ingest_deliveries')
    assert.deepEqual(
      rows.map((r) => r.delivery_key),
      ['in-flight'],
    )
  })
})
