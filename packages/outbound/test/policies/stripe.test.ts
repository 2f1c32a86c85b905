import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LedgerError } from '@integration-ledger/core'
import { STRIPE_LIMITS, derivePolicy, stripePolicy } from '@integration-ledger/outbound'

describe('stripePolicy', () => {
  it('sizes its bucket from the documented limits and derives a test-mode variant', () => {
    assert.deepEqual(
      stripePolicy.limits,
      { capacity: 20, refillPerSecond: 80 },
      'burst + 1 s of refill = 100/s',
    )
    const test = derivePolicy(stripePolicy, { limits: STRIPE_LIMITS.test, retry: { baseDelayMs: 10 } })
    assert.equal(test.limits.capacity + test.limits.refillPerSecond, 25)
    assert.equal(test.retry.baseDelayMs, 10)
    assert.equal(test.retry.maxAttempts, 5, 'nested settings keep the base policy values')
    assert.equal(test.idempotencyKeyHeader, 'idempotency-key')
  })

  it('refuses a policy with impossible figures, naming each', () => {
    assert.throws(
      () => derivePolicy(stripePolicy, { baseUrl: 'api.stripe.com', limits: { capacity: 0 }, headroom: 2 }),
      (err: unknown) =>
        err instanceof LedgerError &&
        err.code === 'CONFIG_INVALID' &&
        /baseUrl/.test(err.message) &&
        /limits.capacity/.test(err.message) &&
        /headroom/.test(err.message),
    )
  })
})
