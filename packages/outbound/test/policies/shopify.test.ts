import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { readShopifyRestRateLimit } from '@integration-ledger/outbound'

describe('readShopifyRestRateLimit', () => {
  it('reads X-Shopify-Shop-Api-Call-Limit "used/size" as what is left', () => {
    const reading = readShopifyRestRateLimit({
      status: 200,
      headers: { 'x-shopify-shop-api-call-limit': '32/40' },
      body: undefined,
    })
    assert.deepEqual(reading, { remaining: 8, limit: 40 })
  })

  it('ignores a missing or malformed header', () => {
    assert.deepEqual(readShopifyRestRateLimit({ status: 200, headers: {}, body: undefined }), {})
    assert.deepEqual(
      readShopifyRestRateLimit({
        status: 200,
        headers: { 'x-shopify-shop-api-call-limit': 'lots' },
        body: undefined,
      }),
      {},
    )
  })
})
