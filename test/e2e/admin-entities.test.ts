import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { loadAdminConfig, startAdmin } from '@integration-ledger/admin'
import { createHash } from 'node:crypto'
import { ENTITY_ID_MAX_LENGTH, ENTITY_TYPE_MAX_LENGTH } from '@integration-ledger/core'
import { type LedgerRecord, LedgerStore, migrate, toLedgerRecord } from '@integration-ledger/projector'
import { buildEvent } from '@integration-ledger/sdk'
import { cleanupScope, createTestPool, stackEnv } from '@integration-ledger/testing'

const TOKEN = 'entities-token-0123456789'
const auth = { authorization: `Bearer ${TOKEN}` }

function checked(version: number, provider: string, body: unknown) {
  const event = buildEvent({
    source: 'admin-test',
    providerEventId: provider,
    type: 'order.updated',
    entityType: 'order',
    entityId: 'ord_1',
    entityVersion: version,
    payload: body,
  })
  const result = toLedgerRecord(event, { topic: 'orders', partition: 3, offset: String(version * 10) })
  assert(result.ok)
  return result.record
}

describe('admin API: entities from the projector tables', () => {
  it('shows current state and the history with outcomes, paginated, behind the bearer token', async (test) => {
    const t = cleanupScope(test)
    const stack = stackEnv()
    const { url: databaseUrl, pool } = await createTestPool(t, stack.databaseUrl)
    await migrate(pool)
    const v1 = checked(1, 'a', { total: 10 })
    const v3 = checked(3, 'b', { total: 30 })
    await new LedgerStore(pool).applyBatch([
      v1,
      v3,
      checked(2, 'c', { total: 20 }),
      checked(3, 'd', { total: 31 }),
    ])

    const app = await startAdmin(
      loadAdminConfig({
        DATABASE_URL: databaseUrl,
        KAFKA_BROKERS: stack.kafkaBrokers.join(','),
        LEDGER_ADMIN_TOKEN: TOKEN,
        LOG_LEVEL: 'silent',
      }),
    )
    t.after(() => app.close())

    assert.equal((await app.inject({ url: '/entities/order/ord_1' })).statusCode, 401)
    const current = await app.inject({ url: '/entities/order/ord_1', headers: auth })
    assert.equal(current.statusCode, 200)
    assert.deepEqual(
      { ...current.json<Record<string, unknown>>(), updatedAt: undefined },
      {
        entityType: 'order',
        entityId: 'ord_1',
        version: 3,
        lastEventId: v3.event.eventId,
        updatedAt: undefined,
        state: { total: 30 },
      },
    )

    const missing = await app.inject({ url: '/entities/order/nope', headers: auth })
    assert.equal(missing.statusCode, 404)
    assert.equal(missing.json<{ error: string }>().error, 'NOT_FOUND')
    assert.match(missing.json<{ message: string }>().message, /order\/nope/)

    type Page = { events: { eventId: string; version: number; outcome: string }[]; nextAfter: string | null }
    const first = (
      await app.inject({ url: '/entities/order/ord_1/history?limit=3', headers: auth })
    ).json<Page>()
    assert.deepEqual(
      first.events.map((e) => `${e.version}:${e.outcome}`),
      ['1:applied', '3:applied', '2:stale'],
    )
    assert.equal(first.events[0]?.eventId, v1.event.eventId)
    assert(first.nextAfter)
    const second = (
      await app.inject({
        url: `/entities/order/ord_1/history?limit=3&after=${first.nextAfter}`,
        headers: auth,
      })
    ).json<Page>()
    assert.deepEqual(
      second.events.map((e) => `${e.version}:${e.outcome}`),
      ['3:conflict'],
    )
    assert.equal(second.nextAfter, null)

    const bad = await app.inject({ url: '/entities/order/ord_1/history?limit=0', headers: auth })
    assert.equal(bad.statusCode, 400)
    assert.match(bad.json<{ message: string }>().message, /limit/)
  })

  it('reads every entity ingest accepts: the longest IDs and types, and states nested beyond what JSON.stringify can', async (test) => {
    const t = cleanupScope(test)
    const stack = stackEnv()
    const { url: databaseUrl, pool } = await createTestPool(t, stack.databaseUrl)
    await migrate(pool)
    // The longest ID and type the ledger takes, with what URLs must escape and a 4-byte character.
    const longId = `owner/repo#1 é😀?${'x'.repeat(ENTITY_ID_MAX_LENGTH - 17)}`
    const longType = 'ü'.repeat(ENTITY_TYPE_MAX_LENGTH)
    assert.equal(longId.length, ENTITY_ID_MAX_LENGTH)
    const long = toLedgerRecord(
      buildEvent({
        source: 'admin-test',
        providerEventId: 'long',
        type: 'thing.updated',
        entityType: longType,
        entityId: longId,
        entityVersion: 1,
        payload: { long: true },
      }),
      { topic: 'things', partition: 0, offset: '1' },
    )
    assert(long.ok)
    // A state stored before ingest bounded nesting: PostgreSQL holds it, JSON.stringify overflows.
    const deepJson = `{"deep":${'['.repeat(9000)}${']'.repeat(9000)}}`
    const deep: LedgerRecord = {
      event: buildEvent({
        source: 'admin-test',
        providerEventId: 'deep',
        type: 'thing.updated',
        entityType: 'thing',
        entityId: 'deep',
        entityVersion: 1,
        rawBody: Buffer.from(deepJson),
      }),
      payloadJson: deepJson,
      payloadSha256: createHash('sha256').update(deepJson).digest('hex'),
      position: { topic: 'things', partition: 0, offset: '2' },
    }
    await new LedgerStore(pool).applyBatch([long.record, deep])

    const app = await startAdmin(
      loadAdminConfig({
        DATABASE_URL: databaseUrl,
        KAFKA_BROKERS: stack.kafkaBrokers.join(','),
        LEDGER_ADMIN_TOKEN: TOKEN,
        LOG_LEVEL: 'silent',
      }),
    )
    t.after(() => app.close())

    const path = `/entities/${encodeURIComponent(longType)}/${encodeURIComponent(longId)}`
    const current = await app.inject({ url: path, headers: auth })
    assert.equal(current.statusCode, 200, current.body.slice(0, 300))
    assert.equal(current.json<{ entityId: string }>().entityId, longId)
    assert.deepEqual(current.json<{ state: unknown }>().state, { long: true })
    const history = await app.inject({ url: `${path}/history`, headers: auth })
    assert.equal(history.statusCode, 200, history.body.slice(0, 300))
    assert.deepEqual(history.json<{ events: { payload: unknown }[] }>().events[0]?.payload, { long: true })

    for (const url of ['/entities/thing/deep', '/entities/thing/deep/history']) {
      const res = await app.inject({ url, headers: auth })
      assert.equal(res.statusCode, 200, `${url}: ${res.body.slice(0, 300)}`)
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8')
      // jsonb renders with its own spacing; the nesting arrives whole.
      assert.ok(res.body.includes(`${'['.repeat(9000)}${']'.repeat(9000)}`), `${url} answers the whole state`)
      assert.ok(res.json(), `${url} is JSON`)
    }
  })
})
