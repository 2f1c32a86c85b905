import { defineProviderPolicy, type ProviderLimits } from '../policy.js'

/**
 * Stripe's basic rate limiter, per account: 100 read and 100 write operations per second in live
 * mode, 25 of each in test mode (sandboxes) — https://docs.stripe.com/rate-limits. Stripe sends no
 * remaining-quota headers, so the bucket runs on these figures alone, and a 429 is the only signal.
 *
 * A per-second limit may be counted over any one-second window, and a bucket lets through its
 * whole burst plus one second of refill within one second; so the burst and the refill share the
 * limit (a fifth and four fifths) instead of each being the limit, which allowed twice the limit.
 */
export const STRIPE_LIMITS: Readonly<Record<'live' | 'test', ProviderLimits>> = {
  live: { capacity: 20, refillPerSecond: 80 },
  test: { capacity: 5, refillPerSecond: 20 },
}

/**
 * Stripe's API (https://api.stripe.com), live-mode limits; for test keys use
 * `derivePolicy(stripePolicy, { limits: STRIPE_LIMITS.test })`.
 *
 * - Secret key sent as a bearer token.
 * - `Idempotency-Key` on every POST: Stripe stores the first answer of a key once the endpoint
 *   starts executing, so a retry with the same key returns that answer instead of repeating the
 *   operation (https://docs.stripe.com/api/idempotent_requests).
 * - `Stripe-Should-Retry: true|false` overrides the status-based decision
 *   (https://docs.stripe.com/error-low-level), e.g. a 409 lock timeout that may be retried.
 */
export const stripePolicy = defineProviderPolicy({
  name: 'stripe',
  baseUrl: 'https://api.stripe.com',
  limits: STRIPE_LIMITS.live,
  authorize: (secret) => ({ authorization: `Bearer ${secret}` }),
  idempotencyKeyHeader: 'idempotency-key',
  shouldRetryHeader: 'stripe-should-retry',
})
