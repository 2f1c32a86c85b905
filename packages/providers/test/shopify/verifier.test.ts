import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { describe, it } from 'node:test'
import { signShopify } from '@integration-ledger/testing'
import { createShopifyVerifier } from '../../src/index.js'

const NOW_MS = 1_700_000_000_000
const verifier = createShopifyVerifier()
const body = Buffer.from(
  '{"id":820982911946154508,"email":"jon@example.com","updated_at":"2024-01-01T10:00:00-05:00"}',
)

describe('shopify verifier', () => {
  it('verifies a base64 HMAC computed independently of the signer', () => {
    const signature = createHmac('sha256', 'shpss_secret').update(body).digest('base64')
    const result = verifier.verify({
      rawBody: body,
      headers: { 'x-shopify-hmac-sha256': signature },
      secrets: ['shpss_secret'],
      nowMs: NOW_MS,
    })
    assert.deepEqual(result, { ok: true, secretIndex: 0 })
  })

  it('rejects a tampered body and a wrong secret', () => {
    const headers = signShopify({ body, secret: 'shpss_secret' })
    const tampered = verifier.verify({
      rawBody: Buffer.from(body.toString().replace('jon', 'eve')),
      headers,
      secrets: ['shpss_secret'],
      nowMs: NOW_MS,
    })
    assert.equal(!tampered.ok && tampered.reason, 'bad_signature')
    const wrong = verifier.verify({ rawBody: body, headers, secrets: ['other'], nowMs: NOW_MS })
    assert.equal(!wrong.ok && wrong.reason, 'bad_signature')
  })

  it('accepts both secrets during a rotation and several signatures in one header', () => {
    for (const [secret, index] of [
      ['old', 1],
      ['new', 0],
    ] as const) {
      assert.deepEqual(
        verifier.verify({
          rawBody: body,
          headers: signShopify({ body, secret }),
          secrets: ['new', 'old'],
          nowMs: NOW_MS,
        }),
        {
          ok: true,
          secretIndex: index,
        },
      )
    }
    const headers = signShopify({ body, secret: ['x', 'old'] })
    assert.deepEqual(verifier.verify({ rawBody: body, headers, secrets: ['new', 'old'], nowMs: NOW_MS }), {
      ok: true,
      secretIndex: 1,
    })
  })

  it('skips list entries that do not decode when another entry is valid', () => {
    const good = signShopify({ body, secret: 's' })['x-shopify-hmac-sha256'] ?? ''
    for (const value of [`not base64,${good}`, `${good},aGVsbG8=`]) {
      const result = verifier.verify({
        rawBody: body,
        headers: { 'x-shopify-hmac-sha256': value },
        secrets: ['s'],
        nowMs: NOW_MS,
      })
      assert.equal(result.ok, true, value)
    }
  })

  it('rejects missing and malformed headers', () => {
    const missing = verifier.verify({ rawBody: body, headers: {}, secrets: ['s'], nowMs: NOW_MS })
    assert.equal(!missing.ok && missing.reason, 'missing_header')
    const good = signShopify({ body, secret: 's' })['x-shopify-hmac-sha256'] ?? ''
    const hex = createHmac('sha256', 's').update(body).digest('hex')
    for (const value of [good.slice(0, -4), `${good.slice(0, -1)}!`, hex, 'not base64']) {
      const result = verifier.verify({
        rawBody: body,
        headers: { 'x-shopify-hmac-sha256': value },
        secrets: ['s'],
        nowMs: NOW_MS,
      })
      assert.equal(!result.ok && result.reason, 'malformed_header', value)
    }
  })
})
