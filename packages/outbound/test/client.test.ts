import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { inspect } from 'node:util'
import {
  ProviderCircuitOpenError,
  ProviderCredentialsError,
  ProviderOutcomeUnknownError,
  ProviderRateLimitedError,
  ProviderRejectedError,
  ProviderUnavailableError,
  githubPolicy,
  shopifyGraphqlPolicy,
  shopifyPolicy,
  stripePolicy,
} from '@integration-ledger/outbound'
import {
  SECRET,
  capturingLogger,
  clientFor,
  closedPortUrl,
  json,
  metricValue,
  startServer,
} from './helpers.js'

describe('OutboundClient outcomes', () => {
  it('succeeded: parses the JSON answer, sends the credential, counts the attempt', async (t) => {
    const server = await startServer(t, (_req, res) => json(res, 200, { object: 'list', data: [] }))
    const { client, registry } = clientFor(t, stripePolicy, server.url)
    const result = await client.send({
      credentialId: 'acct_1',
      operation: 'customers.list',
      path: '/v1/customers',
      query: { limit: 3 },
    })
    assert.equal(result.outcome.kind, 'succeeded')
    assert.deepEqual(result.outcome.answer?.body, { object: 'list', data: [] })
    assert.equal(result.attempts.length, 1)
    assert.equal(server.seen[0]?.url, '/v1/customers?limit=3')
    assert.equal(server.seen[0]?.headers.authorization, `Bearer ${SECRET}`)
    assert.equal(server.seen[0]?.headers['idempotency-key'], undefined, 'a GET carries no idempotency key')
    assert.equal(
      await metricValue(
        registry,
        'ledger_outbound_requests_total{provider="stripe",operation="customers.list",outcome="succeeded",status_class="2xx"}',
      ),
      1,
    )
  })

  it('failed before processing: a closed port is refused, retried up to 5 attempts, then ProviderUnavailableError', async (t) => {
    // A breaker that does not open here: that the refusals open it is the breaker tests' subject.
    const { client, registry } = clientFor(t, stripePolicy, await closedPortUrl(), {
      breaker: { consecutiveFailures: 100 },
    })
    const result = await client.send({
      credentialId: 'acct_1',
      operation: 'customers.create',
      method: 'POST',
      path: '/v1/customers',
    })
    assert.equal(result.outcome.kind, 'failed-before-processing')
    assert.equal(result.attempts.length, 5)
    assert.ok(result.attempts.every((a) => a.reason === 'connection-refused'))
    assert.equal(
      await metricValue(
        registry,
        'ledger_outbound_retries_total{provider="stripe",operation="customers.create",reason="connection-refused"}',
      ),
      4,
    )
    await assert.rejects(
      client.request({ credentialId: 'acct_1', operation: 'customers.list', path: '/v1/customers' }),
      (err: unknown) =>
        err instanceof ProviderUnavailableError && err.code === 'PROVIDER_UNAVAILABLE' && err.retryable,
    )
  })

  it('ambiguous: the server reads the request and destroys the socket; a GET is retried, each attempt ambiguous', async (t) => {
    const server = await startServer(t, (_req, res) => res.socket?.destroy())
    const { client } = clientFor(t, stripePolicy, server.url)
    const result = await client.send({
      credentialId: 'acct_1',
      operation: 'customers.list',
      path: '/v1/customers',
    })
    assert.equal(result.outcome.kind, 'ambiguous')
    assert.equal(result.outcome.kind === 'ambiguous' && result.outcome.reason, 'connection-lost')
    assert.equal(result.attempts.length, 5)
    assert.equal(server.seen.length, 5)
  })

  it('ambiguous: no answer within the headers timeout', async (t) => {
    const server = await startServer(t, () => {
      // Never answers.
    })
    const { client } = clientFor(t, stripePolicy, server.url, {
      timeouts: { headersMs: 100 },
      retry: { maxAttempts: 2 },
    })
    const result = await client.send({
      credentialId: 'acct_1',
      operation: 'customers.list',
      path: '/v1/customers',
    })
    assert.equal(result.outcome.kind === 'ambiguous' && result.outcome.reason, 'timeout')
    assert.equal(result.attempts.length, 2)
  })

  it('ambiguous: the whole-attempt deadline bounds an answer that trickles in', async (t) => {
    const server = await startServer(t, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      const timer = setInterval(() => res.write(' '), 20)
      res.on('close', () => clearInterval(timer))
    })
    const { client } = clientFor(t, stripePolicy, server.url, {
      timeouts: { attemptMs: 200 },
      retry: { maxAttempts: 1 },
    })
    const result = await client.send({
      credentialId: 'acct_1',
      operation: 'customers.list',
      path: '/v1/customers',
    })
    assert.equal(result.outcome.kind === 'ambiguous' && result.outcome.reason, 'timeout')
  })

  it('rejected: a 400 is never retried and raises ProviderRejectedError', async (t) => {
    const server = await startServer(t, (_req, res) =>
      json(res, 400, { error: { type: 'invalid_request_error' } }),
    )
    const { client } = clientFor(t, stripePolicy, server.url)
    await assert.rejects(
      client.request({
        credentialId: 'acct_1',
        operation: 'customers.create',
        method: 'POST',
        path: '/v1/customers',
        form: { email: 'x' },
      }),
      (err: unknown) =>
        err instanceof ProviderRejectedError && !err.retryable && err.result.attempts.length === 1,
    )
    assert.equal(server.seen.length, 1)
  })

  it('rejected: 404 and 422 are not retried either', async (t) => {
    let status = 404
    const server = await startServer(t, (_req, res) => json(res, status, {}))
    const { client } = clientFor(t, stripePolicy, server.url)
    for (const s of [404, 422]) {
      status = s
      const result = await client.send({
        credentialId: 'acct_1',
        operation: 'customers.get',
        path: '/v1/customers/cus_1',
      })
      assert.equal(result.outcome.kind, 'rejected')
      assert.equal(result.attempts.length, 1)
    }
    assert.equal(server.seen.length, 2)
  })

  it('rejected: a 401 is flagged as a credentials problem', async (t) => {
    const server = await startServer(t, (_req, res) =>
      json(res, 401, { error: { message: 'Invalid API Key provided' } }),
    )
    const { client } = clientFor(t, stripePolicy, server.url)
    const result = await client.send({
      credentialId: 'acct_1',
      operation: 'customers.list',
      path: '/v1/customers',
    })
    assert.equal(result.outcome.kind === 'rejected' && result.outcome.credentialsProblem, true)
    await assert.rejects(
      client.request({ credentialId: 'acct_1', operation: 'customers.list', path: '/v1/customers' }),
      (err: unknown) =>
        err instanceof ProviderCredentialsError && err.code === 'PROVIDER_CREDENTIALS_INVALID',
    )
    assert.equal(server.seen.length, 2, 'one attempt per call')
  })

  it('Stripe-Should-Retry: false stops a retryable 503; true retries a 409', async (t) => {
    let answers = [
      { status: 503, hint: 'false' },
      { status: 409, hint: 'true' },
      { status: 200, hint: undefined },
    ]
    const server = await startServer(t, (_req, res) => {
      const next = answers.shift() ?? { status: 200, hint: undefined }
      json(res, next.status, {}, next.hint === undefined ? {} : { 'stripe-should-retry': next.hint })
    })
    const { client } = clientFor(t, stripePolicy, server.url)
    const first = await client.send({
      credentialId: 'acct_1',
      operation: 'customers.list',
      path: '/v1/customers',
    })
    assert.equal(first.attempts.length, 1)
    assert.equal(first.outcome.kind, 'ambiguous')
    const second = await client.send({
      credentialId: 'acct_1',
      operation: 'customers.list',
      path: '/v1/customers',
    })
    assert.deepEqual(
      second.attempts.map((a) => a.status),
      [409, 200],
    )
    answers = []
  })
})

