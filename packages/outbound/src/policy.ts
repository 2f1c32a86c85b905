import { PermanentError } from '@integration-ledger/core'

/**
 * What the client is told about one provider, as data: everything that differs between providers
 * lives in one `ProviderPolicy`, and one engine (`OutboundClient`) reads it. Functions in a policy
 * are small and pure: they read an answer, they never send anything.
 */

/** An answer as policies see it: status, lower-cased headers and, for JSON answers, the parsed body. */
export interface AnswerView {
  status: number
  /** Header names are lower case; repeated headers are joined with `, `. */
  headers: Readonly<Record<string, string>>
  /** The parsed JSON body, or `undefined` when the body is not JSON. */
  body: unknown
}

/**
 * The provider's rate-limit state as read from one answer. Every field is optional: a provider
 * says what it says, and the client uses what is there.
 */
export interface RateLimitReading {
  /** Requests (or cost points) still allowed in the provider's window or bucket. */
  remaining?: number
  /** Size of that window or bucket. */
  limit?: number
  /** When the window resets, epoch milliseconds (GitHub's `x-ratelimit-reset`). */
  resetAtMs?: number
  /** How fast the provider's bucket refills, units per second (Shopify's `restoreRate`). */
  refillPerSecond?: number
  /**
   * This answer is a rate-limit refusal even if its status does not say so (a GitHub 403, a
   * Shopify GraphQL 200 whose errors say THROTTLED).
   */
  throttled?: boolean
  /** How long to wait before the provider will accept the request again, when the body or headers say. */
  waitMs?: number
}

/** The documented limits that size the client's token bucket for one credential. */
export interface ProviderLimits {
  /** Most units the provider allows at once (burst). */
  capacity: number
  /** Units the provider gives back per second. */
  refillPerSecond: number
  /** What one request costs when the caller does not say. @default 1 */
  defaultCost?: number
}

/** Transport timeouts, all in milliseconds. */
export interface ProviderTimeouts {
  /** TCP (and TLS) connect. @default 5000 */
  connectMs: number
  /** From the request sent to the answer's headers. @default 30000 */
  headersMs: number
  /** Longest silence between two chunks of the answer's body. @default 30000 */
  bodyMs: number
  /** The whole attempt, connect to last byte: bounds an answer that trickles in. @default 60000 */
  attemptMs: number
}

/** When and how long to retry. */
export interface RetrySettings {
  /** Attempts in all, the first one included. @default 5 */
  maxAttempts: number
  /** Backoff cap for the first retry; doubles each retry, full jitter. @default 500 */
  baseDelayMs: number
  /** Largest single backoff. @default 20000 */
  maxDelayMs: number
  /** Most time one call spends waiting between attempts and for the throttle. @default 60000 */
  maxTotalWaitMs: number
  /**
   * Wait after a rate-limit refusal that says nothing about when to come back (GitHub documents
   * "wait at least one minute" for secondary limits). Unset: the exponential backoff.
   */
  unknownThrottleWaitMs?: number
}

/** When the per-provider circuit breaker opens and how long it stays open. */
export interface BreakerSettings {
  /** Consecutive unhealthy attempts (network failures, timeouts, 5xx) that open the breaker. @default 5 */
  consecutiveFailures: number
  /** How long the breaker stays open before it lets one probe through (half-open). @default 30000 */
  halfOpenAfterMs: number
}

/** Everything the outbound client knows about one provider. Build one with `defineProviderPolicy`. */
export interface ProviderPolicy {
  /** Short, stable name used in metrics and logs, e.g. `stripe`. */
  name: string
  /** Where relative request paths are resolved, e.g. `https://api.stripe.com`. */
  baseUrl: string
  timeouts: ProviderTimeouts
  retry: RetrySettings
  breaker: BreakerSettings
  /** Statuses worth another attempt (before the idempotency rules are applied). */
  retryableStatuses: readonly number[]
  /** Sizes the token bucket of each credential. */
  limits: ProviderLimits
  /** Fraction of the documented limits the client allows itself, so it stays below them. @default 0.8 */
  headroom: number
  /** Headers sent on every request (API version, Accept, User-Agent). */
  defaultHeaders: Readonly<Record<string, string>>
  /** The headers that carry the secret. The only place a secret touches a request. */
  authorize(secret: string): Record<string, string>
  /** Reads the rate-limit state (and throttling) from an answer. `Retry-After` is read by the client. */
  readRateLimit(answer: AnswerView): RateLimitReading
  /**
   * Header by which the provider says whether a retry can succeed (`Stripe-Should-Retry`): `true`
   * retries even a status that is not retryable, `false` stops retrying a status that is.
   */
  shouldRetryHeader?: string
  /** Header that carries the idempotency key of a non-idempotent request (Stripe: `Idempotency-Key`). */
  idempotencyKeyHeader?: string
  /**
   * Methods whose requests are idempotent unless the request says otherwise (a GraphQL API reads
   * with POST). @default ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']
   */
  idempotentMethods: readonly string[]
}

