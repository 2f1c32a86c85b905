import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { signHmac, signStandard, signStripe } from '@integration-ledger/testing'
import { extractDelivery, parseSourceConfig, verifierForSource } from '../src/index.js'

const stripe = parseSourceConfig({ name: 'billing', kind: 'stripe', secrets: ['whsec_x'] }, {})

describe('extractDelivery', () => {
  it('returns invalid_json for a body that is not JSON, without throwing', () => {
    for (const body of ['', '{', 'not json', Buffer.from([0xff, 0xfe])]) {
      const result = extractDelivery(stripe, body, {}, 0)
      assert.equal(!result.ok && result.reason, 'invalid_json', String(body))
    }
  })

  it('returns validation_failed for JSON that is not an object', () => {
    for (const body of ['[]', '42', 'null', '"evt"']) {
      const result = extractDelivery(stripe, body, {}, 0)
      assert.equal(!result.ok && result.reason, 'validation_failed', body)
    }
  })

  it('accepts a body with a UTF-8 byte order mark', () => {
    const body = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(
        JSON.stringify({
          id: 'evt_1',
          type: 't',
          created: 1,
          data: { object: { object: 'customer', id: 'cus_1' } },
        }),
      ),
    ])
    assert.equal(extractDelivery(stripe, body, {}, 0).ok, true)
  })
})

describe('extractDelivery: what the ledger cannot keep is quarantined with a reason', () => {
  const hmac = parseSourceConfig(
    {
      name: 'ship',
      kind: 'hmac',
      secrets: ['k'],
      hmac: { header: 'X-Signature', algorithm: 'sha256', encoding: 'hex' },
      eventId: '/id',
      eventType: '/type',
      entity: { type: 'shipment', id: '/shipment/id', version: '/shipment/seq' },
    },
    {},
  )
  const body = (id: unknown, seq: unknown, extra = '') =>
    `{"id":"e1","type":"shipment.updated","shipment":{"id":${JSON.stringify(id)},"seq":${JSON.stringify(seq)}}${extra}}`

  it('quarantines versions that are not non-negative safe integers, and takes the largest safe one', () => {
    for (const seq of [1.5, 2 ** 63, -1, '9007199254740993', '-3', '1969-12-31T23:59:59Z']) {
      const result = extractDelivery(hmac, body('s1', seq), {}, 0)
      assert.equal(!result.ok && result.reason, 'validation_failed', String(seq))
      assert.match(!result.ok ? result.message : '', /not a non-negative integer/, String(seq))
    }
    const largest = extractDelivery(hmac, body('s1', Number.MAX_SAFE_INTEGER), {}, 0)
    assert.equal(largest.ok && largest.delivery.entityVersion, Number.MAX_SAFE_INTEGER)
  })

  it('quarantines entity IDs and types longer than the ledger takes', () => {
    assert.equal(extractDelivery(hmac, body('x'.repeat(512), 1), {}, 0).ok, true)
    const long = extractDelivery(hmac, body('x'.repeat(513), 1), {}, 0)
    assert.equal(!long.ok && long.reason, 'validation_failed')
    assert.match(!long.ok ? long.message : '', /513 characters long; the ledger takes at most 512/)
  })

  it('quarantines JSON that PostgreSQL jsonb cannot store as unstorable_json', () => {
    for (const extra of [
      ',"n":"\\u0000"',
      ',"n":"\\udfff"',
      ',"n":1e200000',
      `,"n":${'['.repeat(257)}${']'.repeat(257)}`,
    ]) {
      const result = extractDelivery(hmac, body('s1', 1, extra), {}, 0)
      assert.equal(!result.ok && result.reason, 'unstorable_json', extra.slice(0, 20))
    }
    const hostile = `{"a":${'['.repeat(500_000)}${']'.repeat(500_000)}}`
    assert.equal(((r) => !r.ok && r.reason)(extractDelivery(hmac, hostile, {}, 0)), 'unstorable_json')
  })
})

describe('source → verifier → extraction', () => {
  const NOW_MS = 1_700_000_000_000

  it('verifies and extracts with the verifier built from each source', () => {
    const standardSecret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
    const hmacOptions = {
      header: 'X-Sig',
      algorithm: 'sha512',
      encoding: 'base64',
      timestampHeader: 'X-Sig-Ts',
    } as const
    const cases = [
      {
        source: stripe,
        body: JSON.stringify({
          id: 'evt_1',
          type: 'customer.created',
          created: NOW_MS / 1000,
          data: { object: { object: 'customer', id: 'cus_1' } },
        }),
        sign: (body: string) => signStripe({ body, secret: 'whsec_x', timestampSec: NOW_MS / 1000 }),
      },
      {
        source: parseSourceConfig(
          {
            name: 'std',
            kind: 'standard',
            secrets: [standardSecret],
            toleranceSeconds: 5,
            entity: { type: 'user', id: '/data/id' },
          },
          {},
        ),
        body: JSON.stringify({
          type: 'user.created',
          timestamp: '2023-11-14T22:13:20Z',
          data: { id: 'u_1' },
        }),
        sign: (body: string) =>
          signStandard({ body, secret: standardSecret, msgId: 'msg_1', timestampSec: NOW_MS / 1000 }),
      },
      {
        source: parseSourceConfig(
          {
            name: 'acme',
            kind: 'hmac',
            secrets: ['k'],
            hmac: hmacOptions,
            toleranceSeconds: 5,
            eventId: '/id',
            eventType: '/type',
            entity: { type: 'thing', id: '/thing' },
          },
          {},
        ),
        body: JSON.stringify({ id: 'e1', type: 'thing.made', thing: 't1' }),
        sign: (body: string) =>
          signHmac({ body, secret: 'k', options: hmacOptions, timestampSec: NOW_MS / 1000 }),
      },
    ]
    for (const { source, body, sign } of cases) {
      const verifier = verifierForSource(source)
      const headers = sign(body)
      assert.equal(
        verifier.verify({ rawBody: Buffer.from(body), headers, secrets: source.secrets, nowMs: NOW_MS }).ok,
        true,
        source.name,
      )
      const late = verifier.verify({
        rawBody: Buffer.from(body),
        headers,
        secrets: source.secrets,
        nowMs: NOW_MS + 6000,
      })
      const tolerance = source.kind === 'stripe' ? 300 : 5
      assert.equal(late.ok, tolerance >= 6, `${source.name} uses its configured tolerance`)
      assert.equal(extractDelivery(source, body, headers, NOW_MS).ok, true, source.name)
    }
  })
})
