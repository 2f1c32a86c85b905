import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { eventIdFor } from '@ledger/core'

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
