import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { extractDelivery, parseSourceConfig } from '../../src/index.js'

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const RECEIVED = 1_700_000_000_000
const source = parseSourceConfig(
  {
    name: 'std',
    kind: 'standard',
    secrets: [SECRET],
    entity: { type: 'invoice', id: '/data/id', version: '/data/revision' },
  },
  {},
)
const headers = {
  'webhook-id': 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
  'webhook-timestamp': '1674087231',
  'webhook-signature': 'v1,ignored-here',
}
// The payload structure the spec recommends: { type, timestamp, data }.
const payload = {
  type: 'invoice.paid',
  timestamp: '2022-11-03T20:26:10.344522Z',
  data: { id: 'inv_1234', revision: '17', amount: 4200, currency: 'EUR' },
}

describe('standard webhooks extraction', () => {
  it('extracts per the configured mapping, with a numeric-string version', () => {
    assert.deepEqual(extractDelivery(source, JSON.stringify(payload), headers, RECEIVED), {
      ok: true,
      delivery: {
        providerEventId: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
        type: 'invoice.paid',
        entityType: 'invoice',
        entityId: 'inv_1234',
        entityVersion: 17,
        occurredAtMs: Date.parse('2022-11-03T20:26:10.344Z'),
      },
    })
  })

  it('accepts ISO-date versions and defaults the version to the occurred-at time', () => {
    const iso = parseSourceConfig(
      {
        name: 's',
        kind: 'standard',
        secrets: [SECRET],
        entity: { type: '/type', id: '/data/id', version: '/data/at' },
      },
      {},
    )
    const result = extractDelivery(
      iso,
      JSON.stringify({ ...payload, data: { id: 'x', at: '2024-05-01T00:00:00Z' } }),
      headers,
      RECEIVED,
    )
    assert.equal(result.ok && result.delivery.entityVersion, Date.parse('2024-05-01T00:00:00Z'))
    assert.equal(result.ok && result.delivery.entityType, 'invoice.paid')

    const noVersion = parseSourceConfig(
      { name: 's', kind: 'standard', secrets: [SECRET], entity: { type: 'invoice', id: '/data/id' } },
      {},
    )
    const untimed = { type: payload.type, data: payload.data }
    const fallback = extractDelivery(noVersion, JSON.stringify(untimed), headers, RECEIVED)
    assert.equal(fallback.ok && fallback.delivery.entityVersion, 1674087231000)
    assert.equal(fallback.ok && fallback.delivery.occurredAtMs, 1674087231000)
  })

  it('reports a missing entity id, a bad version and a bad payload', () => {
    const missing = extractDelivery(
      source,
      JSON.stringify({ ...payload, data: { revision: 1 } }),
      headers,
      RECEIVED,
    )
    assert.ok(!missing.ok)
    assert.equal(missing.reason, 'missing_entity')
    assert.match(missing.message, /"\/data\/id"/)

    const badVersion = extractDelivery(
      source,
      JSON.stringify({ ...payload, data: { id: 'x', revision: 'seventeen' } }),
      headers,
      RECEIVED,
    )
    assert.equal(!badVersion.ok && badVersion.reason, 'validation_failed')

    const missingVersion = extractDelivery(
      source,
      JSON.stringify({ ...payload, data: { id: 'x' } }),
      headers,
      RECEIVED,
    )
    assert.equal(!missingVersion.ok && missingVersion.reason, 'missing_entity')

    const noType = extractDelivery(source, JSON.stringify({ data: payload.data }), headers, RECEIVED)
    assert.equal(!noType.ok && noType.reason, 'validation_failed')

    const badTimestamp = extractDelivery(
      source,
      JSON.stringify({ ...payload, timestamp: 'yesterday' }),
      headers,
      RECEIVED,
    )
    assert.equal(!badTimestamp.ok && badTimestamp.reason, 'validation_failed')

    const objectId = extractDelivery(
      source,
      JSON.stringify({ ...payload, data: { id: { nested: 1 }, revision: 1 } }),
      headers,
      RECEIVED,
    )
    assert.equal(!objectId.ok && objectId.reason, 'validation_failed')
  })
})
