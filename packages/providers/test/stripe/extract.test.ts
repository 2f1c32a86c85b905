import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { extractDelivery, parseSourceConfig } from '../../src/index.js'

const source = parseSourceConfig({ name: 'billing', kind: 'stripe', secrets: ['whsec_x'] }, {})
const RECEIVED = 1_700_000_000_000

// Shape of a real customer.updated event (API version 2023-10-16), trimmed of irrelevant fields.
const customerUpdated = {
  id: 'evt_1NG8Du2eZvKYlo2CUI79vXWy',
  object: 'event',
  api_version: '2023-10-16',
  created: 1686089970,
  data: {
    object: {
      id: 'cus_NffrFeUfNV2Hib',
      object: 'customer',
      address: null,
      balance: 0,
      created: 1680893993,
      currency: null,
      email: 'jennyrosen@example.com',
      livemode: false,
      metadata: {},
      name: 'Jenny Rosen',
    },
    previous_attributes: { email: 'jenny@example.com' },
  },
  livemode: false,
  pending_webhooks: 1,
  request: { id: 'req_8x7Zs1gNLFKw1F', idempotency_key: 'a6e6ee1b-1d2d-4b8a-9a7b-1c1f0f4e2c8f' },
  type: 'customer.updated',
}

describe('stripe extraction', () => {
  it('extracts a customer.updated event', () => {
    const result = extractDelivery(source, JSON.stringify(customerUpdated), {}, RECEIVED)
    assert.deepEqual(result, {
      ok: true,
      delivery: {
        providerEventId: 'evt_1NG8Du2eZvKYlo2CUI79vXWy',
        type: 'customer.updated',
        entityType: 'customer',
        entityId: 'cus_NffrFeUfNV2Hib',
        entityVersion: 1686089970,
        occurredAtMs: 1686089970000,
      },
    })
  })

  it('reports an object without an id (e.g. balance.available) as missing_entity', () => {
    const balance = {
      ...customerUpdated,
      type: 'balance.available',
      data: { object: { object: 'balance', available: [] } },
    }
    const result = extractDelivery(source, JSON.stringify(balance), {}, RECEIVED)
    assert.equal(!result.ok && result.reason, 'missing_entity')
  })

  it('lets the source override the entity mapping field by field', () => {
    const mapped = parseSourceConfig(
      {
        name: 'billing',
        kind: 'stripe',
        secrets: ['x'],
        entity: { type: 'account', id: '/data/object/metadata/account' },
      },
      {},
    )
    const body = {
      ...customerUpdated,
      data: { object: { ...customerUpdated.data.object, metadata: { account: 'acct_9' } } },
    }
    const result = extractDelivery(mapped, JSON.stringify(body), {}, RECEIVED)
    assert.ok(result.ok)
    assert.equal(result.delivery.entityType, 'account')
    assert.equal(result.delivery.entityId, 'acct_9')
    assert.equal(result.delivery.entityVersion, 1686089970)
  })

  it('reports a payload that is not a Stripe event as validation_failed, naming the fields', () => {
    const result = extractDelivery(
      source,
      JSON.stringify({ id: 'evt_1', type: 'x', created: '2023' }),
      {},
      RECEIVED,
    )
    assert.ok(!result.ok)
    assert.equal(result.reason, 'validation_failed')
    assert.match(result.message, /created: .*; data: /)
  })
})
