import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseSourceConfig } from '../src/config/parse-source-config.js'
import { keptHeaders } from '../src/kept-headers.js'

/** What a reverse proxy and a browser-ish client add on top of a provider's own headers. */
const NOISE = {
  authorization: 'Bearer secret-token',
  cookie: 'session=abc',
  'x-forwarded-for': '10.0.0.1',
  'content-length': '42',
  'user-agent': 'Provider-Hookshot/1.0',
}

const source = (input: Record<string, unknown>) => parseSourceConfig(input, {})

describe('keptHeaders', () => {
  it('keeps each provider scheme’s own headers and the user agent, never credentials or proxy noise', () => {
    const cases = [
      {
        source: source({ name: 's', kind: 'stripe', secrets: ['whsec_x'] }),
        headers: { 'stripe-signature': 't=1,v1=ab' },
      },
      {
        source: source({ name: 'g', kind: 'github', secrets: ['x'] }),
        headers: {
          'x-hub-signature-256': 'sha256=ab',
          'x-github-event': 'issues',
          'x-github-delivery': 'd-1',
          'x-github-hook-id': '7',
        },
      },
      {
        source: source({ name: 'sh', kind: 'shopify', secrets: ['x'] }),
        headers: {
          'x-shopify-hmac-sha256': 'ab==',
          'x-shopify-topic': 'orders/updated',
          'x-shopify-webhook-id': 'w-1',
          'x-shopify-triggered-at': '2024-01-01T00:00:00Z',
        },
      },
      {
        source: source({
          name: 'std',
          kind: 'standard',
          secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
          entity: { type: 'order', id: '/id' },
        }),
        headers: { 'webhook-id': 'msg_1', 'webhook-timestamp': '1', 'webhook-signature': 'v1,ab' },
      },
    ]
    for (const { source: s, headers } of cases) {
      assert.deepEqual(
        keptHeaders(s, { ...NOISE, ...headers }),
        { 'user-agent': NOISE['user-agent'], ...headers },
        s.kind,
      )
    }
  })

  it('keeps an hmac source’s configured signature and timestamp headers and those its mapping reads', () => {
    const carrier = source({
      name: 'carrier',
      kind: 'hmac',
      secrets: ['x'],
      hmac: {
        header: 'X-Carrier-Signature',
        algorithm: 'sha256',
        encoding: 'hex',
        timestampHeader: 'X-Carrier-Timestamp',
      },
      eventId: 'header:X-Carrier-Event-Id',
      eventType: '/event',
      entity: { type: 'shipment', id: '/id', version: 'header:X-Carrier-Seq' },
    })
    const own = {
      'x-carrier-signature': 'ab',
      'x-carrier-timestamp': '1',
      'x-carrier-event-id': 'e-1',
      'x-carrier-seq': '3',
    }
    assert.deepEqual(keptHeaders(carrier, { ...NOISE, ...own, 'x-carrier-other': 'not read' }), {
      'user-agent': NOISE['user-agent'],
      ...own,
    })
  })
})
