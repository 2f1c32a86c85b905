import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { serviceLoggerOptions } from '@integration-ledger/service-kit'
import Fastify from 'fastify'

/** A real fastify app with the services' request-ID options; `/id` answers the request's ID. */
function app() {
  const { genReqId, requestIdHeader, logController } = serviceLoggerOptions('test', 'silent')
  const server = Fastify({ genReqId, requestIdHeader, logController, logger: false })
  server.get('/id', async (request) => ({ id: request.id }))
  return server
}

async function idFor(headers: Record<string, string>): Promise<string> {
  const server = app()
  try {
    return (await server.inject({ method: 'GET', url: '/id', headers })).json<{ id: string }>().id
  } finally {
    await server.close()
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`

describe('request correlation ID', () => {
  it('takes X-Correlation-Id first, then X-Request-Id, then the traceparent trace ID', async () => {
    assert.equal(
      await idFor({ 'x-correlation-id': 'corr-1', 'x-request-id': 'req-1', traceparent: TRACEPARENT }),
      'corr-1',
    )
    assert.equal(await idFor({ 'x-request-id': 'req-1', traceparent: TRACEPARENT }), 'req-1')
    assert.equal(await idFor({ traceparent: TRACEPARENT }), TRACE_ID)
  })

  it('makes a fresh one when none is given', async () => {
    assert.match(await idFor({}), UUID)
  })

  it('ignores oversized, unsafe and malformed values and falls through to the next', async () => {
    assert.match(await idFor({ 'x-correlation-id': 'a'.repeat(129) }), UUID)
    assert.match(await idFor({ 'x-correlation-id': 'Bearer sk_live_123 4242' }), UUID)
    assert.match(await idFor({ 'x-correlation-id': '"}{"level":60' }), UUID)
    assert.equal(await idFor({ 'x-correlation-id': 'bad value', 'x-request-id': 'req-2' }), 'req-2')
    assert.match(await idFor({ traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` }), UUID)
    assert.match(await idFor({ traceparent: `00-${TRACE_ID.toUpperCase()}-00f067aa0ba902b7-01` }), UUID)
    assert.match(await idFor({ traceparent: 'garbage' }), UUID)
  })
})

describe('request log line', () => {
  it('names the path without the query string, which can carry credentials', async () => {
    const lines: string[] = []
    const { logger, genReqId, requestIdHeader, logController } = serviceLoggerOptions('test', 'info')
    const server = Fastify({
      genReqId,
      requestIdHeader,
      logController,
      logger: { ...(logger as object), stream: { write: (line: string) => void lines.push(line) } },
    })
    server.get('/hook', async () => ({ ok: true }))
    try {
      await server.inject({ method: 'GET', url: '/hook?api_key=sk_live_secret&card=4242424242424242' })
    } finally {
      await server.close()
    }
    const completed = lines.map((l) => JSON.parse(l) as { msg: string; url?: string })
    assert.equal(completed.find((l) => l.msg === 'request completed')?.url, '/hook')
    assert(!lines.join('').includes('sk_live_secret') && !lines.join('').includes('4242'))
  })
})
