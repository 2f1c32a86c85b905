import assert from 'node:assert/strict'
import { type TestContext, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { startFakeProviders } from '@integration-ledger/fake-providers'
import { OutboundClient, derivePolicy, githubPolicy, stripePolicy } from '@integration-ledger/outbound'
import { cleanupScope } from '@integration-ledger/testing'
import { Registry } from 'prom-client'

/**
 * The outbound client against the fake providers, which speak the providers' wire formats: what
 * issue 8 asks the client to show, over real HTTP, with the fakes' own request logs as witnesses.
 */
/** Fake providers and a client of the real Stripe policy pointed at the fake, both closed after the test. */
async function stripeAgainstFake(test: TestContext, seed: number) {
  const t = cleanupScope(test)
  const fakes = await startFakeProviders({ seed })
  t.after(() => fakes.close())
  const { baseUrl, secretKey } = fakes.credentials.stripe
  const client = new OutboundClient({
    policy: derivePolicy(stripePolicy, { baseUrl }),
    credentials: () => secretKey,
    registry: new Registry(),
  })
  t.after(() => client.close())
  return { fakes, client }
}

describe('outbound client against the fake providers (real HTTP on loopback)', () => {
  it('waits out a 429 with Retry-After: 2 for at least 2 s, by the recorded wait', async (test) => {
    const { fakes, client } = await stripeAgainstFake(test, 7)
    fakes.stripe.inject({
      path: '/v1/customers',
      times: 1,
      action: { kind: 'status', status: 429, retryAfter: { seconds: 2 } },
    })

    const result = await client.send({
      credentialId: 'acct',
      operation: 'customers.list',
      path: '/v1/customers',
    })

    assert.equal(result.outcome.kind, 'succeeded')
    assert.equal(result.attempts.length, 2)
    assert.equal(result.attempts[0]?.status, 429)
    assert.ok((result.attempts[1]?.retryWaitMs ?? 0) >= 2000, `waited ${result.attempts[1]?.retryWaitMs} ms`)
    assert.deepEqual(
      fakes.stripe.requests({ path: '/v1/customers' }).map((r) => r.status),
      [429, 200],
    )
  })

  it('opens the breaker on a 503 storm, fails fast, half-opens after its cool-down and closes again', async (test) => {
    const t = cleanupScope(test)
    const fakes = await startFakeProviders({ seed: 8 })
    t.after(() => fakes.close())
    const { baseUrl, token } = fakes.credentials.github
    const { owner, repo } = fakes.credentials.github
    const client = new OutboundClient({
      policy: derivePolicy(githubPolicy, {
        baseUrl,
        breaker: { consecutiveFailures: 3, halfOpenAfterMs: 1000 },
        retry: { maxAttempts: 1 },
      }),
      credentials: () => token,
      registry: new Registry(),
    })
    t.after(() => client.close())
    const storm = fakes.github.inject({ action: { kind: 'status', status: 503 } })
    const list = () =>
      client.send({ credentialId: 'ci', operation: 'issues.list', path: `/repos/${owner}/${repo}/issues` })

    for (let i = 0; i < 3; i++) assert.equal((await list()).outcome.kind, 'ambiguous')
    assert.equal(client.breakerState, 'open')
    const answeredBefore = fakes.github.requests().length
    const fast = await list()
    assert.equal(fast.attempts[0]?.sent, false, 'refused without a request while open')
    assert.equal(fakes.github.requests().length, answeredBefore, 'the provider saw nothing')

    storm.remove()
    await sleep(1100)
    const probe = await list()
    assert.equal(probe.outcome.kind, 'succeeded', 'the half-open probe goes through')
    assert.equal(client.breakerState, 'closed')
  })

  it('reports a POST dropped after processing as ambiguous and retries it with the same idempotency key: one operation', async (test) => {
    const { fakes, client } = await stripeAgainstFake(test, 9)
    fakes.stripe.inject({
      method: 'POST',
      path: '/v1/customers',
      times: 1,
      action: { kind: 'drop-after-processing' },
    })

    const result = await client.send({
      credentialId: 'acct',
      operation: 'customers.create',
      method: 'POST',
      path: '/v1/customers',
      form: { email: 'jenny.rosen@example.com' },
    })

    assert.equal(result.attempts[0]?.outcome, 'ambiguous')
    assert.equal(result.outcome.kind, 'succeeded')
    const posts = fakes.stripe.requests({ method: 'POST', path: '/v1/customers' })
    assert.equal(posts.length, 2)
    assert.ok(result.idempotencyKey)
    assert.deepEqual(
      posts.map((p) => p.idempotencyKey),
      [result.idempotencyKey, result.idempotencyKey],
    )
    assert.equal(posts[1]?.replayed, true, 'the retry is answered from the stored result')
    assert.equal(fakes.stripe.operations({ method: 'POST', path: '/v1/customers' }).length, 1)
  })

  it('never retries a 400', async (test) => {
    const { fakes, client } = await stripeAgainstFake(test, 10)

    // limit=1000 is out of Stripe's range: the fake answers 400 invalid_request_error.
    const result = await client.send({
      credentialId: 'acct',
      operation: 'customers.list',
      path: '/v1/customers',
      query: { limit: 1000 },
    })

    assert.equal(result.outcome.kind, 'rejected')
    assert.equal(result.attempts.length, 1)
    assert.equal(fakes.stripe.requests({ path: '/v1/customers' }).length, 1)
  })
})
