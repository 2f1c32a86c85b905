import assert from 'node:assert/strict'
import { request } from 'node:http'
import { describe, it } from 'node:test'
import type { FakeProviders } from '@integration-ledger/fake-providers'
import { ManualClock, SMALL, startFakes } from '../support.js'

function stripe(fakes: FakeProviders) {
  const { baseUrl, secretKey } = fakes.credentials.stripe
  return (path: string, init: RequestInit = {}) =>
    fetch(`${baseUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${secretKey}`, ...(init.headers as Record<string, string>) },
    })
}

function createCustomer(fakes: FakeProviders, key: string) {
  return stripe(fakes)('/v1/customers', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': key },
    body: 'email=drop%40example.com',
  })
}

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5))
  assert.ok(check(), 'condition not reached')
}

describe('injected faults', () => {
  it('answers 429 with Retry-After in seconds, then serves again', async (t) => {
    const fakes = await startFakes(t, SMALL)
    fakes.stripe.inject({
      path: '/v1/customers',
      times: 1,
      action: { kind: 'status', status: 429, retryAfter: { seconds: 2 } },
    })
    const limited = await stripe(fakes)('/v1/customers')
    assert.equal(limited.status, 429)
    assert.equal(limited.headers.get('retry-after'), '2')
    assert.equal(((await limited.json()) as { error: { code: string } }).error.code, 'rate_limit')
    assert.equal((await stripe(fakes)('/v1/customers')).status, 200)
    assert.equal(fakes.stripe.requests()[0]?.fault, 'status')
  })

  it('writes Retry-After as an HTTP date at least that many seconds ahead', async (t) => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 12, 0, 0, 400))
    const fakes = await startFakes(t, { ...SMALL, clock })
    fakes.github.inject({
      times: 1,
      action: { kind: 'status', status: 503, retryAfter: { seconds: 2, format: 'http-date' } },
    })
    const res = await fetch(`${fakes.credentials.github.baseUrl}/repos/acme/widgets/issues`, {
      headers: { authorization: `token ${fakes.credentials.github.token}` },
    })
    assert.equal(res.status, 503)
    const date = res.headers.get('retry-after') ?? ''
    assert.equal(date, 'Mon, 01 Jun 2026 12:00:03 GMT')
    assert.ok(Date.parse(date) - clock.now() >= 2000)
    assert.deepEqual(await res.json(), {
      message: 'Server Error',
      documentation_url: 'https://docs.github.com/rest',
      status: '503',
    })
  })

  it('runs a 503 storm for the next N requests or for a duration, with extra headers', async (t) => {
    const clock = new ManualClock()
    const fakes = await startFakes(t, { ...SMALL, clock })
    fakes.stripe.inject({
      times: 3,
      action: { kind: 'status', status: 503, headers: { 'Stripe-Should-Retry': 'true' } },
    })
    const statuses = []
    for (let i = 0; i < 4; i++) {
      const res = await stripe(fakes)('/v1/charges')
      statuses.push(res.status)
      if (res.status === 503) {
        assert.equal(res.headers.get('stripe-should-retry'), 'true')
        assert.equal(((await res.json()) as { error: { type: string } }).error.type, 'api_error')
      }
    }
    assert.deepEqual(statuses, [503, 503, 503, 200])
    const storm = fakes.stripe.inject({ durationMs: 10_000, action: { kind: 'status', status: 500 } })
    assert.equal((await stripe(fakes)('/v1/charges')).status, 500)
    assert.equal((await stripe(fakes)('/v1/invoices')).status, 500)
    clock.advance(10_000)
    assert.equal((await stripe(fakes)('/v1/charges')).status, 200)
    assert.equal(storm.applied, 2)
  })

  it('matches faults by method and path prefix only', async (t) => {
    const fakes = await startFakes(t, SMALL)
    fakes.stripe.inject({ method: 'POST', path: '/v1/customers', action: { kind: 'status', status: 500 } })
    assert.equal((await stripe(fakes)('/v1/customers')).status, 200)
    assert.equal((await createCustomer(fakes, 'k')).status, 500)
    assert.equal(fakes.stripe.operations().length, 0, 'a 5xx injected before processing performs nothing')
  })

  it('holds the status line, or sends the headers and holds the body', async (t) => {
    const fakes = await startFakes(t, SMALL)
    fakes.stripe.inject({ times: 1, action: { kind: 'delay', ms: 400, phase: 'headers' } })
    let answered = false
    const pending = stripe(fakes)('/v1/customers').then((res) => {
      answered = true
      return res
    })
    await waitFor(() => fakes.stripe.requests().length === 1)
    assert.equal(fakes.stripe.requests()[0]?.outcome, 'in-progress')
    assert.equal(answered, false)
    assert.equal((await pending).status, 200)

    fakes.stripe.inject({ times: 1, action: { kind: 'delay', ms: 300, phase: 'body' } })
    const url = new URL('/v1/customers', fakes.credentials.stripe.baseUrl)
    const order: string[] = []
    await new Promise<void>((resolve, reject) => {
      const req = request(
        url,
        { headers: { authorization: `Bearer ${fakes.credentials.stripe.secretKey}` } },
        (res) => {
          order.push(`headers ${res.statusCode}`)
          res.on('data', () => {
            if (!order.includes('body')) order.push('body')
          })
          res.on('end', resolve)
        },
      )
      req.on('error', reject)
      req.end()
    })
    assert.deepEqual(order, ['headers 200', 'body'])
  })

  it('drops the connection after processing: the retry with the same key is replayed, one operation', async (t) => {
    const fakes = await startFakes(t, SMALL)
    const before = fakes.stripe.records.collection('customer').live().length
    fakes.stripe.inject({ method: 'POST', times: 1, action: { kind: 'drop-after-processing' } })
    await assert.rejects(createCustomer(fakes, 'op-1'), TypeError)
    assert.equal(fakes.stripe.requests()[0]?.outcome, 'dropped-after-processing')
    assert.equal(
      fakes.stripe.records.collection('customer').live().length,
      before + 1,
      'the customer was created',
    )
    const retry = await createCustomer(fakes, 'op-1')
    assert.equal(retry.status, 200)
    assert.equal(retry.headers.get('idempotent-replayed'), 'true')
    assert.equal(fakes.stripe.operations().length, 1)
    assert.equal(fakes.stripe.records.collection('customer').live().length, before + 1)
    assert.deepEqual(
      fakes.stripe.requests().map((r) => [r.idempotencyKey, r.outcome, r.replayed]),
      [
        ['op-1', 'dropped-after-processing', false],
        ['op-1', 'answered', true],
      ],
    )
  })

  it('refuses a retry with 409 idempotency_key_in_use while the first request with that key is still in progress', async (t) => {
    const fakes = await startFakes(t, SMALL)
    fakes.stripe.inject({ method: 'POST', times: 1, action: { kind: 'delay', ms: 400, phase: 'headers' } })
    const first = createCustomer(fakes, 'slow-1')
    await waitFor(() => fakes.stripe.requests().length === 1)
    const retry = await createCustomer(fakes, 'slow-1')
    assert.equal(retry.status, 409)
    const { error } = (await retry.json()) as { error: { code: string } }
    assert.equal(error.code, 'idempotency_key_in_use')
    assert.equal((await first).status, 200)
    const after = await createCustomer(fakes, 'slow-1')
    assert.equal(after.headers.get('idempotent-replayed'), 'true')
    assert.equal(fakes.stripe.operations().length, 1)
  })

  it('drops the connection before processing: nothing happens remotely', async (t) => {
    const fakes = await startFakes(t, SMALL)
    const before = fakes.stripe.records.collection('customer').live().length
    fakes.stripe.inject({ times: 1, action: { kind: 'drop-before-processing' } })
    await assert.rejects(createCustomer(fakes, 'op-2'), TypeError)
    assert.equal(fakes.stripe.operations().length, 0)
    assert.equal(fakes.stripe.records.collection('customer').live().length, before)
  })

  it("answers a scripted rate limit in each provider's own way", async (t) => {
    const fakes = await startFakes(t, { ...SMALL, clock: new ManualClock() })
    for (const fake of [fakes.stripe, fakes.shopify, fakes.github])
      fake.inject({ times: 1, action: { kind: 'rate-limited' } })
    const s = await stripe(fakes)('/v1/customers')
    assert.equal(s.status, 429)
    const { github, shopify } = fakes.credentials
    const g = await fetch(`${github.baseUrl}/repos/acme/widgets/issues`, {
      headers: { authorization: `token ${github.token}` },
    })
    assert.equal(g.status, 403)
    assert.equal(g.headers.get('retry-after'), '60')
    assert.match(String(((await g.json()) as { message: string }).message), /secondary rate limit/)
    const query = () =>
      fetch(shopify.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-shopify-access-token': shopify.accessToken },
        body: JSON.stringify({ query: '{ orders(first: 10) { nodes { id } } }' }),
      })
    const first = await query()
    assert.equal(first.status, 200)
    const body = (await first.json()) as {
      errors: { extensions: { code: string } }[]
      extensions: { cost: { requestedQueryCost: number } }
    }
    assert.equal(body.errors[0]?.extensions.code, 'THROTTLED')
    assert.equal(body.extensions.cost.requestedQueryCost, 12)
    // The scripted throttle emptied the bucket, so the fake stays consistent with what it said.
    const second = (await (await query()).json()) as { errors?: { extensions: { code: string } }[] }
    assert.equal(second.errors?.[0]?.extensions.code, 'THROTTLED')
  })
})
