import type { Clock } from '@integration-ledger/core'

/** A request budget: `max` requests per `windowMs`, refilled continuously. */
export interface RateBudget {
  max: number
  windowMs: number
}

interface Bucket {
  tokens: number
  updatedMs: number
  budget: RateBudget
}

/** `ok: false` carries how long until one request would be allowed, for Retry-After. */
export type RateDecision = { ok: true } | { ok: false; retryAfterMs: number }

/**
 * Token buckets by key (the source name). A bucket holds up to `max` tokens and refills at
 * `max / windowMs`, so a burst of `max` passes and the sustained rate is `max` per window. The
 * limit is per ingest process: with N replicas behind a balancer the effective limit is N×.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>()
  readonly #clock: Clock

  constructor(clock: Clock) {
    this.#clock = clock
  }

  take(key: string, budget: RateBudget): RateDecision {
    const now = this.#clock.now()
    let bucket = this.#buckets.get(key)
    // A changed budget (admin edit) starts a fresh, full bucket.
    if (bucket === undefined || bucket.budget !== budget) {
      bucket = { tokens: budget.max, updatedMs: now, budget }
      this.#buckets.set(key, bucket)
    }
    const perMs = budget.max / budget.windowMs
    bucket.tokens = Math.min(budget.max, bucket.tokens + (now - bucket.updatedMs) * perMs)
    bucket.updatedMs = now
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return { ok: true }
    }
    return { ok: false, retryAfterMs: Math.ceil((1 - bucket.tokens) / perMs) }
  }
}
