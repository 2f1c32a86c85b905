import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { readShopifyGraphqlRateLimit } from '@integration-ledger/outbound'

const throttleStatus = { maximumAvailable: 1000, currentlyAvailable: 40, restoreRate: 50 }

describe('readShopifyGraphqlRateLimit', () => {
  it('reads extensions.cost.throttleStatus of an ordinary answer', () => {
    const reading = readShopifyGraphqlRateLimit({
      status: 200,
      headers: {},
      body: {
        data: {},
        extensions: { cost: { requestedQueryCost: 12, actualQueryCost: 10, throttleStatus } },
      },
    })
    assert.deepEqual(reading, { remaining: 40, limit: 1000, refillPerSecond: 50 })
  })

  it('reads THROTTLED in a 200 answer and the time the missing points take to restore', () => {
    const reading = readShopifyGraphqlRateLimit({
      status: 200,
      headers: {},
      body: {
        errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED' } }],
        extensions: { cost: { requestedQueryCost: 140, actualQueryCost: null, throttleStatus } },
      },
    })
    assert.equal(reading.throttled, true)
    assert.equal(reading.waitMs, 2000, '(140 - 40) points at 50 per second')
  })

  it('does not call other GraphQL errors throttling', () => {
    const reading = readShopifyGraphqlRateLimit({
      status: 200,
      headers: {},
      body: { errors: [{ message: 'Field does not exist', extensions: { code: 'undefinedField' } }] },
    })
    assert.equal(reading.throttled, undefined)
  })
})
