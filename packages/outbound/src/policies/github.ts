import { defineProviderPolicy, numericHeader, type AnswerView, type RateLimitReading } from '../policy.js'

/**
 * GitHub's REST API rate-limit state (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api):
 * every answer carries `x-ratelimit-limit`, `x-ratelimit-remaining` and `x-ratelimit-reset` (UTC
 * epoch seconds). Primary limit exceeded: 403 or 429 with `x-ratelimit-remaining: 0`, wait until
 * the reset. Secondary limit exceeded: 403 or 429 with a message naming the secondary rate limit,
 * `retry-after` (seconds) when present, otherwise wait at least a minute. So a 403 is a rate limit
 * only when one of those signals is there; a bare 403 is a permission problem.
 */
export function readGithubRateLimit(answer: AnswerView): RateLimitReading {
  const remaining = numericHeader(answer, 'x-ratelimit-remaining')
  const limit = numericHeader(answer, 'x-ratelimit-limit')
  const reset = numericHeader(answer, 'x-ratelimit-reset')
  const reading: RateLimitReading = {}
  if (remaining !== undefined) reading.remaining = remaining
  if (limit !== undefined) reading.limit = limit
  if (reset !== undefined) reading.resetAtMs = reset * 1000
  if (answer.status === 403 || answer.status === 429) {
    const message = (answer.body as { message?: unknown } | undefined)?.message
    reading.throttled =
      answer.status === 429 ||
      remaining === 0 ||
      answer.headers['retry-after'] !== undefined ||
      (typeof message === 'string' && /rate limit/i.test(message))
  }
  return reading
}

/**
 * GitHub's REST API (https://api.github.com) with a token (PAT, app installation or OAuth token).
 * Bucket: 5,000 requests per hour per token (primary limit), with bursts bounded by the secondary
 * limit of 900 points per minute for REST endpoints (a GET costs one point). GitHub takes no
 * idempotency key, so an ambiguous POST (say, a redelivery request) is never retried blindly.
 */
export const githubPolicy = defineProviderPolicy({
  name: 'github',
  baseUrl: 'https://api.github.com',
  limits: { capacity: 900, refillPerSecond: 5_000 / 3_600 },
  retry: { unknownThrottleWaitMs: 60_000 },
  defaultHeaders: {
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
    'user-agent': 'integration-ledger',
  },
  authorize: (secret) => ({ authorization: `Bearer ${secret}` }),
  readRateLimit: readGithubRateLimit,
})
