import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { signStandard } from '@integration-ledger/testing'
import { createStandardVerifier, decodeStandardSecret } from '../../src/index.js'

// Published test vector of the Standard Webhooks reference libraries.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  msgId: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestampSec: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
}
const NOW_MS = VECTOR.timestampSec * 1000
const verifier = createStandardVerifier()
const rawBody = Buffer.from(VECTOR.body)
const vectorHeaders = {
  'webhook-id': VECTOR.msgId,
  'webhook-timestamp': String(VECTOR.timestampSec),
  'webhook-signature': VECTOR.signature,
}
const OTHER = `whsec_${Buffer.from('another-key-of-32-bytes-length!!').toString('base64')}`

describe('standard webhooks verifier', () => {
  it('verifies the published test vector', () => {
    assert.deepEqual(
      verifier.verify({ rawBody, headers: vectorHeaders, secrets: [VECTOR.secret], nowMs: NOW_MS }),
      {
        ok: true,
        secretIndex: 0,
        timestampMs: NOW_MS,
      },
    )
  })

  it('signs the published vector identically, and accepts the secret without its prefix', () => {
    assert.deepEqual(
      signStandard({
        body: VECTOR.body,
        secret: VECTOR.secret,
        msgId: VECTOR.msgId,
        timestampSec: VECTOR.timestampSec,
      }),
      vectorHeaders,
    )
    const bare = VECTOR.secret.slice('whsec_'.length)
    assert.equal(
      verifier.verify({ rawBody, headers: vectorHeaders, secrets: [bare], nowMs: NOW_MS }).ok,
      true,
    )
  })

  it('rejects a tampered body, a changed webhook-id and a wrong secret', () => {
    const tampered = verifier.verify({
      rawBody: Buffer.from('{"test": 2432232315}'),
      headers: vectorHeaders,
      secrets: [VECTOR.secret],
      nowMs: NOW_MS,
    })
    assert.equal(!tampered.ok && tampered.reason, 'bad_signature')
    const otherId = verifier.verify({
      rawBody,
      headers: { ...vectorHeaders, 'webhook-id': 'msg_other' },
      secrets: [VECTOR.secret],
      nowMs: NOW_MS,
    })
    assert.equal(!otherId.ok && otherId.reason, 'bad_signature')
    const wrong = verifier.verify({ rawBody, headers: vectorHeaders, secrets: [OTHER], nowMs: NOW_MS })
    assert.equal(!wrong.ok && wrong.reason, 'bad_signature')
  })

  it('accepts both secrets during a rotation', () => {
    const secrets = [OTHER, VECTOR.secret]
    const result = verifier.verify({ rawBody, headers: vectorHeaders, secrets, nowMs: NOW_MS })
    assert.equal(result.ok && result.secretIndex, 1)
    const fresh = signStandard({
      body: rawBody,
      secret: OTHER,
      msgId: 'msg_2',
      timestampSec: VECTOR.timestampSec,
    })
    const other = verifier.verify({ rawBody, headers: fresh, secrets, nowMs: NOW_MS })
    assert.equal(other.ok && other.secretIndex, 0)
  })

  it('accepts several space-separated signatures and ignores other versions such as v1a', () => {
    const headers = {
      ...vectorHeaders,
      'webhook-signature': `v1a,aGVsbG8= v1,${Buffer.alloc(32).toString('base64')} ${VECTOR.signature}`,
    }
    assert.equal(verifier.verify({ rawBody, headers, secrets: [VECTOR.secret], nowMs: NOW_MS }).ok, true)
  })

  it('skips entries that do not decode, as the reference libraries do, when another entry is valid', () => {
    const zero = `v1,${Buffer.alloc(32).toString('base64')}`
    const accepted = [
      `v1,not*base64 ${VECTOR.signature}`,
      `v1,aGVsbG8= ${VECTOR.signature}`,
      `garbage ${VECTOR.signature}`,
      `v1, ${VECTOR.signature}`,
      `${VECTOR.signature} v1,`,
      `  ${VECTOR.signature}  `,
    ]
    for (const value of accepted) {
      const headers = { ...vectorHeaders, 'webhook-signature': value }
      const result = verifier.verify({ rawBody, headers, secrets: [VECTOR.secret], nowMs: NOW_MS })
      assert.equal(result.ok, true, value)
    }
    // A decodable v1 entry that does not match is a bad signature, whatever else the header holds.
    const headers = { ...vectorHeaders, 'webhook-signature': `v1,not*base64 ${zero}` }
    const result = verifier.verify({ rawBody, headers, secrets: [VECTOR.secret], nowMs: NOW_MS })
    assert.equal(!result.ok && result.reason, 'bad_signature')
  })

  it('rejects stale and future timestamps', () => {
    for (const offset of [-301, 301]) {
      const result = verifier.verify({
        rawBody,
        headers: vectorHeaders,
        secrets: [VECTOR.secret],
        nowMs: NOW_MS - offset * 1000,
      })
      assert.equal(!result.ok && result.reason, 'timestamp_outside_tolerance', `offset ${offset}`)
    }
  })

  it('rejects missing headers, naming them', () => {
    const result = verifier.verify({
      rawBody,
      headers: { 'webhook-signature': VECTOR.signature },
      secrets: [VECTOR.secret],
      nowMs: NOW_MS,
    })
    assert.ok(!result.ok)
    assert.equal(result.reason, 'missing_header')
    assert.match(result.message, /webhook-id, webhook-timestamp/)
  })

  it('rejects malformed headers', () => {
    const cases: Record<string, string>[] = [
      { 'webhook-timestamp': '1614265330.5' },
      { 'webhook-signature': 'g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' },
      { 'webhook-signature': 'v1a,aGVsbG8=' },
      { 'webhook-signature': 'v1,not*base64' },
      { 'webhook-signature': 'v1,aGVsbG8=' },
    ]
    for (const override of cases) {
      const result = verifier.verify({
        rawBody,
        headers: { ...vectorHeaders, ...override },
        secrets: [VECTOR.secret],
        nowMs: NOW_MS,
      })
      assert.equal(!result.ok && result.reason, 'malformed_header', JSON.stringify(override))
    }
  })

  it('decodes secrets strictly and treats an undecodable configured secret as a config error', () => {
    assert.equal(decodeStandardSecret('whsec_***'), undefined)
    assert.equal(decodeStandardSecret('whsec_'), undefined)
    assert.equal(decodeStandardSecret(VECTOR.secret)?.length, 24)
    assert.throws(
      () => verifier.verify({ rawBody, headers: vectorHeaders, secrets: ['whsec_***'], nowMs: NOW_MS }),
      (err: Error) => {
        assert.equal((err as Error & { code: string }).code, 'CONFIG_INVALID')
        assert.ok(!err.message.includes('***'))
        return true
      },
    )
  })
})
