import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { PermanentError } from '@integration-ledger/core'
import { IngestClient } from '@integration-ledger/sdk'
import { cleanupScope } from '@integration-ledger/testing'
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

  it('refuses with 400, keeping nothing, what the projector could never apply', async (test) => {
    const t = cleanupScope(test)
    const h = await startHarness(t, { sources: [], env: { INGEST_EVENT_TOKENS: `orders=${TOKEN}` } })
    const event = {
      source: 'orders',
      providerEventId: 'order-7',
      type: 'order.updated',
      entityType: 'order',
      entityId: 'order-7',
      entityVersion: 1,
    }
    const post = (body: string) =>
      h.app.inject({
        method: 'POST',
        url: '/events',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${TOKEN}`,
          'idempotency-key': randomUUID(),
        },
        payload: body,
      })
    const refused: [string, string, RegExp][] = [
      ['a fractional version', JSON.stringify({ ...event, entityVersion: 1.5 }), /entityVersion/],
      [
        'a version of 2^63',
        JSON.stringify(event).replace('"entityVersion":1', '"entityVersion":9223372036854775808'),
        /entityVersion/,
      ],
      ['a negative version', JSON.stringify({ ...event, entityVersion: -1 }), /entityVersion/],
      [
        'an entity ID over 512 characters',
        JSON.stringify({ ...event, entityId: 'x'.repeat(513) }),
        /entityId/,
      ],
      [
        'an escaped NUL in the payload',
        JSON.stringify({ ...event, payload: { note: 'a\u0000b' } }),
        /\\u0000/,
      ],
      [
        'a lone surrogate in the payload',
        JSON.stringify({ ...event, payload: { note: '\ud800' } }),
        /surrogate/,
      ],
      [
        'a payload nested 300 deep',
        JSON.stringify({ ...event, payload: JSON.parse(`${'['.repeat(300)}${']'.repeat(300)}`) as unknown }),
        /256 levels/,
      ],
      [
        'a payload nested 100,000 deep',
        `${JSON.stringify(event).slice(0, -1)},"payload":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
        /256 levels/,
      ],
      [
        'a raw body that is not JSON',
        JSON.stringify({ ...event, rawBodyBase64: Buffer.from('not json').toString('base64') }),
        /rawBodyBase64.*not valid JSON/,
      ],
      [
        'a raw body with an escaped NUL',
        JSON.stringify({ ...event, rawBodyBase64: Buffer.from('{"a":"\\u0000"}').toString('base64') }),
        /rawBodyBase64.*\\u0000/,
      ],
    ]
    for (const [what, body, message] of refused) {
      const res = await post(body)
      assert.equal(res.statusCode, 400, `${what}: ${res.body}`)
      assert.equal(res.json<{ error: string }>().error, 'VALIDATION_FAILED', what)
      assert.match(res.json<{ message: string }>().message, message, what)
    }
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"status":"paid"}')])
    const tolerated = await post(JSON.stringify({ ...event, rawBodyBase64: bom.toString('base64') }))
    assert.equal(tolerated.statusCode, 202, tolerated.body)
    assert.equal(await h.countRecords(), 1, 'only the tolerated event was published')
  })
})

