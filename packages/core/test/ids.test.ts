import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { eventIdFor, isCorrelationId } from '@integration-ledger/core'

describe('eventIdFor', () => {
  it('is stable for the same delivery and differs across sources', () => {
    assert.equal(eventIdFor('billing', 'evt_1'), eventIdFor('billing', 'evt_1'))
    assert.notEqual(eventIdFor('billing', 'evt_1'), eventIdFor('shop', 'evt_1'))
  })

  it('is shaped like a UUID', () => {
    assert.match(
      eventIdFor('s', 'e'),
      /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    )
  })
})

describe('isCorrelationId', () => {
  it('takes UUIDs, trace IDs and short tokens', () => {
    for (const id of [
      '0b0e5c3c-6c0f-4d5e-9d0b-1f2e3d4c5b6a',
      '4bf92f3577b34da6a3ce929d0e0e4736',
      'req_01:a.b-c',
    ])
      assert.equal(isCorrelationId(id), true, id)
  })

  it('refuses empty, oversized and unsafe values', () => {
    for (const id of ['', 'a'.repeat(129), 'has space', 'quote"', 'line\nbreak', 'Bearer sk_live_x y'])
      assert.equal(isCorrelationId(id), false, JSON.stringify(id))
  })
})
