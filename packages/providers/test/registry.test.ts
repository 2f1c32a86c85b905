import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { signGithub, signHmac, signShopify, signStandard, signStripe } from '@integration-ledger/testing'
import {
  PROVIDERS,
  PROVIDER_KINDS,
  createHmacVerifier,
  createStandardVerifier,
  parseSourceConfig,
  providerFor,
} from '../src/index.js'

const NOW_MS = 1_700_000_000_000
const NOW_S = NOW_MS / 1000
const body = '{"hello":"world"}'
const STANDARD = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const hmacOptions = { header: 'X-Sig', algorithm: 'sha256', encoding: 'hex', prefix: 'v=' } as const
const entity = { type: 'thing', id: '/id' }

describe('providerFor', () => {
  it('has one module per kind, in PROVIDERS order', () => {
    assert.deepEqual(PROVIDER_KINDS, ['stripe', 'github', 'shopify', 'standard', 'hmac'])
    for (const provider of PROVIDERS) assert.equal(providerFor(provider.kind), provider)
  })

  it('refuses a kind no module implements', () => {
    assert.throws(() => providerFor('paypal'), { code: 'CONFIG_INVALID', message: /kind "paypal"/ })
  })

  it('builds a verifier per kind that accepts what the matching signer produces', () => {
    const cases: [Record<string, unknown>, string, Record<string, string>][] = [
      [{ kind: 'stripe' }, 'whsec_a', signStripe({ body, secret: 'whsec_a', timestampSec: NOW_S })],
      [{ kind: 'github' }, 'gh', signGithub({ body, secret: 'gh' })],
      [{ kind: 'shopify' }, 'shp', signShopify({ body, secret: 'shp' })],
      [
        { kind: 'standard', entity },
        STANDARD,
        signStandard({ body, secret: STANDARD, msgId: 'msg_1', timestampSec: NOW_S }),
      ],
      [
        { kind: 'hmac', hmac: hmacOptions, eventId: '/id', eventType: 't', entity },
        'k',
        signHmac({ body, secret: 'k', options: hmacOptions }),
      ],
    ]
    for (const [declaration, secret, headers] of cases) {
      const source = parseSourceConfig({ name: 'src', secrets: [secret], ...declaration }, {})
      const result = providerFor(source.kind)
        .createVerifier(source)
        .verify({
          rawBody: Buffer.from(body),
          headers,
          secrets: source.secrets,
          nowMs: NOW_MS,
        })
      assert.equal(result.ok, true, source.kind)
    }
  })

  it('signs with the current time when no timestamp is given', () => {
    const headers = signStripe({ body, secret: 'whsec_a' })
    const source = parseSourceConfig({ name: 'billing', kind: 'stripe', secrets: ['whsec_a'] }, {})
    const result = providerFor('stripe')
      .createVerifier(source)
      .verify({
        rawBody: Buffer.from(body),
        headers,
        secrets: ['whsec_a'],
        nowMs: Date.now(),
      })
    assert.equal(result.ok, true)
  })

  it('does not confuse schemes: a GitHub signature is no Shopify signature', () => {
    const headers = {
      'x-shopify-hmac-sha256': signGithub({ body, secret: 's' })['x-hub-signature-256'] ?? '',
    }
    const source = parseSourceConfig({ name: 'shop', kind: 'shopify', secrets: ['s'] }, {})
    const result = providerFor('shopify')
      .createVerifier(source)
      .verify({
        rawBody: Buffer.from(body),
        headers,
        secrets: ['s'],
        nowMs: NOW_MS,
      })
    assert.equal(result.ok, false)
  })

  it('validates options when building', () => {
    assert.throws(() => createStandardVerifier({ toleranceSeconds: Number.NaN }), {
      code: 'CONFIG_INVALID',
    })
    assert.throws(() => createHmacVerifier({ ...hmacOptions, header: '' }), {
      code: 'CONFIG_INVALID',
    })
  })
})
