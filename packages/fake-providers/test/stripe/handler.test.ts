import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, it } from 'node:test'
import type { FakeProviders, StripeObject } from '@integration-ledger/fake-providers'
import { ManualClock, SMALL, startFakes } from '../support.js'

interface StripeList {
  object: string
  data: StripeObject[]
  has_more: boolean
  url: string
}

function client(fakes: FakeProviders) {
  const { baseUrl, secretKey } = fakes.credentials.stripe
  return async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${baseUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${secretKey}`, ...(init.headers as Record<string, string>) },
    })
    return { res, body: (await res.json()) as Record<string, unknown> }
  }
}

describe('Stripe fake', () => {
  it('walks 1,200 customers newest first with starting_after/has_more: no duplicate, no gap', async (t) => {
    const fakes = await startFakes(t, { stripe: { rateLimitPerSecond: false } })
    const get = client(fakes)
    const seen: StripeObject[] = []
    let cursor: string | undefined
    for (;;) {
      const { res, body } = await get(
        `/v1/customers?limit=100${cursor === undefined ? '' : `&starting_after=${cursor}`}`,
      )
      assert.equal(res.status, 200)
      const list = body as unknown as StripeList
      assert.equal(list.object, 'list')
      assert.equal(list.url, '/v1/customers')
      seen.push(...list.data)
      if (!list.has_more) break
      cursor = list.data.at(-1)?.id
    }
    assert.equal(seen.length, 1200)
    assert.equal(new Set(seen.map((c) => c.id)).size, 1200)
    const expected = fakes.stripe.records
      .collection('customer')
      .live()
      .map((c) => c.id)
    assert.deepEqual(
      seen.map((c) => c.id),
      expected,
    )
    for (let i = 1; i < seen.length; i++)
      assert.ok((seen[i - 1]?.created ?? 0) >= (seen[i]?.created ?? 0), 'newest first')
    for (const c of seen) {
      assert.match(c.id, /^cus_[0-9A-Za-z]{14}$/)
      assert.equal(c.object, 'customer')
    }
  })

  it('walks backwards with ending_before, and refuses both cursors at once', async (t) => {
    const fakes = await startFakes(t, SMALL)
    const get = client(fakes)
    const all = fakes.stripe.records.collection('customer').live()
    const last = all.at(-1)?.id ?? ''
    const { body } = await get(`/v1/customers?limit=10&ending_before=${last}`)
    const page = body as unknown as StripeList
    assert.deepEqual(
      page.data.map((c) => c.id),
      all.slice(-11, -1).map((c) => c.id),
    )
    assert.equal(page.has_more, true)
    const both = await get(`/v1/customers?starting_after=${last}&ending_before=${last}`)
    assert.equal(both.res.status, 400)
    assert.equal((both.body['error'] as Record<string, unknown>)['type'], 'invalid_request_error')
  })

  it('validates limit (default 10, 1..100) and refuses unknown parameters', async (t) => {
    const fakes = await startFakes(t, SMALL)
    const get = client(fakes)
    assert.equal(((await get('/v1/invoices')).body as unknown as StripeList).data.length, 10)
    for (const bad of ['0', '101', 'ten']) {
      const { res, body } = await get(`/v1/invoices?limit=${bad}`)
      assert.equal(res.status, 400)
      assert.equal((body['error'] as Record<string, unknown>)['param'], 'limit')
    }
    const unknown = await get('/v1/charges?colour=blue')
    assert.equal(unknown.res.status, 400)
    assert.deepEqual(unknown.body['error'], {
      type: 'invalid_request_error',
      message: 'Received unknown parameter: colour',
      code: 'parameter_unknown',
      param: 'colour',
      doc_url: 'https://stripe.com/docs/error-codes/parameter-unknown',
    })
  })

  it('lists subscriptions without canceled ones unless status=all', async (t) => {
    const fakes = await startFakes(t, SMALL)
    const get = client(fakes)
    const all = (await get('/v1/subscriptions?status=all&limit=100')).body as unknown as StripeList
    const active = (await get('/v1/subscriptions?limit=100')).body as unknown as StripeList
    const canceled = all.data.filter((s) => s['status'] === 'canceled').length
    assert.equal(all.data.length, 30)
    assert.ok(canceled > 0, 'the seed has canceled subscriptions')
    assert.equal(active.data.length, 30 - canceled)
    assert.ok(active.data.every((s) => s['status'] !== 'canceled'))
  })

  it('retrieves objects, answers 404 resource_missing, and keeps deleted customers as stubs', async (t) => {
    const fakes = await startFakes(t, SMALL)
    const get = client(fakes)
    const [first, second] = fakes.stripe.records.collection('customer').live()
    const one = await get(`/v1/customers/${first?.id}`)
    assert.equal(one.res.status, 200)
    assert.equal(one.body['id'], first?.id)
    const missing = await get('/v1/charges/ch_nope')
    assert.equal(missing.res.status, 404)
    assert.equal((missing.body['error'] as Record<string, unknown>)['code'], 'resource_missing')
    fakes.stripe.records.remove('customer', second?.id ?? '')
    const deleted = await get(`/v1/customers/${second?.id}`)
    assert.deepEqual(
      { ...deleted.body, created: 0 },
      { id: second?.id, object: 'customer', deleted: true, created: 0 },
    )
    // A cursor naming the deleted customer still pages on.
    const after = (await get(`/v1/customers?limit=1&starting_after=${second?.id}`))
      .body as unknown as StripeList
    assert.equal(after.data[0]?.id, fakes.stripe.records.collection('customer').live()[1]?.id)
  })

  it('lists events of the last 30 days only, filtered by types[] and delivery_success', async (t) => {
    const clock = new ManualClock()
    const fakes = await startFakes(t, { ...SMALL, clock })
    const get = client(fakes)
    const cutoff = Math.floor(clock.now() / 1000) - 30 * 86400
    const events: StripeObject[] = []
    let cursor: string | undefined
    for (;;) {
      const page = (await get(`/v1/events?limit=100${cursor ? `&starting_after=${cursor}` : ''}`))
        .body as unknown as StripeList
      events.push(...page.data)
      if (!page.has_more) break
      cursor = page.data.at(-1)?.id
    }
    assert.ok(events.length > 0)
    assert.ok(events.every((e) => e.created >= cutoff))
    const customer = fakes.stripe.records.collection('customer').live()[0]
    const nameBefore = customer?.['name']
    fakes.stripe.records.update(
      'customer',
      customer?.id ?? '',
      { name: 'Changed' },
      { webhookDelivered: false },
    )
    const failed = (await get('/v1/events?delivery_success=false&types[]=customer.updated&limit=100'))
      .body as unknown as StripeList
    const mine = failed.data.find((e) => (e['data'] as { object: StripeObject }).object.id === customer?.id)
    assert.ok(mine !== undefined, 'the undelivered update is listed')
    assert.equal(mine['type'], 'customer.updated')
    assert.equal(mine['pending_webhooks'], 1)
    assert.deepEqual((mine['data'] as Record<string, unknown>)['previous_attributes'], { name: nameBefore })
    assert.ok(failed.data.every((e) => e['type'] === 'customer.updated' && e['pending_webhooks'] === 1))
    // Thirty-one days on, that event has left the window.
    clock.advance(31 * 86400 * 1000)
    const later = await get(`/v1/events/${mine.id}`)
    assert.equal(later.res.status, 404)
  })

  it('answers 401 without a key or with a wrong one, and accepts Basic auth', async (t) => {
    const fakes = await startFakes(t, SMALL)
    const { baseUrl, secretKey } = fakes.credentials.stripe
    const none = await fetch(`${baseUrl}/v1/customers`)
    assert.equal(none.status, 401)
    const noneBody = (await none.json()) as { error: Record<string, unknown> }
    assert.equal(noneBody.error['type'], 'invalid_request_error')
    assert.match(String(noneBody.error['message']), /did not provide an API key/)
    const wrong = await fetch(`${baseUrl}/v1/customers`, {
      headers: { authorization: 'Bearer sk_test_wrongwrongwrong1234' },
    })
    assert.equal(wrong.status, 401)
    assert.match(
      String(((await wrong.json()) as { error: Record<string, unknown> }).error['message']),
      /Invalid API Key provided: sk_test_\*+1234/,
    )
    const basic = await fetch(`${baseUrl}/v1/customers`, {
      headers: { authorization: `Basic ${Buffer.from(`${secretKey}:`).toString('base64')}` },
    })
    assert.equal(basic.status, 200)
    assert.match(basic.headers.get('request-id') ?? '', /^req_[0-9A-Za-z]{14}$/)
  })

  it('replays a POST for a reused Idempotency-Key and refuses the key with other parameters', async (t) => {
    const fakes = await startFakes(t, SMALL)
    const post = client(fakes)
    const send = (body: string, key: string) =>
      post('/v1/customers', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': key },
        body,
      })
    const first = await send('email=a%40example.com&metadata[plan]=pro', 'key-1')
    assert.equal(first.res.status, 200)
    assert.equal(first.res.headers.get('idempotent-replayed'), null)
    assert.deepEqual(first.body['metadata'], { plan: 'pro' })
    const again = await send('metadata[plan]=pro&email=a%40example.com', 'key-1')
    assert.equal(again.res.status, 200)
    assert.equal(again.res.headers.get('idempotent-replayed'), 'true')
    assert.deepEqual(again.body, first.body)
    const other = await send('email=b%40example.com', 'key-1')
    assert.equal(other.res.status, 400)
    assert.equal((other.body['error'] as Record<string, unknown>)['type'], 'idempotency_error')
    assert.equal(fakes.stripe.operations({ method: 'POST', path: '/v1/customers' }).length, 1)
    assert.equal(fakes.stripe.requests({ path: '/v1/customers' }).filter((r) => r.replayed).length, 1)
    // The creation event names the request and its key.
    const events = fakes.stripe.records.events.live().filter((e) => e['type'] === 'customer.created')
    const mine = events.find((e) => (e['data'] as { object: StripeObject }).object.id === first.body['id'])
    assert.deepEqual((mine?.['request'] as Record<string, unknown>)['idempotency_key'], 'key-1')
  })

  it('sends each new event to the webhook target, signed, and keeps it pending until a 2xx', async (t) => {
    const secret = 'whsec_fake_test_secret'
    const statuses = [200, 500]
    const received: { type: string; valid: boolean; status: number }[] = []
    const target = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8')
        const header = String(req.headers['stripe-signature'])
        const ts = /t=(\d+)/.exec(header)?.[1] ?? ''
        const v1 = /v1=([0-9a-f]+)/.exec(header)?.[1]
        const valid = v1 === createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')
        const status = statuses.shift() ?? 200
        received.push({ type: (JSON.parse(body) as { type: string }).type, valid, status })
        res.writeHead(status).end()
      })
    })
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve))
    t.after(() => new Promise<void>((resolve) => target.close(() => resolve())))
    const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/webhooks/billing`
    const fakes = await startFakes(t, { ...SMALL, stripe: { ...SMALL.stripe, webhook: { url, secret } } })
    const created = await client(fakes)('/v1/customers', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Webhook',
    })
    await fakes.stripe.handler.settled()
    fakes.stripe.records.update('customer', String(created.body['id']), { name: 'Again' })
    await fakes.stripe.handler.settled()
    fakes.stripe.records.update(
      'customer',
      String(created.body['id']),
      { name: 'Silent' },
      { webhookDelivered: false },
    )
    await fakes.stripe.handler.settled()
    assert.deepEqual(received, [
      { type: 'customer.created', valid: true, status: 200 },
      { type: 'customer.updated', valid: true, status: 500 },
    ])
    const mine = fakes.stripe.records.events
      .live()
      .filter((e) => (e['data'] as { object: StripeObject }).object.id === created.body['id'])
      .map((e) => [e['type'], e['pending_webhooks']])
    assert.deepEqual(mine, [
      ['customer.updated', 1],
      ['customer.updated', 1],
      ['customer.created', 0],
    ])
  })

  it('forgets idempotency keys after 24 hours, as Stripe prunes them', async (t) => {
    const clock = new ManualClock()
    const fakes = await startFakes(t, { ...SMALL, clock })
    const post = client(fakes)
    const send = (body: string) =>
      post('/v1/customers', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': 'old-key' },
        body,
      })
    assert.equal((await send('name=First')).res.status, 200)
    clock.advance(24 * 3600 * 1000 + 1000)
    const later = await send('name=Second')
    assert.equal(later.res.status, 200)
    assert.equal(later.body['name'], 'Second')
    assert.equal(fakes.stripe.operations().length, 2)
  })

  it('enforces 25 requests per second in test mode: the 26th in a second gets 429 rate_limit', async (t) => {
    const clock = new ManualClock()
    const fakes = await startFakes(t, { ...SMALL, clock })
    const get = client(fakes)
    const answers = await Promise.all(Array.from({ length: 30 }, () => get('/v1/charges?limit=1')))
    const limited = answers.filter((a) => a.res.status === 429)
    assert.equal(answers.filter((a) => a.res.status === 200).length, 25)
    assert.equal(limited.length, 5)
    assert.deepEqual(limited[0]?.body['error'], {
      type: 'invalid_request_error',
      code: 'rate_limit',
      message:
        'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
      doc_url: 'https://stripe.com/docs/error-codes/rate-limit',
    })
    clock.advance(1000)
    assert.equal((await get('/v1/charges?limit=1')).res.status, 200)
  })
})
