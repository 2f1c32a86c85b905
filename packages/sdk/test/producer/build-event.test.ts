import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ENTITY_ID_MAX_LENGTH, ENTITY_TYPE_MAX_LENGTH, LedgerError } from '@integration-ledger/core'
import { type NewEvent, buildEvent } from '@integration-ledger/sdk'

const base: NewEvent = {
  source: 'orders',
  providerEventId: 'o-1',
  type: 'order.updated',
  entityType: 'order',
  entityId: 'o-1',
  entityVersion: 1,
  payload: {},
}

describe('buildEvent', () => {
  it('refuses, before anything is published, what the projector could never apply', () => {
    const refused: [string, Partial<NewEvent>, RegExp][] = [
      ['a fractional version', { entityVersion: 1.5 }, /entityVersion 1\.5/],
      ['a version of 2^63', { entityVersion: 2 ** 63 }, /entityVersion/],
      ['a negative version', { entityVersion: -1 }, /entityVersion -1/],
      ['NaN', { entityVersion: Number.NaN }, /entityVersion/],
      ['a long entity ID', { entityId: 'x'.repeat(ENTITY_ID_MAX_LENGTH + 1) }, /entityId .*512/],
      ['a long entity type', { entityType: 'x'.repeat(ENTITY_TYPE_MAX_LENGTH + 1) }, /entityType .*256/],
    ]
    for (const [what, change, message] of refused) {
      assert.throws(
        () => buildEvent({ ...base, ...change }),
        (err) => err instanceof LedgerError && err.code === 'VALIDATION_FAILED' && !err.retryable,
        what,
      )
      assert.throws(() => buildEvent({ ...base, ...change }), message, what)
    }
  })

  it('takes the largest safe version and the longest entity ID and type', () => {
    const event = buildEvent({
      ...base,
      entityVersion: Number.MAX_SAFE_INTEGER,
      entityId: 'x'.repeat(ENTITY_ID_MAX_LENGTH),
      entityType: 'y'.repeat(ENTITY_TYPE_MAX_LENGTH),
    })
    assert.equal(event.entityVersion, Number.MAX_SAFE_INTEGER)
  })
})
