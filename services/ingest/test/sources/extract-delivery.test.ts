import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { extractDelivery, parseSourceConfig, verifierConfigFor } from '../../src/sources/index.js'
import { createVerifier, signHmac, signStandard, signStripe } from '../../src/verifiers/index.js'

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
      const verifier = createVerifier(verifierConfigFor(source))
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