describe('POST /events grants: a client writes only its own sources (real Kafka and PostgreSQL)', () => {
  const STRIPE = 'whsec_events_grants_0123456789'
  const ORDERS = 'orders-grants-token-0123456789'
  const CRM = 'crm-grants-token-0123456789abc'

  it('refuses a webhook source, an ungranted source or entity type with 403, and publishes nothing', async (test) => {
    const t = cleanupScope(test)
    const h = await startHarness(t, {
      sources: [
        '  - name: billing',
        '    kind: stripe',
        `    secrets: ["${STRIPE}"]`,
        '    topic: __TOPIC__',
      ],
      env: {
        INGEST_EVENT_TOKENS: `orders=${ORDERS},crm=${CRM}`,
        INGEST_EVENT_GRANTS: 'orders=orders/order,orders/refund,returns',
      },
    })
    const post = (token: string, event: Record<string, unknown>, contentType = 'application/json') =>
      h.app.inject({
        method: 'POST',
        url: '/events',
        headers: {
          'content-type': contentType,
          authorization: `Bearer ${token}`,
          'idempotency-key': randomUUID(),
        },
        payload: JSON.stringify({
          providerEventId: randomUUID(),
          type: 'thing.updated',
          entityId: 'e-1',
          entityVersion: 1,
          payload: {},
          ...event,
        }),
      })
    const refused = async (token: string, event: Record<string, unknown>, pattern: RegExp) => {
      const res = await post(token, event)
      assert.equal(res.statusCode, 403, res.body)
      const body = res.json<{ error: string; message: string }>()
      assert.equal(body.error, 'FORBIDDEN')
      assert.match(body.message, pattern)
      assert.ok(!res.body.includes(ORDERS) && !res.body.includes(CRM), 'no token in the answer')
    }

    // The forgery of issue 7: a Stripe event ID under the Stripe source, pre-empting the real one.
    await refused(
      ORDERS,
      { source: 'billing', providerEventId: 'evt_real', entityType: 'customer' },
      /webhook source/,
    )
    await refused(
      ORDERS,
      { source: 'crm', entityType: 'contact' },
      /may not write source "crm".*"orders" \(order, refund\), "returns" \(any entity type\)/,
    )
    await refused(
      ORDERS,
      { source: 'orders', entityType: 'customer', entityVersion: 2 ** 52 },
      /entity type "customer" in source "orders"/,
    )
    // No grant entry: the client writes the source named like itself only.
    await refused(
      CRM,
      { source: 'orders', entityType: 'order' },
      /Client "crm" may not write source "orders"/,
    )
    assert.equal(await h.countRecords(), 0, 'nothing refused was published')

    for (const [token, event] of [
      [ORDERS, { source: 'orders', entityType: 'order' }],
      [ORDERS, { source: 'orders', entityType: 'refund' }],
      [ORDERS, { source: 'returns', entityType: 'anything' }],
      [CRM, { source: 'crm', entityType: 'contact' }],
    ] as const) {
      const res = await post(token, event)
      assert.equal(res.statusCode, 202, `${JSON.stringify(event)}: ${res.body}`)
    }
    assert.equal(await h.countRecords(), 4)

    const text = await post(ORDERS, { source: 'orders', entityType: 'order' }, 'text/plain')
    assert.equal(text.statusCode, 415, text.body)
    assert.equal(text.json<{ error: string }>().error, 'UNSUPPORTED_MEDIA_TYPE')
    const metrics = (await h.app.inject({ url: '/metrics' })).body
    assert.match(
      metrics,
      /ledger_ingest_rejected_total\{[^}]*source="events:orders"[^}]*reason="forbidden"[^}]*\} 3/,
    )

    // The SDK's HTTP client reports the refusal as permanent, with its own code.
    const address = new URL(await h.app.listen({ host: '127.0.0.1', port: 0 }))
    const client = new IngestClient({ url: address.origin, token: ORDERS })
    const event = {
      source: 'billing',
      providerEventId: 'evt_sdk',
      type: 'x',
      entityType: 'customer',
      entityId: 'c',
      entityVersion: 1,
      payload: {},
    }
    await assert.rejects(client.postEvent(event, randomUUID()), (err: unknown) => {
      assert.ok(err instanceof PermanentError && err.code === 'FORBIDDEN', String(err))
      return true
    })
  })

  it('refuses to start when a client would write as a webhook source, naming it but never a token', async (test) => {
    const t = cleanupScope(test)
    const source = [
      '  - name: billing',
      '    kind: stripe',
      `    secrets: ["${STRIPE}"]`,
      '    topic: __TOPIC__',
    ]
    for (const env of [
      { INGEST_EVENT_TOKENS: `billing=${ORDERS}` } as Record<string, string>,
      { INGEST_EVENT_TOKENS: `orders=${ORDERS}`, INGEST_EVENT_GRANTS: 'orders=orders,billing/customer' },
    ]) {
      await assert.rejects(startHarness(t, { sources: source, env }), (err: Error) => {
        assert.match(err.message, /"billing".*webhook source/)
        assert.ok(!err.message.includes(ORDERS))
        return true
      })
    }
    await assert.rejects(
      startHarness(t, {
        sources: [],
        env: { INGEST_EVENT_TOKENS: `orders=${ORDERS}`, INGEST_EVENT_GRANTS: 'orders=orders;crm=crm' },
      }),
      /INGEST_EVENT_GRANTS: client "crm" has no token in INGEST_EVENT_TOKENS/,
    )
    await assert.rejects(
      startHarness(t, {
        sources: [],
        env: { INGEST_EVENT_TOKENS: `orders=${ORDERS}`, INGEST_EVENT_GRANTS: 'orders=Orders/x/y' },
      }),
      /INGEST_EVENT_GRANTS: client "orders": "Orders\/x\/y" is not "source" or "source\/entityType"/,
    )
  })
})
