import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { describe, it } from 'node:test'
import { signHmac } from '@integration-ledger/testing'
import { type HmacVerifierOptions, createHmacVerifier } from '../../src/index.js'

const NOW_MS = 1_700_000_000_000
const NOW_S = NOW_MS / 1000
const body = Buffer.from('{"id":"ev_1","order":{"id":7,"version":3}}')
const plain: HmacVerifierOptions = {
  header: 'X-Signature',
  algorithm: 'sha256',
  encoding: 'hex',
  prefix: 'sha256=',
}
const timed: HmacVerifierOptions = {
  header: 'X-Sig',
  algorithm: 'sha512',
  encoding: 'base64',
  timestampHeader: 'X-Sig-Timestamp',
  toleranceSeconds: 60,
}

describe('generic hmac verifier', () => {
  it('verifies a prefixed hex signature computed independently of the signer', () => {
    const sig = `sha256=${createHmac('sha256', 'k').update(body).digest('hex')}`
    assert.deepEqual(
      createHmacVerifier(plain).verify({
        rawBody: body,
        headers: { 'x-signature': sig },
        secrets: ['k'],
        nowMs: NOW_MS,
      }),
      {
        ok: true,
        secretIndex: 0,
      },
    )
  })

  it('verifies a timestamped sha512 base64 signature over `${t}.${body}`', () => {
    const sig = createHmac('sha512', 'k').update(`${NOW_S}.`).update(body).digest('base64')
    const headers = { 'x-sig': sig, 'x-sig-timestamp': String(NOW_S) }
    assert.deepEqual(
      createHmacVerifier(timed).verify({
        rawBody: body,
        headers,
        secrets: ['k'],
        nowMs: NOW_MS,
      }),
      {
        ok: true,
        secretIndex: 0,
        timestampMs: NOW_MS,
      },
    )
  })

  it('rejects a tampered body, a wrong secret, and a re-timestamped delivery', () => {
    const verifier = createHmacVerifier(timed)
    const headers = signHmac({ body, secret: 'k', options: timed, timestampSec: NOW_S })
    for (const [input, label] of [
      [{ rawBody: Buffer.from('{}'), headers, secrets: ['k'] }, 'body'],
      [{ rawBody: body, headers, secrets: ['other'] }, 'secret'],
      [
        { rawBody: body, headers: { ...headers, 'x-sig-timestamp': String(NOW_S + 1) }, secrets: ['k'] },
        'timestamp',
      ],
    ] as const) {
      const result = verifier.verify({ ...input, nowMs: NOW_MS })
      assert.equal(!result.ok && result.reason, 'bad_signature', label)
    }
  })

  it('accepts both secrets during a rotation and several signatures in one header', () => {
    const verifier = createHmacVerifier(plain)
    for (const [secret, index] of [
      ['old', 1],
      ['new', 0],
    ] as const) {
      const result = verifier.verify({
        rawBody: body,
        headers: signHmac({ body, secret, options: plain }),
        secrets: ['new', 'old'],
        nowMs: NOW_MS,
      })
      assert.deepEqual(result, { ok: true, secretIndex: index })
    }
    const headers = signHmac({ body, secret: ['x', 'old'], options: plain })
    assert.deepEqual(verifier.verify({ rawBody: body, headers, secrets: ['new', 'old'], nowMs: NOW_MS }), {
      ok: true,
      secretIndex: 1,
    })
  })

  it('applies the tolerance on both sides only when a timestamp header is configured', () => {
    const verifier = createHmacVerifier(timed)
    for (const offset of [-61, 61]) {
      const headers = signHmac({ body, secret: 'k', options: timed, timestampSec: NOW_S + offset })
      const result = verifier.verify({ rawBody: body, headers, secrets: ['k'], nowMs: NOW_MS })
      assert.equal(!result.ok && result.reason, 'timestamp_outside_tolerance', `offset ${offset}`)
    }
    const untimed = signHmac({ body, secret: 'k', options: plain })
    assert.equal(
      createHmacVerifier(plain).verify({ rawBody: body, headers: untimed, secrets: ['k'], nowMs: 0 }).ok,
      true,
    )
  })

  it('rejects missing signature or timestamp headers', () => {
    const headers = signHmac({ body, secret: 'k', options: timed, timestampSec: NOW_S })
    for (const drop of ['x-sig', 'x-sig-timestamp']) {
      const partial = { ...headers, [drop]: undefined }
      const result = createHmacVerifier(timed).verify({
        rawBody: body,
        headers: partial,
        secrets: ['k'],
        nowMs: NOW_MS,
      })
      assert.equal(!result.ok && result.reason, 'missing_header', drop)
    }
  })

  it('rejects malformed headers', () => {
    const hex = createHmac('sha256', 'k').update(body).digest('hex')
    for (const value of [
      hex,
      `sha512=${hex}`,
      `sha256=${hex.slice(1)}`,
      `sha256=${createHmac('sha256', 'k').update(body).digest('base64')}`,
    ]) {
      const result = createHmacVerifier(plain).verify({
        rawBody: body,
        headers: { 'x-signature': value },
        secrets: ['k'],
        nowMs: NOW_MS,
      })
      assert.equal(!result.ok && result.reason, 'malformed_header', value)
    }
    const headers = {
      ...signHmac({ body, secret: 'k', options: timed, timestampSec: NOW_S }),
      'x-sig-timestamp': 'yesterday',
    }
    const result = createHmacVerifier(timed).verify({ rawBody: body, headers, secrets: ['k'], nowMs: NOW_MS })
    assert.equal(!result.ok && result.reason, 'malformed_header')
  })

  it('validates options at construction', () => {
    const bad = [
      { ...plain, header: 'X Bad' },
      { ...plain, algorithm: 'md5' },
      { ...plain, prefix: 'a,b' },
      { ...plain, toleranceSeconds: 30 },
      { ...timed, toleranceSeconds: -1 },
    ]
    for (const options of bad) {
      assert.throws(
        () => createHmacVerifier(options as HmacVerifierOptions),
        { code: 'CONFIG_INVALID' },
        JSON.stringify(options),
      )
    }
  })
})
