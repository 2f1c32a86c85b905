import { systemClock, type Clock } from '@integration-ledger/core'
import type { ProviderLimits, RateLimitReading } from './policy.js'

/**
 * Paces the requests of one provider credential below the provider's limit. Callers reserve
 * units before they send and wait the time the bucket names; reservations may drive the balance
 * below zero, so concurrent callers queue in arrival order instead of all waking at once.
 *
 * The bucket starts from the documented limits scaled by `headroom` and follows what the provider
 * reports (see `observe`): it never believes it has more left than the provider says, and holds
 * every caller until a window resets or a `Retry-After` has passed.
 */
export class TokenBucket {
  readonly #headroom: number
  readonly #clock: Clock
  #capacity: number
  #refillPerMs: number
  #tokens: number
  #updatedAt: number
  #holdUntil = 0

  constructor(limits: ProviderLimits, headroom: number, clock: Clock = systemClock) {
    this.#headroom = headroom
    this.#clock = clock
    this.#capacity = limits.capacity * headroom
    this.#refillPerMs = (limits.refillPerSecond * headroom) / 1000
    this.#tokens = this.#capacity
    this.#updatedAt = clock.now()
  }

  /** Units available now (negative while callers are queued). */
  get available(): number {
    this.#refill()
    return this.#tokens
  }

  /** Reserves `cost` units; returns how many milliseconds the caller must wait before sending. */
  reserve(cost: number): number {
    this.#refill()
    this.#tokens -= cost
    const now = this.#clock.now()
    const refillWait = this.#tokens < 0 ? -this.#tokens / this.#refillPerMs : 0
    return Math.ceil(Math.max(refillWait, this.#holdUntil - now, 0))
  }

  /** Gives back a reservation that was not used (the call gave up before sending). */
  refund(cost: number): void {
    this.#refill()
    this.#tokens = Math.min(this.#capacity, this.#tokens + cost)
  }

  /** Holds every caller until `untilMs` (epoch ms): a `Retry-After` applies to the credential, not one call. */
  holdUntil(untilMs: number): void {
    this.#holdUntil = Math.max(this.#holdUntil, untilMs)
  }

  /**
   * Follows the provider's own account of the limit, read from an answer. A window (GitHub's
   * hourly quota, which comes with a reset time) refills whole at its reset, so what is left now
   * is the ceiling, less the headroom, and an empty window holds every caller until the reset; its
   * limit is per window, not a burst size, so it does not resize the bucket. A leaky bucket
   * (Shopify) refills continuously: its size and restore rate are adopted, and the headroom share
   * of its size is kept free.
   */
  observe(reading: RateLimitReading): void {
    this.#refill()
    const windowed = reading.resetAtMs !== undefined
    if (reading.refillPerSecond !== undefined && reading.refillPerSecond > 0) {
      this.#refillPerMs = (reading.refillPerSecond * this.#headroom) / 1000
    }
    if (!windowed && reading.limit !== undefined && reading.limit > 0) {
      this.#capacity = reading.limit * this.#headroom
    }
    if (reading.remaining !== undefined) {
      const allowed =
        windowed || reading.limit === undefined
          ? reading.remaining * this.#headroom
          : reading.remaining - reading.limit * (1 - this.#headroom)
      this.#tokens = Math.min(this.#tokens, allowed)
      if (reading.remaining <= 0 && reading.resetAtMs !== undefined) this.holdUntil(reading.resetAtMs)
    }
  }

  #refill(): void {
    const now = this.#clock.now()
    const elapsed = Math.max(0, now - this.#updatedAt)
    this.#updatedAt = now
    this.#tokens = Math.min(this.#capacity, this.#tokens + elapsed * this.#refillPerMs)
  }
}
