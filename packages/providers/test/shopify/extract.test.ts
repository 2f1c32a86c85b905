import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { entityTypeFromTopic, extractDelivery, parseSourceConfig } from '../../src/index.js'

const source = parseSourceConfig({ name: 'shop', kind: 'shopify', secrets: ['x'] }, {})
const RECEIVED = 1_700_000_000_000
const headers = {
  'x-shopify-topic': 'orders/updated',
  'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
  'x-shopify-event-id': '98880550-7158-44d4-b7cd-2c97c8a091b5',
  'x-shopify-triggered-at': '2023-03-29T18:00:27.877041743Z',
  'x-shopify-shop-domain': 'example.myshopify.com',
  'x-shopify-api-version': '2024-01',
}
// Written as text on purpose: the id is above 2^53, so JSON.parse cannot represent it exactly.
const ordersUpdated = `{"id":820982911946154508,"admin_graphql_api_id":"gid://shopify/Order/820982911946154508","email":"jon@example.com","created_at":"2021-12-31T19:00:00-05:00","updated_at":"2021-12-31T19:00:00-05:00","financial_status":"voided","name":"#9999","total_price":"403.00","line_items":[{"id":866550311766439020,"quantity":1,"title":"IPod Nano - 8GB"}]}`

describe('shopify extraction', () => {
  it('extracts orders/updated, keeping all digits of a large id', () => {
    assert.deepEqual(extractDelivery(source, ordersUpdated, headers, RECEIVED), {
      ok: true,
      delivery: {
        providerEventId: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
        type: 'orders/updated',
        entityType: 'order',
        entityId: '820982911946154508',
        entityVersion: Date.parse('2022-01-01T00:00:00Z'),
        occurredAtMs: Date.parse('2023-03-29T18:00:27.877Z'),
      },
    })
  })

  it('refuses a large numeric id it cannot represent exactly', () => {
    const result = extractDelivery(
      source,
      '{"id":820982911946154508,"updated_at":"2021-12-31T19:00:00-05:00"}',
      headers,
      RECEIVED,
    )
    assert.ok(!result.ok)
    assert.equal(result.reason, 'validation_failed')
    assert.match(result.message, /2\^53/)
  })

  it('uses small numeric ids, X-Shopify-Event-Id and Triggered-At when the payload has no updated_at', () => {
    const rest = Object.fromEntries(
      Object.entries(headers).filter(([name]) => name !== 'x-shopify-webhook-id'),
    )
    const result = extractDelivery(
      source,
      '{"id":450789469}',
      { ...rest, 'x-shopify-topic': 'customers/delete' },
      RECEIVED,
    )
    assert.ok(result.ok)
    assert.equal(result.delivery.providerEventId, '98880550-7158-44d4-b7cd-2c97c8a091b5')
    assert.equal(result.delivery.entityType, 'customer')
    assert.equal(result.delivery.entityId, '450789469')
    assert.equal(result.delivery.entityVersion, Date.parse('2023-03-29T18:00:27.877Z'))
  })

  it('reports payloads without an id (e.g. inventory_levels) as missing_entity', () => {
    const body =
      '{"inventory_item_id":271878346596884015,"location_id":24826418,"available":6,"updated_at":"2021-12-31T19:00:00-05:00"}'
    const result = extractDelivery(
      source,
      body,
      { ...headers, 'x-shopify-topic': 'inventory_levels/update' },
      RECEIVED,
    )
    assert.equal(!result.ok && result.reason, 'missing_entity')
  })

  it('needs the topic header', () => {
    const result = extractDelivery(source, ordersUpdated, { 'x-shopify-webhook-id': 'x' }, RECEIVED)
    assert.equal(!result.ok && result.reason, 'validation_failed')
  })

  it('singularises topic prefixes', () => {
    assert.deepEqual(
      [
        'orders/updated',
        'inventory_levels/update',
        'companies/create',
        'app/uninstalled',
        'shop/update',
        'fulfillment_events/create',
      ].map(entityTypeFromTopic),
      ['order', 'inventory_level', 'company', 'app', 'shop', 'fulfillment_event'],
    )
  })
})