/** Defaults every built-in policy starts from (see the `@default` tags above). */
export const DEFAULT_TIMEOUTS: ProviderTimeouts = {
  connectMs: 5_000,
  headersMs: 30_000,
  bodyMs: 30_000,
  attemptMs: 60_000,
}

export const DEFAULT_RETRY: RetrySettings = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 20_000,
  maxTotalWaitMs: 60_000,
}

export const DEFAULT_BREAKER: BreakerSettings = { consecutiveFailures: 5, halfOpenAfterMs: 30_000 }

/** RFC 9110's idempotent methods. */
export const DEFAULT_IDEMPOTENT_METHODS: readonly string[] = ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']

/** 408, 429 and the 5xx that mean "not now" rather than "never". */
export const DEFAULT_RETRYABLE_STATUSES: readonly number[] = [408, 429, 500, 502, 503, 504]

/** What a policy must say; everything else has a default. */
export type ProviderPolicyInput = Pick<ProviderPolicy, 'name' | 'baseUrl' | 'limits' | 'authorize'> &
  Partial<Omit<ProviderPolicy, 'timeouts' | 'retry' | 'breaker'>> & {
    timeouts?: Partial<ProviderTimeouts>
    retry?: Partial<RetrySettings>
    breaker?: Partial<BreakerSettings>
  }

/**
 * Fills the defaults of a policy and checks its figures, so a wrong policy fails at start-up
 * rather than on the first call. Derive variants of an existing policy with `derivePolicy`.
 */
export function defineProviderPolicy(input: ProviderPolicyInput): ProviderPolicy {
  const policy: ProviderPolicy = {
    retryableStatuses: DEFAULT_RETRYABLE_STATUSES,
    headroom: 0.8,
    defaultHeaders: {},
    idempotentMethods: DEFAULT_IDEMPOTENT_METHODS,
    readRateLimit: () => ({}),
    ...input,
    timeouts: { ...DEFAULT_TIMEOUTS, ...input.timeouts },
    retry: { ...DEFAULT_RETRY, ...input.retry },
    breaker: { ...DEFAULT_BREAKER, ...input.breaker },
  }
  const problems: string[] = []
  if (!/^[a-z][a-z0-9_-]*$/.test(policy.name))
    problems.push(`name ${JSON.stringify(policy.name)} must be lower-case kebab`)
  try {
    new URL(policy.baseUrl)
  } catch {
    problems.push(`baseUrl ${JSON.stringify(policy.baseUrl)} is not an absolute URL`)
  }
  const positive: [string, number][] = [
    ['limits.capacity', policy.limits.capacity],
    ['limits.refillPerSecond', policy.limits.refillPerSecond],
    ['timeouts.connectMs', policy.timeouts.connectMs],
    ['timeouts.headersMs', policy.timeouts.headersMs],
    ['timeouts.bodyMs', policy.timeouts.bodyMs],
    ['timeouts.attemptMs', policy.timeouts.attemptMs],
    ['retry.maxAttempts', policy.retry.maxAttempts],
    ['breaker.consecutiveFailures', policy.breaker.consecutiveFailures],
  ]
  for (const [field, value] of positive) {
    if (!(Number.isFinite(value) && value > 0))
      problems.push(`${field} must be a positive number (got ${value})`)
  }
  if (!(policy.headroom > 0 && policy.headroom <= 1))
    problems.push(`headroom must be in (0, 1] (got ${policy.headroom})`)
  if (problems.length > 0) {
    throw new PermanentError(
      'CONFIG_INVALID',
      `Provider policy ${JSON.stringify(input.name)} is invalid: ${problems.join('; ')}; fix the policy passed to the outbound client.`,
    )
  }
  return policy
}

/** Overrides for `derivePolicy`: any field, nested settings field by field. */
export type ProviderPolicyOverrides = Partial<
  Omit<ProviderPolicy, 'timeouts' | 'retry' | 'breaker' | 'limits'>
> & {
  timeouts?: Partial<ProviderTimeouts>
  retry?: Partial<RetrySettings>
  breaker?: Partial<BreakerSettings>
  limits?: Partial<ProviderLimits>
}

/**
 * A variant of a policy: another shop's host, test-mode limits, a fake provider's URL and short
 * timings in tests. Nested settings are merged with the base policy's, not with the defaults.
 */
export function derivePolicy(base: ProviderPolicy, overrides: ProviderPolicyOverrides): ProviderPolicy {
  return defineProviderPolicy({
    ...base,
    ...overrides,
    timeouts: { ...base.timeouts, ...overrides.timeouts },
    retry: { ...base.retry, ...overrides.retry },
    breaker: { ...base.breaker, ...overrides.breaker },
    limits: { ...base.limits, ...overrides.limits },
  })
}

/** Reads a header as a finite number, or `undefined`. */
export function numericHeader(answer: AnswerView, name: string): number | undefined {
  const raw = answer.headers[name]
  if (raw === undefined || raw.trim() === '') return undefined
  const value = Number(raw)
  return Number.isFinite(value) ? value : undefined
}
