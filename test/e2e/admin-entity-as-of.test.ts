import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, it } from 'node:test'
import { loadAdminConfig, startAdmin } from '@integration-ledger/admin'
import { LedgerStore, migrate, toLedgerRecord } from '@integration-ledger/projector'
import { buildEvent } from '@integration-ledger/sdk'
import { cleanupScope, createTestPool, stackEnv } from '@integration-ledger/testing'
import { runEntityCli } from '../../services/admin/src/cli/entity.js'

const TOKEN = 'entity-as-of-token-0123456789'
const auth = { authorization: `Bearer ${TOKEN}` }

function record(version: number, provider: string, body: unknown) {
  const event = buildEvent({
    source: 'as-of-test',
    providerEventId: provider,
    type: 'order.updated',
    entityType: 'order',
    entityId: 'ord_1',
    entityVersion: version,
    payload: body,
  })
  const result = toLedgerRecord(event, { topic: 'orders', partition: 0, offset: String(version) })
  assert(result.ok)
  return result.record
}

interface AsOfBody {
  version: number
  lastEventId: string
  asOf: string
  updatedAt: string
  setBy: { eventId: string; recordedAt: string; kafka: { offset: string } }
  state: { total: number }
}

describe('entity state as of a time, from the ledger', () => {
  it('answers what the projection held at each instant: 404 before the first event, the older state between versions, never a stale event that arrived later', async (test) => {
    const t = cleanupScope(test)
    const stack = stackEnv()
    const { url: databaseUrl, pool } = await createTestPool(t, stack.databaseUrl)
    await migrate(pool)
    const store = new LedgerStore(pool)
    const v1 = record(1, 'a', { total: 10 })
    const v3 = record(3, 'b', { total: 30 })
    const staleV2 = record(2, 'c', { total: 20 })
    // One batch each, apart in time: the projection's clock (recorded_at) moves between them.
    for (const batch of [[v1], [v3], [staleV2]]) {
      await store.applyBatch(batch)
      await sleep(30)
    }
    const history = await store.history('order', 'ord_1')
    assert.deepEqual(
      history.map((r) => `${r.entityVersion}:${r.outcome}`),
      ['1:applied', '3:applied', '2:stale'],
    )
    const [t1, t2, t3] = history.map((r) => r.recordedAt.getTime()) as [number, number, number]

    const app = await startAdmin(
      loadAdminConfig({
        DATABASE_URL: databaseUrl,
        KAFKA_BROKERS: stack.kafkaBrokers.join(','),
        LEDGER_ADMIN_TOKEN: TOKEN,
        LOG_LEVEL: 'silent',
      }),
    )
    t.after(() => app.close())
    const asOf = (ms: number | string) =>
      app.inject({
        url: `/entities/order/ord_1?asOf=${encodeURIComponent(typeof ms === 'string' ? ms : new Date(ms).toISOString())}`,
        headers: auth,
      })

    const before = await asOf(t1 - 5)
    assert.equal(before.statusCode, 404)
    assert.equal(before.json<{ error: string }>().error, 'NOT_FOUND')
    assert.match(
      before.json<{ message: string }>().message,
      /had no state yet at .*first state was recorded at/,
    )

    // At the very millisecond the first event was recorded (as printed), it is the state.
    const atFirst = await asOf(history[0]!.recordedAt.toISOString())
    assert.equal(atFirst.statusCode, 200, atFirst.body)
    assert.equal(atFirst.json<AsOfBody>().version, 1)

    const between = (await asOf(Math.floor((t1 + t2) / 2))).json<AsOfBody>()
    assert.equal(between.version, 1)
    assert.deepEqual(between.state, { total: 10 })
    assert.equal(between.lastEventId, v1.event.eventId)
    assert.equal(between.setBy.eventId, v1.event.eventId)
    assert.equal(between.setBy.kafka.offset, '1')
    assert.equal(between.updatedAt, new Date(t1).toISOString())

    // After the stale version 2 arrived, version 3 still holds.
    for (const at of [Math.floor((t2 + t3) / 2), t3 + 5, Date.now()]) {
      const after = (await asOf(at)).json<AsOfBody>()
      assert.equal(after.version, 3, `as of ${new Date(at).toISOString()}`)
      assert.deepEqual(after.state, { total: 30 })
      assert.equal(after.setBy.eventId, v3.event.eventId)
    }
    // The current state agrees with the ledger's "as of now".
    assert.equal(
      (await app.inject({ url: '/entities/order/ord_1', headers: auth })).json<AsOfBody>().version,
      3,
    )

    for (const bad of ['yesterday', '2025-01-31', '2025-01-31T14:03:00', '']) {
      const res = await asOf(bad)
      assert.equal(res.statusCode, 400, bad)
      assert.equal(res.json<{ error: string }>().error, 'VALIDATION_FAILED')
      assert.match(res.json<{ message: string }>().message, /asOf must be an ISO 8601 time with a zone/)
    }
    const twice = await app.inject({ url: '/entities/order/ord_1?asOf=a&asOf=b', headers: auth })
    assert.equal(twice.statusCode, 400)
    const never = await app.inject({
      url: `/entities/order/nope?asOf=${new Date().toISOString()}`,
      headers: auth,
    })
    assert.equal(never.statusCode, 404)
    assert.match(never.json<{ message: string }>().message, /no state at any time/)
    assert.equal((await app.inject({ url: '/entities/order/ord_1?asOf=x' })).statusCode, 401)

    // The CLI answers the same, with documented exit codes.
    const out: string[] = []
    const err: string[] = []
    const io = {
      out: (l: string) => out.push(l),
      err: (l: string) => err.push(l),
      env: { DATABASE_URL: databaseUrl },
    }
    assert.equal(
      await runEntityCli(
        ['order', 'ord_1', '--as-of', new Date(Math.floor((t1 + t2) / 2)).toISOString()],
        io,
      ),
      0,
    )
    const printed = JSON.parse(out.join('\n')) as AsOfBody
    assert.equal(printed.version, 1)
    assert.equal(printed.setBy.eventId, v1.event.eventId)
    assert.equal(await runEntityCli(['order', 'ord_1', '--as-of', new Date(t1 - 5).toISOString()], io), 4)
    assert.match(err.join('\n'), /NOT_FOUND: Entity order\/ord_1 had no state yet/)
    assert.equal(await runEntityCli(['order', 'ord_1', '--as-of', 'noon'], io), 2)
    assert.equal(await runEntityCli(['order'], io), 2)
  })
})
