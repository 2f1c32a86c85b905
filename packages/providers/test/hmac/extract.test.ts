import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { extractDelivery, parseSourceConfig } from '../../src/index.js'

const RECEIVED = 1_700_000_000_000
const base = {
  name: 'acme',
  kind: 'hmac',
  secrets: ['k'],
  hmac: { header: 'X-Acme-Signature', algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=' },
  eventType: '/event',
  entity: { type: 'shipment', id: '/shipment/id', version: '/shipment/seq' },
}
const body = JSON.stringify({
  id: 'ev_77',
  event: 'shipment.delivered',
  at: 1700000123,
  shipment: { id: 5501, seq: 4 },
})

describe('hmac extraction', () => {
  it('reads the event id from a pointer and the occurred-at time in unix seconds', () => {
    const source = parseSourceConfig({ ...base, eventId: '/id', occurredAt: '/at' }, {})
    assert.deepEqual(extractDelivery(source, body, {}, RECEIVED), {
      ok: true,
      delivery: {
        providerEventId: 'ev_77',
        type: 'shipment.delivered',
        entityType: 'shipment',
        entityId: '5501',
        entityVersion: 4,
        occurredAtMs: 1700000123000,
      },
    })
  })

  it('reads the event id from a header', () => {
    const source = parseSourceConfig({ ...base, eventId: 'header:X-Event-Id' }, {})
    const result = extractDelivery(source, body, { 'x-event-id': 'hdr-1' }, RECEIVED)
    assert.equal(result.ok && result.delivery.providerEventId, 'hdr-1')
    assert.equal(result.ok && result.delivery.occurredAtMs, RECEIVED)
    const missing = extractDelivery(source, body, {}, RECEIVED)
    assert.equal(!missing.ok && missing.reason, 'validation_failed')
  })

  it('reports a missing entity and an unusable occurred-at value', () => {
    const source = parseSourceConfig({ ...base, eventId: '/id', occurredAt: '/at' }, {})
    const missing = extractDelivery(
      source,
      JSON.stringify({ id: 'e', event: 't', shipment: {} }),
      {},
      RECEIVED,
    )
    assert.equal(!missing.ok && missing.reason, 'missing_entity')
    const badTime = extractDelivery(
      source,
      JSON.stringify({ id: 'e', event: 't', at: 'soon', shipment: { id: 1, seq: 1 } }),
      {},
      RECEIVED,
    )
    assert.equal(!badTime.ok && badTime.reason, 'validation_failed')
  })
})
