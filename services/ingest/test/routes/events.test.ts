import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { IngestClient } from '@ledger/sdk'
import { cleanupScope } from '@ledger/testing'
import { startHarness } from '../helpers/harness.js'

const TOKEN = 'orders-service-token-0123456789'

describe('POST /events with Idempotency-Key (real Kafka and PostgreSQL)', () => {
  it('publishes once per key, replays the result, and refuses a reused key with another body', async (test) => {
    const t = cleanupScope(test)
    const h = await startHarness(t, { sources: [], env: { INGEST_EVENT_TOKENS: `orders=${TOKEN}` } })
    const event = {
      source: 'orders',
      providerEventId: 'order-42-v3',
      type: 'order.updated',
      entityType: 'order',
      entityId: 'order-42',
      entityVersion: 3,
      payload: { status: 'paid' },
    }
    const post = (body: unknown, headers: Record<string, string>) =>
      h.app.inject({
        method: 'POST',
        url: '/events',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers },
        payload: JSON.stringify(body),
      })

    const noAuth = await h.app.inject({ method: 'POST', url: '/events', payload: '{}' })
    assert.equal(noAuth.statusCode, 401)
    const noKey = await post(event, {})
    assert.equal(noKey.statusCode, 400)
    assert.match(noKey.json<{ message: string }>().message, /Idempotency-Key/)
    const invalid = await post({ ...event, entityVersion: 'three' }, { 'idempotency-key': randomUUID() })
    assert.equal(invalid.statusCode, 400)
    assert.match(invalid.json<{ message: string }>().message, /entityVersion/)

    const key = randomUUID()
    const first = await post(event, { 'idempotency-key': key })
    assert.equal(first.statusCode, 202, first.body)
    const replay = await post(event, { 'idempotency-key': key })
    assert.equal(replay.statusCode, 202)
    assert.deepEqual(replay.json(), first.json(), 'same key and body: same result')
    assert.equal(replay.headers['idempotent-replayed'], 'true')
    assert.equal(await h.countRecords(), 1, 'published once')

    const conflict = await post({ ...event, entityVersion: 4 }, { 'idempotency-key': key })
    assert.equal(conflict.statusCode, 409)
    assert.match(conflict.json<{ message: string }>().message, /different request body/)
    assert.equal(await h.countRecords(), 1)

    // The SDK client over a real socket: replayed on the second call with the same key.
    await h.app.listen({ host: '127.0.0.1', port: 0 })
    const address = h.app.server.address()
    assert(address && typeof address === 'object')
    const client = new IngestClient({ url: `http://127.0.0.1:${address.port}`, token: TOKEN })
    const sdkKey = randomUUID()
    const sent = { ...event, providerEventId: 'order-42-v4', entityVersion: 4, occurredAt: new Date() }
    const a = await client.postEvent(sent, sdkKey)
    const b = await client.postEvent(sent, sdkKey)
    assert.deepEqual([a.replayed, b.replayed], [false, true])
    assert.equal(a.eventId, b.eventId)
    assert.equal(await h.countRecords(), 2)
  })
})
