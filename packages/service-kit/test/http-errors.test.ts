import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LedgerError, PermanentError, TransientError } from '@integration-ledger/core'
import { installErrorHandler } from '@integration-ledger/service-kit'
import Fastify from 'fastify'

/** A real fastify app whose routes throw what the services throw. */
async function appThrowing() {
  const app = Fastify({ logger: false, genReqId: () => 'corr-1' })
  installErrorHandler(app)
  const internal = 'broker kafka-3.internal:9092 topic tenant.secret.events SELECT * FROM deliveries'
  app.post('/topic', async () => {
    throw new LedgerError('TOPIC_NOT_FOUND', `Kafka has no topic tenant.secret.events (${internal})`)
  })
  app.post('/broker', async () => {
    throw new TransientError('BROKER_UNAVAILABLE', `Kafka produce failed: ${internal}`, {
      retryAfterMs: 5000,
    })
  })
  app.post('/crash', async () => {
    throw new Error(internal)
  })
  app.post('/overloaded', async () => {
    throw new TransientError(
      'OVERLOADED',
      'Ingest is overloaded (more than 1 requests in flight); retry shortly.',
    )
  })
  app.post('/signature', async () => {
    throw new PermanentError('SIGNATURE_REJECTED', 'No signature matches.', {
      details: { reason: 'bad_signature' },
    })
  })
  app.post('/forbidden', async () => {
    throw new PermanentError('FORBIDDEN', 'Client "orders" may not write source "billing".')
  })
  app.post('/limited', { bodyLimit: 10 }, async () => ({ ok: true }))
  await app.ready()
  return { app, internal }
}

describe('installErrorHandler: one mapping from error to answer', () => {
  it('answers 5xx with the code, a public message and the correlation ID, never what a lower layer said', async (t) => {
    const { app, internal } = await appThrowing()
    t.after(() => app.close())
    for (const [url, status, code] of [
      ['/topic', 500, 'TOPIC_NOT_FOUND'],
      ['/broker', 503, 'BROKER_UNAVAILABLE'],
      ['/crash', 500, 'INTERNAL'],
    ] as const) {
      const res = await app.inject({ method: 'POST', url })
      assert.equal(res.statusCode, status, url)
      const body = res.json<{ error: string; message: string; correlationId: string }>()
      assert.equal(body.error, code)
      for (const secret of ['kafka-3', '9092', 'tenant.secret', 'SELECT']) {
        assert.ok(!res.body.includes(secret), `${url} does not reveal ${secret}: ${res.body}`)
      }
      assert.equal(body.correlationId, 'corr-1')
      assert.match(body.message, /Correlation ID: corr-1\./)
    }
    const broker = await app.inject({ method: 'POST', url: '/broker' })
    assert.equal(broker.headers['retry-after'], '5')
    assert.match(broker.json<{ message: string }>().message, /retry/i)
    assert.ok(internal.length > 0)
  })

  it('keeps messages written for the caller: 4xx, OVERLOADED, and the reason of a rejection', async (t) => {
    const { app } = await appThrowing()
    t.after(() => app.close())
    const overloaded = await app.inject({ method: 'POST', url: '/overloaded' })
    assert.equal(overloaded.statusCode, 503)
    assert.match(overloaded.json<{ message: string }>().message, /more than 1 requests in flight/)
    const signature = await app.inject({ method: 'POST', url: '/signature' })
    assert.equal(signature.statusCode, 401)
    assert.deepEqual(signature.json(), {
      error: 'SIGNATURE_REJECTED',
      message: 'No signature matches.',
      reason: 'bad_signature',
    })
    const forbidden = await app.inject({ method: 'POST', url: '/forbidden' })
    assert.equal(forbidden.statusCode, 403)
    assert.equal(forbidden.json<{ error: string }>().error, 'FORBIDDEN')
  })

  it("answers fastify's own errors and unknown routes in the same shape", async (t) => {
    const { app } = await appThrowing()
    t.after(() => app.close())
    const cases = [
      { headers: { 'content-type': '' }, payload: '{}', status: 415, error: 'UNSUPPORTED_MEDIA_TYPE' },
      {
        headers: { 'content-type': 'application/json' },
        payload: '{"a":"0123456789"}',
        status: 413,
        error: 'BODY_TOO_LARGE',
      },
      {
        headers: { 'content-type': 'application/json' },
        payload: '{',
        status: 400,
        error: 'VALIDATION_FAILED',
      },
    ]
    for (const c of cases) {
      const res = await app.inject({
        method: 'POST',
        url: '/limited',
        headers: c.headers,
        payload: c.payload,
      })
      assert.equal(res.statusCode, c.status, res.body)
      const body = res.json<{ error: string; message: string }>()
      assert.deepEqual(Object.keys(body).sort(), ['error', 'message'])
      assert.equal(body.error, c.error)
      assert.doesNotMatch(body.message, /^FST_/)
    }
    const none = await app.inject({ method: 'GET', url: '/nowhere?x=1' })
    assert.equal(none.statusCode, 404)
    assert.equal(none.json<{ error: string }>().error, 'NOT_FOUND')
  })
})
