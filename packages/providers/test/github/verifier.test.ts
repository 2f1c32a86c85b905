import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { signGithub } from '@integration-ledger/testing'
import { createGithubVerifier } from '../../src/index.js'

const NOW_MS = 1_700_000_000_000
const verifier = createGithubVerifier()
const body = Buffer.from('{"action":"opened","issue":{"number":1}}')

describe('github verifier', () => {
  it("verifies GitHub's published test vector", () => {
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    const result = verifier.verify({
      rawBody: Buffer.from('Hello, World!'),
      headers: {
        'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
      },
      secrets: ["It's a Secret to Everybody"],
      nowMs: NOW_MS,
    })
    assert.deepEqual(result, { ok: true, secretIndex: 0 })
  })

  it('signs the published vector identically', () => {
    assert.deepEqual(signGithub({ body: 'Hello, World!', secret: "It's a Secret to Everybody" }), {
      'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    })
  })

  it('accepts a fresh delivery and rejects a tampered body or wrong secret', () => {
    const headers = signGithub({ body, secret: 's3cret' })
    assert.deepEqual(verifier.verify({ rawBody: body, headers, secrets: ['s3cret'], nowMs: NOW_MS }), {
      ok: true,
      secretIndex: 0,
    })
    const tampered = verifier.verify({
      rawBody: Buffer.concat([body, Buffer.from(' ')]),
      headers,
      secrets: ['s3cret'],
      nowMs: NOW_MS,
    })
    assert.equal(!tampered.ok && tampered.reason, 'bad_signature')
    const wrong = verifier.verify({ rawBody: body, headers, secrets: ['other'], nowMs: NOW_MS })
    assert.equal(!wrong.ok && wrong.reason, 'bad_signature')
  })

  it('accepts both secrets during a rotation', () => {
    const secrets = ['new', 'old']
    for (const [secret, index] of [
      ['old', 1],
      ['new', 0],
    ] as const) {
      const result = verifier.verify({
        rawBody: body,
        headers: signGithub({ body, secret }),
        secrets,
        nowMs: NOW_MS,
      })
      assert.deepEqual(result, { ok: true, secretIndex: index })
    }
  })

  it('accepts several comma-separated signatures in one header', () => {
    const headers = signGithub({ body, secret: ['unknown', 'old'] })
    assert.deepEqual(verifier.verify({ rawBody: body, headers, secrets: ['new', 'old'], nowMs: NOW_MS }), {
      ok: true,
      secretIndex: 1,
    })
  })

  it('ignores timestamps entirely (GitHub signs none)', () => {
    const headers = signGithub({ body, secret: 's' })
    assert.equal(verifier.verify({ rawBody: body, headers, secrets: ['s'], nowMs: 0 }).ok, true)
  })

  it('rejects missing and malformed headers', () => {
    const missing = verifier.verify({
      rawBody: body,
      headers: { 'x-hub-signature': 'sha1=abc' },
      secrets: ['s'],
      nowMs: NOW_MS,
    })
    assert.equal(!missing.ok && missing.reason, 'missing_header')
    const hex = signGithub({ body, secret: 's' })['x-hub-signature-256']?.slice(7) ?? ''
    for (const value of [
      hex,
      `sha1=${hex}`,
      `sha256=${hex.slice(2)}`,
      `sha256=${hex.slice(2)}xx`,
      'sha256=',
    ]) {
      const result = verifier.verify({
        rawBody: body,
        headers: { 'x-hub-signature-256': value },
        secrets: ['s'],
        nowMs: NOW_MS,
      })
      assert.equal(!result.ok && result.reason, 'malformed_header', value)
    }
  })
})
