import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { signGithub, signStripe } from '@integration-ledger/testing'
import { auditEventSignature, parseSourceConfig } from '../src/index.js'

const RECEIVED_MS = 1_700_000_000_000
const A = 'whsec_secret_a_0123456789'
const B = 'whsec_secret_b_0123456789'
const C = 'whsec_secret_c_0123456789'
const body = Buffer.from('{"id":"evt_1","object":"event","type":"customer.updated"}')
const stripe = parseSourceConfig({ name: 'billing', kind: 'stripe', secrets: [A, B, C] }, {})
const stored = (headers: Record<string, string>, rawBody = body) => ({
  rawBody,
  headers,
  receivedAt: new Date(RECEIVED_MS),
})

describe('auditEventSignature', () => {
  it('names every secret that signed a delivery signed during a rotation, and judges the timestamp at a given time', () => {
    const event = stored(signStripe({ body, secret: [B, C], timestampSec: RECEIVED_MS / 1000 }))
    assert.deepEqual(auditEventSignature(event, stripe), {
      signedBy: [1, 2],
      timestamp: 'within',
      timestampMs: RECEIVED_MS,
    })
    // A day later the signature still matches; only the timestamp is outside the tolerance.
    assert.deepEqual(auditEventSignature(event, stripe, RECEIVED_MS + 86_400_000), {
      signedBy: [1, 2],
      timestamp: 'outside',
      timestampMs: RECEIVED_MS,
    })
  })

  it('reports a tampered body or an unknown secret with the verifier`s reason', () => {
    const headers = signStripe({ body, secret: A, timestampSec: RECEIVED_MS / 1000 })
    const tampered = auditEventSignature(stored(headers, Buffer.from('{"id":"evt_2"}')), stripe)
    assert.deepEqual(tampered.signedBy, [])
    assert.equal(tampered.failure?.reason, 'bad_signature')
    const unknown = stored(signStripe({ body, secret: 'whsec_other', timestampSec: RECEIVED_MS / 1000 }))
    assert.equal(auditEventSignature(unknown, stripe).failure?.reason, 'bad_signature')
    assert.equal(auditEventSignature(stored({}), stripe).failure?.reason, 'missing_header')
  })

  it('says "unsigned" for kinds that sign no timestamp', () => {
    const github = parseSourceConfig({ name: 'repos', kind: 'github', secrets: [A, B] }, {})
    const event = stored(signGithub({ body, secret: B }))
    assert.deepEqual(auditEventSignature(event, github, RECEIVED_MS + 86_400_000), {
      signedBy: [1],
      timestamp: 'unsigned',
    })
  })
})
