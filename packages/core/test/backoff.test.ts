import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { backoffDelayMs } from '../src/backoff.js'

const policy = { baseMs: 250, maxMs: 5000 }

describe('backoffDelayMs', () => {
  it('doubles per attempt up to the cap, keeping half of each step and drawing the other half', () => {
    for (const [attempt, step] of [
      [0, 250],
      [1, 500],
      [4, 4000],
      [5, 5000],
      [30, 5000],
    ] as const) {
      assert.equal(
        backoffDelayMs(attempt, policy, () => 0),
        step / 2,
        `attempt ${attempt}, lowest`,
      )
      assert.equal(
        backoffDelayMs(attempt, policy, () => 1),
        step,
        `attempt ${attempt}, highest`,
      )
    }
  })

  it('spreads the retries of flights that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelayMs(3, policy)))
    assert.ok(delays.size > 40, `${delays.size} distinct delays of 50`)
    for (const delay of delays) assert.ok(delay >= 1000 && delay <= 2000, String(delay))
  })
})
