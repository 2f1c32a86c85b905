import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  type VerifierConfig,
  createVerifier,
  signGithub,
  signHmac,
  signShopify,
  signStandard,
  signStripe,
} from '../../src/verifiers/index.js'

const NOW_MS = 1_700_000_000_000
const NOW_S = NOW_MS / 1000
const body = '{"hello":"world"}'
const STANDARD = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const hmacOptions = { header: 'X-Sig', algorithm: 'sha256', encoding: 'hex', prefix: 'v=' } as const

describe('createVerifier', () => {
  it('builds a verifier per kind that accepts what the matching signer produces', () => {
    const cases: [VerifierConfig, string, Record<string, string>][] = [
      [{ kind: 'stripe' }, 'whsec_a', signStripe({ body, secret: 'whsec_a', timestampSec: NOW_S })],
      [{ kind: 'github' }, 'gh', signGithub({ body, secret: 'gh' })],
      [{ kind: 'shopify' }, 'shp', signShopify({ body, secret: 'shp' })],
      [
        { kind: 'standard' },
        STANDARD,
        signStandard({ body, secret: STANDARD, msgId: 'msg_1', timestampSec: NOW_S }),
      ],
      [{ kind: 'hmac', ...hmacOptions }, 'k', signHmac({ body, secret: 'k', options: hmacOptions })],
    ]
    for (const [config, secret, headers] of cases) {
      const result = createVerifier(config).verify({
        rawBody: Buffer.from(body),
        headers,
        secrets: [secret],
        nowMs: NOW_MS,
      })
      assert.equal(result.ok, true, config.kind)
    }
  })

  it('signs with the current time when no timestamp is given', () => {
    const headers = signStripe({ body, secret: 'whsec_a' })
    const result = createVerifier({ kind: 'stripe' }).verify({
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
    const result = createVerifier({ kind: 'shopify' }).verify({
      rawBody: Buffer.from(body),
      headers,
      secrets: ['s'],
      nowMs: NOW_MS,
    })
    assert.equal(result.ok, false)
  })

  it('validates options when building', () => {
    assert.throws(() => createVerifier({ kind: 'standard', toleranceSeconds: Number.NaN }), {
      code: 'CONFIG_INVALID',
    })
    assert.throws(() => createVerifier({ kind: 'hmac', ...hmacOptions, header: '' }), {
      code: 'CONFIG_INVALID',
    })
  })
})