describe('OutboundClient waits', () => {
  it('a 429 with Retry-After: 2 is waited out at least 2 s before the next attempt', async (t) => {
    let calls = 0
    const server = await startServer(t, (_req, res) => {
      calls++
      if (calls === 1) json(res, 429, { error: { type: 'rate_limit' } }, { 'retry-after': '2' })
      else json(res, 200, { ok: true })
    })
    const { client, registry } = clientFor(t, stripePolicy, server.url)
    const result = await client.send({
      credentialId: 'acct_1',
      operation: 'customers.list',
      path: '/v1/customers',
    })
    assert.equal(result.outcome.kind, 'succeeded')
    assert.equal(result.attempts[0]?.reason, 'rate-limited')
    assert.ok(
      (result.attempts[1]?.retryWaitMs ?? 0) >= 2000,
      `recorded wait ${result.attempts[1]?.retryWaitMs}`,
    )
    assert.ok(result.waitedMs >= 2000)
    assert.equal(
      await metricValue(
        registry,
        'ledger_outbound_retries_total{provider="stripe",operation="customers.list",reason="rate-limited"}',
      ),
      1,
    )
  })

  it("the caller's signal cancels a call while it waits out a Retry-After", async (t) => {
    const server = await startServer(t, (_req, res) => json(res, 429, {}, { 'retry-after': '30' }))
    const { client } = clientFor(t, stripePolicy, server.url)
    const controller = new AbortController()
    const call = client.send({
      credentialId: 'acct_1',
      operation: 'customers.list',
      path: '/v1/customers',
      signal: controller.signal,
    })
    while (server.seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    controller.abort(new Error('shutting down'))
    await assert.rejects(call, /shutting down/)
    assert.equal(server.seen.length, 1)
  })

  it('Retry-After as an HTTP date is waited out until that date', async (t) => {
    let calls = 0
    let retryAt = 0
    const server = await startServer(t, (_req, res) => {
      calls++
      if (calls > 1) return json(res, 200, {})
      // HTTP dates have whole seconds: the next full second at least 1 s away.
      retryAt = (Math.floor(Date.now() / 1000) + 2) * 1000
      json(res, 503, {}, { 'retry-after': new Date(retryAt).toUTCString() })
    })
    const { client } = clientFor(t, stripePolicy, server.url)
    const asked = Date.now()
    const result = await client.send({
      credentialId: 'acct_1',
      operation: 'customers.list',
      path: '/v1/customers',
    })
    assert.equal(result.outcome.kind, 'succeeded')
    const wait = result.attempts[1]?.retryWaitMs ?? 0
    assert.ok(wait >= 900 && wait <= retryAt - asked + 50, `recorded wait ${wait}`)
  })

  it('a GitHub secondary-limit 403 is a rate limit, not a credentials problem, and is waited out', async (t) => {
    let calls = 0
    const server = await startServer(t, (_req, res) => {
      calls++
      if (calls === 1) {
        json(
          res,
          403,
          {
            message:
              'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
          },
          {
            'x-ratelimit-remaining': '4000',
          },
        )
      } else json(res, 200, [])
    })
    const { client } = clientFor(t, githubPolicy, server.url, { retry: { unknownThrottleWaitMs: 150 } })
    const result = await client.send({
      credentialId: 'inst_1',
      operation: 'issues.list',
      path: '/repos/o/r/issues',
    })
    assert.equal(result.outcome.kind, 'succeeded')
    assert.equal(result.attempts[0]?.reason, 'rate-limited')
    assert.equal(result.attempts[1]?.retryWaitMs, 150, 'no retry-after: the policy-documented wait')
    assert.equal(server.seen[0]?.headers.authorization, `Bearer ${SECRET}`)
    assert.equal(server.seen[0]?.headers['x-github-api-version'], '2022-11-28')
  })

  it('a rate limit holds every call on that credential, not on other credentials', async (t) => {
    const server = await startServer(t, (req, res) =>
      req.url.includes('limited')
        ? json(res, 403, { message: 'You have exceeded a secondary rate limit.' })
        : json(res, 200, []),
    )
    const { client } = clientFor(t, githubPolicy, server.url, {
      retry: { maxAttempts: 1, unknownThrottleWaitMs: 150 },
    })
    const limited = await client.send({ credentialId: 'inst_1', operation: 'issues.list', path: '/limited' })
    assert.equal(limited.retryAfterMs, 150, 'the call retries no more, and says when to come back')
    const other = await client.send({ credentialId: 'inst_2', operation: 'issues.list', path: '/ok' })
    assert.equal(other.attempts[0]?.throttleWaitMs, 0)
    const same = await client.send({ credentialId: 'inst_1', operation: 'pulls.list', path: '/ok' })
    assert.ok((same.attempts[0]?.throttleWaitMs ?? 0) >= 100, `held ${same.attempts[0]?.throttleWaitMs} ms`)
  })

  it('a bare GitHub 403 is a credentials problem', async (t) => {
    const server = await startServer(t, (_req, res) =>
      json(res, 403, { message: 'Resource not accessible by integration' }),
    )
    const { client } = clientFor(t, githubPolicy, server.url)
    const result = await client.send({
      credentialId: 'inst_1',
      operation: 'issues.list',
      path: '/repos/o/r/issues',
    })
    assert.equal(result.outcome.kind === 'rejected' && result.outcome.credentialsProblem, true)
  })

  it('GitHub primary limit exhausted far from its reset: gives up at once with the wait as retryAfterMs', async (t) => {
    const reset = Math.floor(Date.now() / 1000) + 3600
    const server = await startServer(t, (_req, res) =>
      json(
        res,
        403,
        { message: 'API rate limit exceeded' },
        { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
      ),
    )
    const { client } = clientFor(t, githubPolicy, server.url)
    const err = await client
      .request({ credentialId: 'inst_1', operation: 'issues.list', path: '/repos/o/r/issues' })
      .catch((e: unknown) => e)
    assert.ok(err instanceof ProviderRateLimitedError)
    assert.equal(err.result.attempts.length, 1)
    assert.ok((err.retryAfterMs ?? 0) > 3_500_000)
    // The credential is held until the reset: the next call is not sent at all.
    const next = await client.send({
      credentialId: 'inst_1',
      operation: 'issues.list',
      path: '/repos/o/r/issues',
    })
    assert.equal(
      next.outcome.kind === 'failed-before-processing' && next.outcome.reason,
      'throttle-wait-too-long',
    )
    assert.equal(server.seen.length, 1)
  })

  it('a Shopify GraphQL THROTTLED answer with HTTP 200 is waited out for the missing points', async (t) => {
    let calls = 0
    const server = await startServer(t, (_req, res) => {
      calls++
      const throttleStatus = {
        maximumAvailable: 1000,
        currentlyAvailable: calls === 1 ? 1 : 900,
        restoreRate: 500,
      }
      if (calls === 1) {
        json(res, 200, {
          errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED' } }],
          extensions: { cost: { requestedQueryCost: 101, actualQueryCost: null, throttleStatus } },
        })
      } else {
        json(res, 200, {
          data: { orders: { nodes: [] } },
          extensions: { cost: { requestedQueryCost: 101, actualQueryCost: 12, throttleStatus } },
        })
      }
    })
    const { client, registry } = clientFor(t, shopifyGraphqlPolicy, server.url)
    const result = await client.send({
      credentialId: 'shop_1',
      operation: 'orders.list',
      method: 'POST',
      path: '/admin/api/2025-01/graphql.json',
      json: { query: '{ orders(first: 100) { nodes { id } } }' },
      cost: 101,
    })
    assert.equal(result.outcome.kind, 'succeeded')
    assert.equal(result.attempts[0]?.reason, 'rate-limited')
    assert.equal(result.attempts[0]?.status, 200)
    assert.equal(result.attempts[1]?.retryWaitMs, 200, '(101 - 1) points at 500 points/s')
    assert.equal(server.seen[0]?.headers['x-shopify-access-token'], SECRET)
    assert.equal(
      await metricValue(registry, 'ledger_outbound_rate_limit_remaining{provider="shopify-graphql"}'),
      900,
    )
  })

  it('the token bucket paces a burst below a server-enforced limit: zero 429s', async (t) => {
    // The server enforces a leaky bucket of 10 requests draining 10 per second, and answers 429 beyond it.
    const enforce = () => {
      let level = 0
      let at = Date.now()
      let refused = 0
      return {
        get refused() {
          return refused
        },
        admit(): boolean {
          const now = Date.now()
          level = Math.max(0, level - ((now - at) / 1000) * 10)
          at = now
          if (level + 1 > 10) {
            refused++
            return false
          }
          level += 1
          return true
        },
      }
    }
    const paced = enforce()
    const server = await startServer(t, (_req, res) =>
      paced.admit() ? json(res, 200, {}) : json(res, 429, {}),
    )
    const { client } = clientFor(t, stripePolicy, server.url, {
      limits: { capacity: 10, refillPerSecond: 10 },
      retry: { maxAttempts: 1 },
    })
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        client.send({ credentialId: 'acct_1', operation: 'customers.list', path: '/v1/customers' }),
      ),
    )
    assert.equal(paced.refused, 0)
    assert.ok(results.every((r) => r.outcome.kind === 'succeeded'))
    const waits = results.map((r) => r.attempts[0]?.throttleWaitMs ?? 0)
    // 8 go at once (80% headroom of 10), the other 12 at 8 per second.
    assert.equal(waits.filter((w) => w === 0).length, 8)
    assert.ok(Math.max(...waits) >= 1400, `longest recorded wait ${Math.max(...waits)}`)

    // Control: the same burst without the bucket's pacing is refused by that server.
    const unpaced = enforce()
    const server2 = await startServer(t, (_req, res) =>
      unpaced.admit() ? json(res, 200, {}) : json(res, 429, {}),
    )
    const { client: greedy } = clientFor(t, stripePolicy, server2.url, {
      limits: { capacity: 1000, refillPerSecond: 1000 },
      retry: { maxAttempts: 1 },
    })
    await Promise.all(
      Array.from({ length: 20 }, () =>
        greedy.send({ credentialId: 'acct_1', operation: 'customers.list', path: '/v1/customers' }),
      ),
    )
    assert.ok(unpaced.refused > 0)
  })
  it("follows the provider's reported bucket (X-Shopify-Shop-Api-Call-Limit) when it is smaller than documented", async (t) => {
    // This shop's bucket holds 10 and leaks 20 per second; the client was told 40 and 20.
    const shop = (reportState: boolean) => {
      let level = 0
      let at = Date.now()
      let refused = 0
      return {
        refused: () => refused,
        handle(res: Parameters<typeof json>[0]) {
          const now = Date.now()
          level = Math.max(0, level - ((now - at) / 1000) * 20)
          at = now
          if (level + 1 > 10) {
            refused++
            return json(res, 429, { errors: 'Exceeded 10 calls per second for api client.' })
          }
          level += 1
          json(
            res,
            200,
            { orders: [] },
            reportState ? { 'x-shopify-shop-api-call-limit': `${Math.ceil(level)}/10` } : {},
          )
        },
      }
    }
    const listed = shop(true)
    const server = await startServer(t, (_req, res) => listed.handle(res))
    const documented = { limits: { capacity: 40, refillPerSecond: 20 }, retry: { maxAttempts: 1 } }
    const { client } = clientFor(t, shopifyPolicy, server.url, documented)
    for (let page = 0; page < 20; page++) {
      const result = await client.send({
        credentialId: 'shop_1',
        operation: 'orders.list',
        path: '/admin/api/2025-01/orders.json',
      })
      assert.equal(result.outcome.kind, 'succeeded', `page ${page}`)
    }
    assert.equal(listed.refused(), 0)

    // Control: the same pages against a shop that does not report its state are refused.
    const silent = shop(false)
    const server2 = await startServer(t, (_req, res) => silent.handle(res))
    const { client: blind } = clientFor(t, shopifyPolicy, server2.url, documented)
    for (let page = 0; page < 20; page++) {
      await blind.send({
        credentialId: 'shop_1',
        operation: 'orders.list',
        path: '/admin/api/2025-01/orders.json',
      })
    }
    assert.ok(silent.refused() > 0)
  })
})

