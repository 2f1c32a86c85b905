import assert from 'node:assert/strict'
import { request } from 'node:http'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { MAX_RAW_BODY_BYTES } from '@integration-ledger/sdk'
import { cleanupScope, signGithub, waitFor } from '@integration-ledger/testing'
import { OverloadGuard } from '../../src/guards/overload-guard.js'
import { startHarness } from '../helpers/harness.js'
import { openRawRequest } from '../helpers/raw-http.js'

describe('OverloadGuard', () => {
  it('admits up to maxInFlight requests and admits again once one leaves', () => {
    const guard = new OverloadGuard({ maxInFlight: 2, maxEventLoopDelayMs: 10_000 })
    try {
      assert.deepEqual(guard.enter(), { ok: true })
      assert.deepEqual(guard.enter(), { ok: true })
      assert.deepEqual(guard.enter(), { ok: false, reason: 'more than 2 requests in flight' })
      guard.leave()
      assert.deepEqual(guard.enter(), { ok: true })
      assert.equal(guard.inFlight, 2)
    } finally {
      guard.close()
    }
  })

  it('sheds while the event loop is late, and admits again once it catches up', async () => {
    const guard = new OverloadGuard({ maxInFlight: 100, maxEventLoopDelayMs: 100, sampleIntervalMs: 10 })
    try {
      const blockedUntil = performance.now() + 400
      while (performance.now() < blockedUntil) {
        // a synchronous stall, as a CPU-bound request would cause
      }
      await sleep(1) // the overdue sample runs first and records the lag
      const shed = guard.enter()
      assert.equal(shed.ok, false)
      assert.match(!shed.ok ? shed.reason : '', /^event loop \d+ ms behind$/)
      // Polled rather than timed: on a loaded machine a sample may be late again for a while.
      await waitFor(() => guard.enter().ok, {
        timeoutMs: 5000,
        intervalMs: 20,
        description: 'admitted again',
      })
    } finally {
      guard.close()
    }
  })
})

describe('ingest under overload (real Kafka and PostgreSQL)', () => {
  it('answers 503 OVERLOADED with Retry-After past INGEST_MAX_IN_FLIGHT, and admits again after', async (test) => {
    const t = cleanupScope(test)
    const secret = 'github-overload-secret-0123456789'
    const h = await startHarness(t, {
      sources: ['  - name: gh', '    kind: github', `    secrets: ["${secret}"]`, '    topic: __TOPIC__'],
      env: { INGEST_MAX_IN_FLIGHT: '1' },
    })
    const address = new URL(await h.app.listen({ host: '127.0.0.1', port: 0 }))

    // A sender that announced a body and is slow to send it holds the only slot: admission happens
    // when the request arrives, before its body.
    const slow = request({
      host: address.hostname,
      port: address.port,
      method: 'POST',
      path: '/webhooks/gh',
      headers: { 'content-type': 'application/json', 'content-length': '100' },
    })
    slow.on('error', () => {})
    slow.write('{')
    const slowAnswered = new Promise<number>((resolve) =>
      slow.on('response', (res) => resolve(res.statusCode ?? 0)),
    )
    await sleep(200)

    const shed = await fetch(new URL('/webhooks/gh', address), { method: 'POST', body: '{}' })
    assert.equal(shed.status, 503)
    assert.equal(shed.headers.get('retry-after'), '1')
    const body = (await shed.json()) as { error: string; message: string }
    assert.equal(body.error, 'OVERLOADED')
    assert.match(body.message, /more than 1 requests in flight/)

    slow.end('"x":1}'.padEnd(99, ' '))
    assert.equal(await slowAnswered, 401, 'the slow, unsigned request is answered in its turn')
    const admitted = await fetch(new URL('/webhooks/gh', address), { method: 'POST', body: '{}' })
    assert.equal(admitted.status, 401, 'admitted again (and refused for its missing signature)')
    const metrics = (await h.app.inject({ url: '/metrics' })).body
    assert.match(metrics, /ledger_ingest_rejected_total\{[^}]*reason="overloaded"[^}]*\} 1/)
  })
})

