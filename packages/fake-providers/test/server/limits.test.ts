import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FixedWindowQuota, RestoringBucket, SlidingWindowLimiter } from '@integration-ledger/fake-providers'
import { ManualClock } from '../support.js'

describe('limits', () => {
  it('a sliding window refuses past its limit and says when the oldest cost slides out', () => {
    const clock = new ManualClock()
    const limiter = new SlidingWindowLimiter(10, 60_000, clock)
    assert.deepEqual(limiter.take('a', 5), { allowed: true })
    clock.advance(15_000)
    assert.deepEqual(limiter.take('a', 5), { allowed: true })
    assert.deepEqual(limiter.take('a', 1), { allowed: false, retryAfterMs: 45_000 })
    assert.deepEqual(limiter.take('b', 10), { allowed: true }, 'keys are separate')
    clock.advance(45_000)
    assert.deepEqual(limiter.take('a', 5), { allowed: true })
  })

  it('a restoring bucket refills at its rate up to its maximum, and takes back refunds', () => {
    const clock = new ManualClock()
    const bucket = new RestoringBucket(1000, 50, clock)
    assert.equal(bucket.take('t', 900), true)
    assert.equal(bucket.take('t', 200), false, 'nothing is taken when the cost does not fit')
    assert.equal(bucket.available('t'), 100)
    clock.advance(2000)
    assert.equal(bucket.available('t'), 200)
    bucket.refund('t', 5000)
    assert.equal(bucket.available('t'), 1000)
  })

  it('a fixed window counts from the first request and resets after its length', () => {
    const clock = new ManualClock()
    const quota = new FixedWindowQuota(2, 3600_000, clock)
    const start = clock.now()
    assert.deepEqual(quota.take('x'), { allowed: true, used: 1, remaining: 1, resetAtMs: start + 3600_000 })
    assert.deepEqual(quota.peek('x'), { used: 1, resetAtMs: start + 3600_000 })
    quota.take('x')
    assert.equal(quota.take('x').allowed, false)
    clock.advance(3600_000)
    assert.deepEqual(quota.take('x'), { allowed: true, used: 1, remaining: 1, resetAtMs: start + 7200_000 })
  })
})