describe('OutboundClient circuit breaker', () => {
  it('a 503 storm opens the breaker, which fails fast, half-opens after the cool-down and closes when answers succeed', async (t) => {
    let healthy = false
    let release: () => void = () => {}
    const probeArrived = new Promise<void>((resolve) => {
      release = resolve
    })
    let answerProbe: () => void = () => {}
    const server = await startServer(t, (_req, res) => {
      if (!healthy) return json(res, 503, {})
      release()
      return new Promise<void>((resolve) => {
        answerProbe = () => {
          json(res, 200, {})
          resolve()
        }
      })
    })
    const { client, registry } = clientFor(t, stripePolicy, server.url, {
      breaker: { consecutiveFailures: 3, halfOpenAfterMs: 300 },
    })
    const call = () =>
      client.send({ credentialId: 'acct_1', operation: 'customers.list', path: '/v1/customers' })
    const gauge = () => metricValue(registry, 'ledger_outbound_breaker_state{provider="stripe"}')

    const storm = await call()
    assert.equal(server.seen.length, 3, 'the third consecutive 503 opened it')
    assert.equal(storm.outcome.kind === 'failed-before-processing' && storm.outcome.reason, 'circuit-open')
    assert.equal(storm.attempts.at(-1)?.sent, false)
    assert.equal(client.breakerState, 'open')
    assert.equal(await gauge(), 1)

    const err = await client
      .request({ credentialId: 'acct_1', operation: 'customers.list', path: '/v1/customers' })
      .catch((e: unknown) => e)
    assert.ok(err instanceof ProviderCircuitOpenError)
    assert.ok((err.retryAfterMs ?? 0) > 0 && (err.retryAfterMs ?? 0) <= 300)
    assert.equal(server.seen.length, 3, 'failed fast: nothing sent')

    healthy = true
    await new Promise((resolve) => setTimeout(resolve, 320))
    const probe = call()
    await probeArrived
    assert.equal(client.breakerState, 'half-open')
    assert.equal(await gauge(), 2)
    answerProbe()
    assert.equal((await probe).outcome.kind, 'succeeded')
    assert.equal(client.breakerState, 'closed')
    assert.equal(await gauge(), 0)
  })

  it('4xx answers and 429s do not open the breaker', async (t) => {
    let n = 0
    const server = await startServer(t, (_req, res) => json(res, n++ % 2 === 0 ? 404 : 429, {}))
    const { client } = clientFor(t, stripePolicy, server.url, {
      breaker: { consecutiveFailures: 2 },
      retry: { maxAttempts: 1 },
    })
    for (let i = 0; i < 6; i++)
      await client.send({ credentialId: 'acct_1', operation: 'customers.get', path: '/v1/customers/cus_1' })
    assert.equal(client.breakerState, 'closed')
    assert.equal(server.seen.length, 6)
  })
})