describe('ingest against a slow-loris sender (real Kafka and PostgreSQL)', () => {
  it('cuts off a sender that trickles its body, freeing its in-flight slot for others', async (test) => {
    const t = cleanupScope(test)
    const secret = 'github-slowloris-secret-0123456789'
    const h = await startHarness(t, {
      sources: ['  - name: gh', '    kind: github', `    secrets: ["${secret}"]`, '    topic: __TOPIC__'],
      env: { INGEST_MAX_IN_FLIGHT: '1', HTTP_REQUEST_TIMEOUT_MS: '2000', HTTP_HEADERS_TIMEOUT_MS: '1000' },
    })
    const address = new URL(await h.app.listen({ host: '127.0.0.1', port: 0 }))

    // Headers at once, then one byte of the announced 1000 every second: never idle, never done.
    const loris = await openRawRequest(Number(address.port), [
      'POST /webhooks/gh HTTP/1.1',
      'Host: 127.0.0.1',
      'Content-Type: application/json',
      'Content-Length: 1000',
    ])
    t.after(() => void loris.socket.destroy())
    const drip = setInterval(() => loris.socket.write(' '), 1000)
    t.after(() => clearInterval(drip))
    await waitFor(
      async () =>
        (await fetch(new URL('/webhooks/gh', address), { method: 'POST', body: '{}' })).status === 503,
      { timeoutMs: 5000, intervalMs: 50, description: 'the slow sender holds the only slot' },
    )

    await Promise.race([
      loris.closed,
      sleep(15_000).then(() => assert.fail('the slow sender was never cut off')),
    ])
    assert.match(loris.received(), /^HTTP\/1\.1 408/, 'answered 408 Request Timeout')
    const admitted = await fetch(new URL('/webhooks/gh', address), { method: 'POST', body: '{}' })
    assert.equal(admitted.status, 401, 'the slot is free again (refused only for its missing signature)')
    const metrics = (await h.app.inject({ url: '/metrics' })).body
    assert.match(metrics, /ledger_ingest_in_flight_requests\{[^}]*\} 0/)
  })
})

describe('ingest against senders of many large bodies at once (real Kafka and PostgreSQL)', () => {
  it('bounds the body bytes held in memory, and small deliveries keep getting through', async (test) => {
    const t = cleanupScope(test)
    const secret = 'github-bytes-budget-secret-0123456789'
    const h = await startHarness(t, {
      sources: [
        '  - name: gh',
        '    kind: github',
        `    secrets: ["${secret}"]`,
        '    topic: __TOPIC__',
        `    maxBodyBytes: ${MAX_RAW_BODY_BYTES}`,
      ],
      // The smallest budget allowed: one body of the largest size a source may allow.
      env: {
        INGEST_MAX_IN_FLIGHT_BYTES: String(MAX_RAW_BODY_BYTES),
        INGEST_MAX_BODY_BYTES: String(MAX_RAW_BODY_BYTES),
      },
    })
    const large = 5 * 1024 * 1024
    const address = new URL(await h.app.listen({ host: '127.0.0.1', port: 0 }))
    const port = Number(address.port)

    // Announces 5 MiB and sends a part: the bytes it may still send are held for it.
    const holder = await openRawRequest(port, [
      'POST /webhooks/gh HTTP/1.1',
      'Host: 127.0.0.1',
      'Content-Type: application/json',
      `Content-Length: ${large}`,
    ])
    t.after(() => void holder.socket.destroy())
    holder.socket.write(' '.repeat(1024 * 1024))

    // A second large announced body would exceed the budget: refused before it is read.
    const second = await openRawRequest(port, [
      'POST /webhooks/gh HTTP/1.1',
      'Host: 127.0.0.1',
      'Content-Type: application/json',
      `Content-Length: ${large}`,
    ])
    t.after(() => void second.socket.destroy())
    assert.equal(await second.status(), 503)
    assert.match(second.received(), /"error":"OVERLOADED"/)
    assert.match(second.received(), /\r\nretry-after: \d+\r\n/i)

    // A body without Content-Length is counted as it arrives and cut off at the budget.
    const chunked = await openRawRequest(port, [
      'POST /webhooks/gh HTTP/1.1',
      'Host: 127.0.0.1',
      'Content-Type: application/json',
      'Transfer-Encoding: chunked',
    ])
    t.after(() => void chunked.socket.destroy())
    const chunk = ' '.repeat(1024 * 1024)
    for (let i = 0; i < 5; i++) chunked.socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`)
    assert.equal(await chunked.status(), 503)

    // A small signed delivery fits beside the held bytes.
    const body = JSON.stringify({ action: 'edited', repository: { id: 7, full_name: 'o/r7' } })
    const small = await fetch(new URL('/webhooks/gh', address), {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'repository',
        'x-github-delivery': 'bytes-budget-small',
        ...signGithub({ body, secret }),
      },
    })
    assert.equal(small.status, 202)

    // Once the holder goes away, its bytes are free again.
    holder.socket.destroy()
    await waitFor(
      async () => {
        const again = await fetch(new URL('/webhooks/gh', address), {
          method: 'POST',
          body: ' '.repeat(large),
        })
        return again.status === 401
      },
      { timeoutMs: 5000, intervalMs: 50, description: 'the held bytes are released' },
    )
    const metrics = (await h.app.inject({ url: '/metrics' })).body
    assert.match(metrics, /ledger_ingest_rejected_total\{[^}]*reason="overloaded"[^}]*\} [1-9]/)
    assert.match(metrics, /ledger_ingest_in_flight_body_bytes\{[^}]*\} 0/)
  })
})
