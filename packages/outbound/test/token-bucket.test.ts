import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { TokenBucket } from '@integration-ledger/outbound'

function clock(start = 1_000_000) {
  let now = start
  return { now: () => now, advance: (ms: number) => void (now += ms) }
}

describe('TokenBucket', () => {
  it('lets the headroom share of the capacity through at once, then paces at the headroom share of the refill', () => {
    const c = clock()
    const bucket = new TokenBucket({ capacity: 10, refillPerSecond: 10 }, 0.8, c)
    const waits = Array.from({ length: 10 }, () => bucket.reserve(1))
    assert.deepEqual(waits.slice(0, 8), [0, 0, 0, 0, 0, 0, 0, 0])
    assert.deepEqual(waits.slice(8), [125, 250], 'queued callers wait in turn at 8 per second')
    c.advance(250)
    assert.equal(bucket.reserve(1), 125)
  })

  it('never believes it has more left than the provider says, keeping the headroom share free', () => {
    const c = clock()
    const bucket = new TokenBucket({ capacity: 40, refillPerSecond: 2 }, 0.8, c)
    // Shopify REST "32/40": 8 left, of which 8 (20% of 40) are kept free.
    bucket.observe({ remaining: 8, limit: 40 })
    assert.equal(bucket.reserve(1), 625, 'one unit at 1.6 per second')
  })

  it("adopts the provider's bucket size and restore rate", () => {
    const c = clock()
    const bucket = new TokenBucket({ capacity: 1000, refillPerSecond: 50 }, 1, c)
    bucket.observe({ remaining: 0, limit: 2000, refillPerSecond: 100 })
    assert.equal(bucket.reserve(100), 1000, '100 points at 100 per second')
  })

  it("takes a window's remaining quota as the ceiling, without resizing the burst to the window", () => {
    const c = clock()
    const bucket = new TokenBucket({ capacity: 900, refillPerSecond: 1 }, 0.8, c)
    // GitHub: 100 of 5,000 left this hour.
    bucket.observe({ remaining: 100, limit: 5000, resetAtMs: c.now() + 600_000 })
    assert.equal(bucket.available, 80)
    c.advance(10_000_000)
    assert.equal(bucket.available, 720, 'refilled to the documented burst, not to 80% of 5,000')
  })

  it('holds every caller until a window resets when nothing is left', () => {
    const c = clock()
    const bucket = new TokenBucket({ capacity: 900, refillPerSecond: 1 }, 0.8, c)
    bucket.observe({ remaining: 0, limit: 5000, resetAtMs: c.now() + 30_000 })
    assert.ok(bucket.reserve(1) >= 30_000)
  })

  it('gives back a reservation that was not used', () => {
    const c = clock()
    const bucket = new TokenBucket({ capacity: 1, refillPerSecond: 1 }, 1, c)
    assert.equal(bucket.reserve(1), 0)
    assert.equal(bucket.reserve(1), 1000)
    bucket.refund(1)
    assert.equal(bucket.reserve(1), 1000)
  })
})
