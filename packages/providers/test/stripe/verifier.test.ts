import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { signStripe } from '@integration-ledger/testing'
import { createStripeVerifier } from '../../src/index.js'

const NOW_MS = 1_700_000_000_000
const NOW_S = NOW_MS / 1000
const OLD = 'whsec_old_secret_value'
const NEW = 'whsec_new_secret_value'
const body = Buffer.from('{"id":"evt_1","object":"event","type":"customer.updated"}')
const verifier = createStripeVerifier()

describe('stripe verifier', () => {
  it('matches a signature computed independently of the signer (t.body, whsec used as utf8)', async () => {
    const { createHmac } = await import('node:crypto')
    const sig = createHmac('sha256', NEW).update(`${NOW_S}.${body.toString()}`).digest('hex')
    const result = verifier.verify({
      rawBody: body,
      headers: { 'stripe-signature': `t=${NOW_S},v1=${sig}` },
      secrets: [NEW],
      nowMs: NOW_MS,
    })
    assert.deepEqual(result, { ok: true, secretIndex: 0, timestampMs: NOW_MS })
  })

  it('accepts a freshly signed delivery', () => {
    const headers = signStripe({ body, secret: NEW, timestampSec: NOW_S })
    assert.deepEqual(verifier.verify({ rawBody: body, headers, secrets: [NEW], nowMs: NOW_MS }), {
      ok: true,
      secretIndex: 0,
      timestampMs: NOW_MS,
    })
  })

  it('rejects a tampered body', () => {
    const headers = signStripe({ body, secret: NEW, timestampSec: NOW_S })
    const tampered = Buffer.from(body.toString().replace('customer', 'invoice'))
    const result = verifier.verify({ rawBody: tampered, headers, secrets: [NEW], nowMs: NOW_MS })
    assert.equal(result.ok, false)
    assert.equal(!result.ok && result.reason, 'bad_signature')
  })

  it('rejects a wrong secret without revealing the expected signature', () => {
    const headers = signStripe({ body, secret: 'whsec_attacker', timestampSec: NOW_S })
    const result = verifier.verify({ rawBody: body, headers, secrets: [NEW], nowMs: NOW_MS })
    assert.ok(!result.ok)
    assert.equal(result.reason, 'bad_signature')
    const expectedHex = signStripe({ body, secret: NEW, timestampSec: NOW_S })['stripe-signature']?.split(
      'v1=',
    )[1]
    assert.ok(expectedHex !== undefined && !result.message.includes(expectedHex))
    assert.ok(!result.message.includes(NEW))
  })

  it('accepts old- and new-secret signatures during a rotation and says which matched', () => {
    for (const [secret, index] of [
      [OLD, 1],
      [NEW, 0],
    ] as const) {
      const headers = signStripe({ body, secret, timestampSec: NOW_S })
      const result = verifier.verify({ rawBody: body, headers, secrets: [NEW, OLD], nowMs: NOW_MS })
      assert.deepEqual(result, { ok: true, secretIndex: index, timestampMs: NOW_MS })
    }
  })

  it('accepts a header with several v1 signatures (Stripe signs with each active secret) and ignores v0', () => {
    const both = signStripe({ body, secret: ['whsec_unknown', OLD], timestampSec: NOW_S })['stripe-signature']
    const headers = { 'stripe-signature': `${both},v0=deadbeef` }
    assert.deepEqual(verifier.verify({ rawBody: body, headers, secrets: [NEW, OLD], nowMs: NOW_MS }), {
      ok: true,
      secretIndex: 1,
      timestampMs: NOW_MS,
    })
  })

  it('reports the lowest secret index when several secrets match', () => {
    const headers = signStripe({ body, secret: [OLD, NEW], timestampSec: NOW_S })
    const result = verifier.verify({ rawBody: body, headers, secrets: [NEW, OLD], nowMs: NOW_MS })
    assert.equal(result.ok && result.secretIndex, 0)
  })

  it('rejects stale and future timestamps, clamped on both sides', () => {
    for (const offset of [-301, 301]) {
      const headers = signStripe({ body, secret: NEW, timestampSec: NOW_S + offset })
      const result = verifier.verify({ rawBody: body, headers, secrets: [NEW], nowMs: NOW_MS })
      assert.equal(!result.ok && result.reason, 'timestamp_outside_tolerance', `offset ${offset}`)
    }
    for (const offset of [-300, 300]) {
      const headers = signStripe({ body, secret: NEW, timestampSec: NOW_S + offset })
      assert.equal(
        verifier.verify({ rawBody: body, headers, secrets: [NEW], nowMs: NOW_MS }).ok,
        true,
        `offset ${offset}`,
      )
    }
  })

  it('honours a configured tolerance', () => {
    const strict = createStripeVerifier({ toleranceSeconds: 10 })
    const headers = signStripe({ body, secret: NEW, timestampSec: NOW_S - 11 })
    const result = strict.verify({ rawBody: body, headers, secrets: [NEW], nowMs: NOW_MS })
    assert.equal(!result.ok && result.reason, 'timestamp_outside_tolerance')
    assert.throws(() => createStripeVerifier({ toleranceSeconds: 0 }), { code: 'CONFIG_INVALID' })
  })

  it('rejects a missing header', () => {
    const result = verifier.verify({ rawBody: body, headers: {}, secrets: [NEW], nowMs: NOW_MS })
    assert.equal(!result.ok && result.reason, 'missing_header')
    const empty = verifier.verify({
      rawBody: body,
      headers: { 'stripe-signature': '  ' },
      secrets: [NEW],
      nowMs: NOW_MS,
    })
    assert.equal(!empty.ok && empty.reason, 'missing_header')
  })

  it('skips a v1 value that is not a hex digest when another v1 value is valid', () => {
    const good = signStripe({ body, secret: NEW, timestampSec: NOW_S })['stripe-signature'] ?? ''
    const sig = good.split('v1=')[1] ?? ''
    for (const value of [`t=${NOW_S},v1=zz,v1=${sig}`, `t=${NOW_S},v1=${sig},v1=${sig.slice(0, 62)}`]) {
      const result = verifier.verify({
        rawBody: body,
        headers: { 'stripe-signature': value },
        secrets: [NEW],
        nowMs: NOW_MS,
      })
      assert.equal(result.ok, true, value)
    }
  })

  it('rejects malformed headers', () => {
    const good = signStripe({ body, secret: NEW, timestampSec: NOW_S })['stripe-signature'] ?? ''
    const sig = good.split('v1=')[1] ?? ''
    const malformed = [
      'garbage',
      `v1=${sig}`,
      `t=${NOW_S}`,
      `t=${NOW_S},v0=${sig}`,
      `t=abc,v1=${sig}`,
      `t=${NOW_S},t=${NOW_S},v1=${sig}`,
      `t=${NOW_S},v1=${sig.slice(0, 62)}`,
      `t=${NOW_S},v1=${sig.slice(0, 62)}zz`,
      `t=${NOW_S},${Array.from({ length: 17 }, () => `v1=${sig}`).join(',')}`,
    ]
    for (const value of malformed) {
      const result = verifier.verify({
        rawBody: body,
        headers: { 'stripe-signature': value },
        secrets: [NEW],
        nowMs: NOW_MS,
      })
      assert.equal(!result.ok && result.reason, 'malformed_header', value)
    }
    const repeated = verifier.verify({
      rawBody: body,
      headers: { 'stripe-signature': [good, good] },
      secrets: [NEW],
      nowMs: NOW_MS,
    })
    assert.equal(!repeated.ok && repeated.reason, 'malformed_header')
  })

  it('accepts upper-case hex', () => {
    const value = (signStripe({ body, secret: NEW, timestampSec: NOW_S })['stripe-signature'] ?? '').replace(
      /v1=(\w+)/,
      (_m, hex: string) => `v1=${hex.toUpperCase()}`,
    )
    assert.equal(
      verifier.verify({
        rawBody: body,
        headers: { 'stripe-signature': value },
        secrets: [NEW],
        nowMs: NOW_MS,
      }).ok,
      true,
    )
  })

  it('throws a config error when no secret is configured', () => {
    const headers = signStripe({ body, secret: NEW, timestampSec: NOW_S })
    assert.throws(() => verifier.verify({ rawBody: body, headers, secrets: [], nowMs: NOW_MS }), {
      code: 'CONFIG_INVALID',
    })
  })
})