describe('OutboundClient idempotency', () => {
  /** A Stripe-like endpoint: performs each idempotency key's operation once, replays its answer after. */
  async function keyedServer(t: Parameters<typeof startServer>[0], dropFirst: boolean) {
    const performed = new Map<string, unknown>()
    let operations = 0
    const server = await startServer(t, (req, res) => {
      const key = req.headers['idempotency-key']
      const stored = typeof key === 'string' ? performed.get(key) : undefined
      if (stored !== undefined) return json(res, 200, stored, { 'idempotent-replayed': 'true' })
      operations++
      const created = { id: `cus_${operations}` }
      if (typeof key === 'string') performed.set(key, created)
      if (dropFirst && operations === 1) return res.socket?.destroy()
      json(res, 200, created)
    })
    return { ...server, operations: () => operations }
  }

  it('a POST dropped after processing is ambiguous; the retry carries the same key and the server performs it once', async (t) => {
    const server = await keyedServer(t, true)
    const { client } = clientFor(t, stripePolicy, server.url)
    const result = await client.send({
      credentialId: 'acct_1',
      operation: 'customers.create',
      method: 'POST',
      path: '/v1/customers',
      form: { email: 'a@example.com' },
    })
    assert.equal(result.attempts[0]?.outcome, 'ambiguous')
    assert.equal(result.outcome.kind, 'succeeded')
    assert.deepEqual(result.outcome.answer?.body, { id: 'cus_1' })
    assert.equal(server.seen.length, 2)
    const keys = server.seen.map((r) => r.headers['idempotency-key'])
    assert.ok(typeof keys[0] === 'string' && keys[0].length > 0)
    assert.equal(keys[1], keys[0])
    assert.equal(result.idempotencyKey, keys[0])
    assert.equal(server.operations(), 1)
    assert.equal(server.seen[0]?.body, 'email=a%40example.com')
  })

  it("uses the caller's key for its logical operation, and a new key per call otherwise", async (t) => {
    const server = await keyedServer(t, false)
    const { client } = clientFor(t, stripePolicy, server.url)
    const create = (idempotencyKey?: string) =>
      client.send({
        credentialId: 'acct_1',
        operation: 'customers.create',
        method: 'POST',
        path: '/v1/customers',
        ...(idempotencyKey ? { idempotencyKey } : {}),
      })
    await create('op-42')
    await create('op-42')
    await create()
    await create()
    assert.equal(server.seen[0]?.headers['idempotency-key'], 'op-42')
    assert.equal(server.operations(), 3, 'op-42 once, then two calls with keys of their own')
  })

  it('a POST without an idempotency key that is dropped is not retried: ambiguous, resolve by reading remote state', async (t) => {
    const server = await startServer(t, (_req, res) => res.socket?.destroy())
    // GitHub takes no idempotency key.
    const { client } = clientFor(t, githubPolicy, server.url)
    const request = {
      credentialId: 'inst_1',
      operation: 'deliveries.redeliver',
      method: 'POST' as const,
      path: '/app/hook/deliveries/1/attempts',
    }
    const result = await client.send(request)
    assert.equal(result.outcome.kind, 'ambiguous')
    assert.equal(result.attempts.length, 1)
    assert.equal(result.safeToRepeat, false)
    const err = await client.request(request).catch((e: unknown) => e)
    assert.ok(err instanceof ProviderOutcomeUnknownError)
    assert.equal(err.retryable, false)
    assert.match(err.message, /read the provider's state/)
    assert.equal(server.seen.length, 2, 'one attempt per call')
  })

  it('a GraphQL query (POST) is idempotent and retried after a drop; a mutation marked non-idempotent is not', async (t) => {
    const server = await startServer(t, (_req, res) => res.socket?.destroy())
    const { client } = clientFor(t, shopifyGraphqlPolicy, server.url, { retry: { maxAttempts: 2 } })
    const call = (idempotent?: boolean) =>
      client.send({
        credentialId: 'shop_1',
        operation: 'graphql',
        method: 'POST',
        path: '/admin/api/2025-01/graphql.json',
        json: { query: '{ shop { name } }' },
        ...(idempotent === undefined ? {} : { idempotent }),
      })
    assert.equal((await call()).attempts.length, 2)
    assert.equal((await call(false)).attempts.length, 1)
  })

  it('a POST without a key is still retried when it provably was not processed (connection refused)', async (t) => {
    const { client } = clientFor(t, githubPolicy, await closedPortUrl(), { retry: { maxAttempts: 3 } })
    const result = await client.send({
      credentialId: 'inst_1',
      operation: 'deliveries.redeliver',
      method: 'POST',
      path: '/app/hook/deliveries/1/attempts',
    })
    assert.equal(result.attempts.length, 3)
  })
})

describe('OutboundClient secrets', () => {
  it('never puts the secret, or a token in the URL, into logs or errors', async (t) => {
    let n = 0
    const server = await startServer(t, (_req, res) => {
      n++
      if (n <= 2) return res.socket?.destroy()
      json(res, 401, { error: { message: 'Invalid API Key provided' } })
    })
    const { logger, lines } = capturingLogger()
    const { client } = clientFor(t, stripePolicy, server.url, { retry: { maxAttempts: 2 } }, logger)
    const path = '/v1/customers?access_token=tok_urlsecret'
    const errors = [
      await client
        .request({ credentialId: 'acct_1', operation: 'customers.list', path })
        .catch((e: unknown) => e),
      await client
        .request({ credentialId: 'acct_1', operation: 'customers.list', path })
        .catch((e: unknown) => e),
    ]
    assert.ok(errors[0] instanceof ProviderOutcomeUnknownError)
    assert.ok(errors[1] instanceof ProviderCredentialsError)
    assert.equal(server.seen[0]?.headers.authorization, `Bearer ${SECRET}`, 'the secret was sent')
    assert.ok(lines.length >= 2, 'the retries and failures were logged')
    assert.ok(lines.some((l) => l.includes('access_token=%5Bredacted%5D')))
    const everything = [
      ...lines,
      ...errors.map((e) => inspect(e, { depth: 10, showHidden: false })),
      ...errors.map((e) => JSON.stringify(e)),
    ].join('\n')
    assert.ok(!everything.includes(SECRET), 'secret leaked')
    assert.ok(!everything.includes('tok_urlsecret'), 'URL token leaked')
  })
})
