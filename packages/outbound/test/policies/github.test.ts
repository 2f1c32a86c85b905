import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { readGithubRateLimit } from '@integration-ledger/outbound'

const answer = (status: number, headers: Record<string, string>, body: unknown = {}) => ({
  status,
  headers,
  body,
})

describe('readGithubRateLimit', () => {
  it('reads remaining, limit and the reset in epoch seconds', () => {
    const reading = readGithubRateLimit(
      answer(200, {
        'x-ratelimit-remaining': '4999',
        'x-ratelimit-limit': '5000',
        'x-ratelimit-reset': '1800000000',
      }),
    )
    assert.deepEqual(reading, { remaining: 4999, limit: 5000, resetAtMs: 1_800_000_000_000 })
  })

  it('calls a 403 a rate limit only with a rate-limit signal', () => {
    assert.equal(readGithubRateLimit(answer(403, { 'x-ratelimit-remaining': '0' })).throttled, true)
    assert.equal(readGithubRateLimit(answer(403, { 'retry-after': '30' })).throttled, true)
    assert.equal(
      readGithubRateLimit(answer(403, {}, { message: 'You have exceeded a secondary rate limit' })).throttled,
      true,
    )
    assert.equal(
      readGithubRateLimit(
        answer(403, { 'x-ratelimit-remaining': '12' }, { message: 'Must have admin rights' }),
      ).throttled,
      false,
    )
    assert.equal(readGithubRateLimit(answer(429, {})).throttled, true)
  })
})
