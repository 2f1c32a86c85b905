import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cleanupScope, signGithub } from '@integration-ledger/testing'
import { startHarness } from '../helpers/harness.js'
import { openRawRequest } from '../helpers/raw-http.js'

const SECRET = 'github-hostile-secret-0123456789'

describe('POST /webhooks/:source against hostile callers (real Kafka and PostgreSQL)', () => {
  it('refuses early, cheaply, and without spending a real sender’s budget', async (test) => {
    const t = cleanupScope(test)
    const h = await startHarness(t, {
      sources: [
        '  - name: gh',
        '    kind: github',
        `    secrets: ["${SECRET}"]`,
        '    topic: __TOPIC__',
        '    maxBodyBytes: 1024',
        '  - name: limited',
        '    kind: github',
        `    secrets: ["${SECRET}"]`,
        '    topic: __TOPIC__',
        '    rateLimit: { max: 3, windowMs: 3600000 }',
      ],
      // The server-wide limit is far above the source's, as with one source allowing large bodies.
      env: { INGEST_MAX_BODY_BYTES: String(4 * 1024 * 1024) },
    })
    const port = Number(new URL(await h.app.listen({ host: '127.0.0.1', port: 0 })).port)
    const signed = (n: number) => {
      const body = JSON.stringify({ action: 'edited', repository: { id: n, full_name: `o/r${n}` } })
      return {
        body,
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'repository',
          'x-github-delivery': `hostile-${n}`,
          ...signGithub({ body, secret: SECRET }),
        },
      }
    }

    await test.test('unsigned junk does not use up the budget of the source’s real sender', async () => {
      for (let i = 0; i < 10; i++) {
        const junk = await h.app.inject({
          method: 'POST',
          url: '/webhooks/limited',
          headers: { 'content-type': 'application/json' },
          payload: `{"junk":${i}}`,
        })
        assert.equal(junk.statusCode, 401, junk.body)
      }
      const statuses: number[] = []
      for (let n = 1; n <= 4; n++) {
        const { body, headers } = signed(n)
        const res = await h.app.inject({ method: 'POST', url: '/webhooks/limited', headers, payload: body })
        statuses.push(res.statusCode)
        if (res.statusCode === 429) {
          assert.equal(res.json<{ error: string }>().error, 'RATE_LIMITED')
          assert.ok(Number(res.headers['retry-after']) >= 1)
        }
      }
      assert.deepEqual(statuses, [202, 202, 202, 429], 'the budget of 3 is spent by signed deliveries only')
    })

    await test.test('an unknown source is answered before its body is sent', async () => {
      const request = await openRawRequest(port, [
        'POST /webhooks/nope HTTP/1.1',
        'Host: 127.0.0.1',
        'Content-Type: application/json',
        'Content-Length: 5000000',
      ])
      t.after(() => void request.socket.destroy())
      assert.equal(await request.status(), 404)
      assert.match(request.received(), /"error":"UNKNOWN_SOURCE"/)
      // The connection ends instead of ingest reading and discarding the announced 5 MB.
      assert.match(request.received(), /\r\nconnection: close\r\n/i)
      await request.closed
    })

    await test.test('a Content-Length over the source’s limit is answered 413 before the body', async () => {
      const request = await openRawRequest(port, [
        'POST /webhooks/gh HTTP/1.1',
        'Host: 127.0.0.1',
        'Content-Type: application/json',
        'Content-Length: 4096',
      ])
      t.after(() => void request.socket.destroy())
      assert.equal(await request.status(), 413)
      assert.match(request.received(), /"error":"BODY_TOO_LARGE".*limit of 1024 bytes/)
      await request.closed
    })

    await test.test('a chunked body is cut off at the source’s limit while it still arrives', async () => {
      const request = await openRawRequest(port, [
        'POST /webhooks/gh HTTP/1.1',
        'Host: 127.0.0.1',
        'Content-Type: application/json',
        'Transfer-Encoding: chunked',
      ])
      t.after(() => void request.socket.destroy())
      const chunk = 'x'.repeat(800)
      // 1600 bytes, over the 1024 limit; the body never ends.
      request.socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`)
      request.socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`)
      assert.equal(await request.status(), 413)
      assert.match(request.received(), /"error":"BODY_TOO_LARGE"/)
      await request.closed
    })

    await test.test('a signed delivery within the limit is still accepted', async () => {
      const { body, headers } = signed(99)
      const res = await h.app.inject({ method: 'POST', url: '/webhooks/gh', headers, payload: body })
      assert.equal(res.statusCode, 202, res.body)
    })

    await test.test('an empty or malformed Content-Type answers 415 in the documented shape', async () => {
      for (const contentType of ['', 'text', ';;']) {
        const { body, headers } = signed(100)
        const res = await h.app.inject({
          method: 'POST',
          url: '/webhooks/gh',
          headers: { ...headers, 'content-type': contentType },
          payload: body,
        })
        assert.equal(res.statusCode, 415, `${JSON.stringify(contentType)}: ${res.body}`)
        const answer = res.json<{ error: string; message: string }>()
        assert.deepEqual(Object.keys(answer).sort(), ['error', 'message'])
        assert.equal(answer.error, 'UNSUPPORTED_MEDIA_TYPE')
        assert.match(answer.message, /Content-Type/)
      }
      // No Content-Type at all: the body is read as bytes like any other (here: unsigned, so 401).
      const bare = await openRawRequest(port, [
        'POST /webhooks/gh HTTP/1.1',
        'Host: 127.0.0.1',
        'Content-Length: 2',
        'Connection: close',
      ])
      t.after(() => void bare.socket.destroy())
      bare.socket.write('{}')
      assert.equal(await bare.status(), 401, bare.received())
      // Whatever media type a provider sends is read as bytes (GitHub may send a form encoding).
      const { body, headers } = signed(101)
      const form = await h.app.inject({
        method: 'POST',
        url: '/webhooks/gh',
        headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
        payload: body,
      })
      assert.equal(form.statusCode, 202, form.body)
    })
  })
})
