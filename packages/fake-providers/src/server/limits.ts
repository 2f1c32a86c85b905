import type { Clock } from '@integration-ledger/core'

/** Whether a limiter let a request through, and if not, when it would. */
export type LimitDecision = { allowed: true } | { allowed: false; retryAfterMs: number }

/**
 * At most `limit` cost units per key in any `windowMs` (a sliding log): Stripe's requests per
 * second, GitHub's secondary points per minute. Only allowed requests are counted.
 */
export class SlidingWindowLimiter {
  private readonly log = new Map<string, { at: number; cost: number }[]>()

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly clock: Clock,
  ) {}

  take(key: string, cost = 1): LimitDecision {
    const now = this.clock.now()
    const entries = (this.log.get(key) ?? []).filter((e) => e.at > now - this.windowMs)
    this.log.set(key, entries)
    let used = entries.reduce((sum, e) => sum + e.cost, 0)
    if (used + cost <= this.limit) {
      entries.push({ at: now, cost })
      return { allowed: true }
    }
    // The earliest moment enough of the window has slid out for this request to fit.
    for (const entry of entries) {
      used -= entry.cost
      if (used + cost <= this.limit) return { allowed: false, retryAfterMs: entry.at + this.windowMs - now }
    }
    return { allowed: false, retryAfterMs: this.windowMs }
  }
}

/**
 * A bucket that holds up to `maximum` points per key and refills at `restorePerSecond`: Shopify's
 * calculated-cost limit for the GraphQL Admin API.
 */
export class RestoringBucket {
  private readonly buckets = new Map<string, { points: number; at: number }>()

  constructor(
    readonly maximum: number,
    readonly restorePerSecond: number,
    private readonly clock: Clock,
  ) {}

  available(key: string): number {
    const now = this.clock.now()
    const bucket = this.buckets.get(key) ?? { points: this.maximum, at: now }
    bucket.points = Math.min(this.maximum, bucket.points + ((now - bucket.at) / 1000) * this.restorePerSecond)
    bucket.at = now
    this.buckets.set(key, bucket)
    return bucket.points
  }

  /** Takes `cost` points when there are that many; false (nothing taken) otherwise. */
  take(key: string, cost: number): boolean {
    if (this.available(key) < cost) return false
    const bucket = this.buckets.get(key)
    if (bucket !== undefined) bucket.points -= cost
    return true
  }

  /** Gives back points taken up front that the request did not use. */
  refund(key: string, points: number): void {
    this.available(key)
    const bucket = this.buckets.get(key)
    if (bucket !== undefined) bucket.points = Math.min(this.maximum, bucket.points + points)
  }
}

/**
 * `limit` requests per key per fixed window that starts at the key's first request: GitHub's
 * primary limit (5,000 an hour per token, reset at `x-ratelimit-reset`).
 */
export class FixedWindowQuota {
  private readonly windows = new Map<string, { start: number; used: number }>()

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly clock: Clock,
  ) {}

  /** The state without counting a request (GitHub's `GET /rate_limit` is free). */
  peek(key: string): { used: number; resetAtMs: number } {
    const window = this.windows.get(key)
    const now = this.clock.now()
    if (window === undefined || now >= window.start + this.windowMs)
      return { used: 0, resetAtMs: now + this.windowMs }
    return { used: window.used, resetAtMs: window.start + this.windowMs }
  }

  /** Counts one request if the quota allows it; returns the state after. */
  take(key: string): { allowed: boolean; used: number; remaining: number; resetAtMs: number } {
    const now = this.clock.now()
    let window = this.windows.get(key)
    if (window === undefined || now >= window.start + this.windowMs) {
      window = { start: now, used: 0 }
      this.windows.set(key, window)
    }
    const allowed = window.used < this.limit
    if (allowed) window.used++
    return {
      allowed,
      used: window.used,
      remaining: this.limit - window.used,
      resetAtMs: window.start + this.windowMs,
    }
  }
}
