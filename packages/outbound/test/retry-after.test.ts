import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseRetryAfter } from '@integration-ledger/outbound'

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-12-01T10:00:00Z')

  it('reads delay-seconds', () => {
    assert.equal(parseRetryAfter('2', now), 2000)
    assert.equal(parseRetryAfter(' 0 ', now), 0)
  })

  it('reads an HTTP date relative to now, never negative', () => {
    assert.equal(parseRetryAfter('Tue, 01 Dec 2026 10:00:05 GMT', now), 5000)
    assert.equal(parseRetryAfter('Tue, 01 Dec 2026 09:59:00 GMT', now), 0)
  })

  it('ignores absent and unreadable values instead of reading them as "now"', () => {
    assert.equal(parseRetryAfter(undefined, now), undefined)
    assert.equal(parseRetryAfter('', now), undefined)
    assert.equal(parseRetryAfter('-1', now), undefined)
    assert.equal(parseRetryAfter('1.5', now), undefined)
    assert.equal(parseRetryAfter('soon', now), undefined)
  })
})
