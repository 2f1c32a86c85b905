import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { classifyAnswer, classifyTransportError } from '../src/outcome.js'

const answer = (status: number) => ({ status, headers: {}, body: undefined, text: '' })
const coded = (code: string, cause?: unknown) => Object.assign(new Error(code, { cause }), { code })

describe('classifyTransportError', () => {
  it('calls failures that prove no connection was made "failed before processing"', () => {
    for (const [code, reason] of [
      ['ECONNREFUSED', 'connection-refused'],
      ['UND_ERR_CONNECT_TIMEOUT', 'connect-timeout'],
      ['ENOTFOUND', 'dns'],
      ['EAI_AGAIN', 'dns'],
    ] as const) {
      assert.deepEqual(classifyTransportError(coded(code), false), {
        kind: 'failed-before-processing',
        reason,
      })
    }
    // Wrapped, and inside an AggregateError (happy eyeballs tries several addresses).
    const aggregate = Object.assign(new AggregateError([coded('ECONNREFUSED')]), { code: undefined })
    assert.equal(
      classifyTransportError(new Error('fetch failed', { cause: aggregate }), false).kind,
      'failed-before-processing',
    )
  })

  it('calls everything after connecting ambiguous', () => {
    assert.deepEqual(classifyTransportError(coded('UND_ERR_SOCKET'), false), {
      kind: 'ambiguous',
      reason: 'connection-lost',
    })
    assert.deepEqual(classifyTransportError(coded('ECONNRESET'), false), {
      kind: 'ambiguous',
      reason: 'connection-lost',
    })
    assert.deepEqual(classifyTransportError(coded('UND_ERR_HEADERS_TIMEOUT'), false), {
      kind: 'ambiguous',
      reason: 'timeout',
    })
    assert.deepEqual(classifyTransportError(new Error('aborted'), true), {
      kind: 'ambiguous',
      reason: 'timeout',
    })
  })
})

describe('classifyAnswer', () => {
  it('maps statuses to outcomes', () => {
    assert.equal(classifyAnswer(answer(200), {}).kind, 'succeeded')
    assert.equal(classifyAnswer(answer(304), {}).kind, 'succeeded')
    assert.deepEqual(classifyAnswer(answer(429), {}).kind, 'failed-before-processing')
    assert.deepEqual(classifyAnswer(answer(408), {}).kind, 'failed-before-processing')
    assert.equal(classifyAnswer(answer(500), {}).kind, 'ambiguous')
    const forbidden = classifyAnswer(answer(403), {})
    assert.equal(forbidden.kind === 'rejected' && forbidden.credentialsProblem, true)
    const notFound = classifyAnswer(answer(404), {})
    assert.equal(notFound.kind === 'rejected' && notFound.credentialsProblem, false)
  })

  it('lets the policy call a 200 or a 403 a rate limit', () => {
    assert.equal(classifyAnswer(answer(200), { throttled: true }).kind, 'failed-before-processing')
    assert.equal(classifyAnswer(answer(403), { throttled: true }).kind, 'failed-before-processing')
  })
})
