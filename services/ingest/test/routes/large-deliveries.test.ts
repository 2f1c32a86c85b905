import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cleanupScope, signGithub, stackEnv, waitFor } from '@integration-ledger/testing'
import { Kafka, logLevel } from 'kafkajs'
import { MAX_RAW_BODY_BYTES } from '@integration-ledger/sdk'
import type { FastifyInstance } from 'fastify'
import { postGithubDelivery, startHarness } from '../helpers/harness.js'

const SECRET = 'github-large-deliveries-secret-01'
const MAX_BODY_BYTES = 1024 * 1024
/** A topic limit lowered by hand below the source's body limit. */
const TOPIC_LIMIT = 100_000

/**
 * A GitHub `push`-shaped body of exactly `bytes` bytes: commits with file lists, the way large
 * pushes reach hundreds of KB; the last commit's message is padded to the exact size.
 */
function pushBody(n: number, bytes: number): string {
  const commits = []
  let size = 0
  for (let c = 0; size < bytes - 2000; c++) {
    const commit = {
      id: `${n}`.padStart(8, '0') + `${c}`.padStart(32, '0'),
      message: `Refactor module ${c} of delivery ${n}`,
      timestamp: '2026-11-30T12:00:00Z',
      author: { name: 'Dev', email: 'dev@example.com', username: 'dev' },
      added: [`src/module-${c}/index.ts`],
      modified: Array.from({ length: 8 }, (_, f) => `src/module-${c}/file-${f}.ts`),
      removed: [],
    }
    commits.push(commit)
    size += JSON.stringify(commit).length + 1
  }
  const body = { ref: 'refs/heads/main', repository: { id: n, full_name: `o/r${n}` }, commits, pad: '' }
  const missing = bytes - JSON.stringify(body).length
  assert.ok(missing >= 0, `body ${n} already over ${bytes} bytes`)
  body.pad = 'x'.repeat(missing)
  const json = JSON.stringify(body)
  assert.equal(Buffer.byteLength(json), bytes)
  return json
}

function postPush(app: FastifyInstance, source: string, n: number, bytes: number) {
  const body = pushBody(n, bytes)
  return app.inject({
    method: 'POST',
    url: `/webhooks/${source}`,
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': `push-${n}`,
      ...signGithub({ body, secret: SECRET }),
    },
    payload: body,
  })
}

describe('large deliveries (real Kafka and PostgreSQL)', () => {
  it('accepts bursts of large deliveries and bodies at the source limit, and keeps every source accepting', async (test) => {
    const t = cleanupScope(test)
    const h = await startHarness(t, {
      sources: [
        '  - name: repos',
        '    kind: github',
        `    secrets: ["${SECRET}"]`,
        '    topic: __TOPIC__',
        `    maxBodyBytes: ${MAX_BODY_BYTES}`,
        '  - name: other',
        '    kind: github',
        `    secrets: ["${SECRET}"]`,
        '    topic: __TOPIC__',
        '  - name: largest',
        '    kind: github',
        `    secrets: ["${SECRET}"]`,
        '    topic: __TOPIC__',
        `    maxBodyBytes: ${MAX_RAW_BODY_BYTES}`,
      ],
      // Room for a loaded 2-core machine to move tens of MB; the answer, not the speed, is tested.
      env: { INGEST_PRODUCE_TIMEOUT_MS: '30000' },
    })
    let small = 1_000_000
    const smallOfEverySource = async (when: string) => {
      for (const source of ['repos', 'other', 'largest']) {
        const res = await postGithubDelivery(h.app, { source, secret: SECRET, n: small++ })
        assert.equal(res.statusCode, 202, `${when}, small delivery to ${source}: ${res.body}`)
      }
    }

    await smallOfEverySource('before the burst')
    // Tens at once, hundreds of KB each, beside small ones from every source.
    const burst = Array.from({ length: 40 }, (_, i) => postPush(h.app, 'repos', i, 200_000 + i * 10_000))
    const during = Array.from({ length: 10 }, (_, i) =>
      postGithubDelivery(h.app, { source: i % 2 ? 'repos' : 'other', secret: SECRET, n: small++ }),
    )
    const answers = await Promise.all([...burst, ...during])
    for (const res of answers) assert.equal(res.statusCode, 202, res.body)
    await smallOfEverySource('after the burst')

    // Exactly the source's maximum, alone and several at once.
    const atLimit = await postPush(h.app, 'repos', 100, MAX_BODY_BYTES)
    assert.equal(atLimit.statusCode, 202, atLimit.body)
    const several = await Promise.all(
      [101, 102, 103, 104].map((n) => postPush(h.app, 'repos', n, MAX_BODY_BYTES)),
    )
    for (const res of several) assert.equal(res.statusCode, 202, res.body)
    // The largest limit any source may set: its envelope still fits the topics' record limit.
    const largest = await postPush(h.app, 'largest', 200, MAX_RAW_BODY_BYTES)
    assert.equal(largest.statusCode, 202, largest.body)
    await smallOfEverySource('after the deliveries at the limit')
    assert.equal((await h.app.inject({ url: '/readyz' })).statusCode, 200)

    // Every accepted delivery stored exactly once.
    const ids = await h.eventIds()
    assert.equal(ids.length, 3 * 3 + 40 + 10 + 1 + 4 + 1)
    assert.equal(new Set(ids).size, ids.length)
    // Byte-exact, the largest one included.
    const stored = (await h.events()).find((e) => e.providerEventId === 'push-200')
    assert.ok(stored)
    assert.equal(stored.rawBody.length, MAX_RAW_BODY_BYTES)
    assert.ok(stored.rawBody.equals(Buffer.from(pushBody(200, MAX_RAW_BODY_BYTES))))
  })

  it('answers 413 RECORD_TOO_LARGE to the one delivery a topic refuses and stores its batch-mates', async (test) => {
    const t = cleanupScope(test)
    const h = await startHarness(t, {
      sources: ['  - name: repos', '    kind: github', `    secrets: ["${SECRET}"]`, '    topic: __TOPIC__'],
      env: { INGEST_PRODUCE_TIMEOUT_MS: '30000' },
    })
    // The topic's limit lowered by hand below what the source accepts.
    const admin = new Kafka({ brokers: stackEnv().kafkaBrokers, logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
    t.after(() => admin.disconnect())
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: 2,
          name: h.topic,
          configEntries: [
            { name: 'retention.ms', value: '-1' },
            { name: 'max.message.bytes', value: String(TOPIC_LIMIT) },
          ],
        },
      ],
    })
    // The broker applies it a moment later; a large delivery accepted until then is fine.
    let n = 0
    const refused = await waitFor(async () => {
      const res = await postPush(h.app, 'repos', 500 + n++, TOPIC_LIMIT + 10_000)
      return res.statusCode === 413 && res
    })
    assert.equal(refused.json<{ error: string }>().error, 'RECORD_TOO_LARGE')
    assert.match(
      refused.json<{ message: string }>().message,
      /bytes, more than the Kafka topic takes per record/,
    )
    assert.ok(
      !refused.json<{ message: string }>().message.includes(h.topic),
      'the answer does not name the topic',
    )
    assert.equal(refused.headers['retry-after'], undefined, 'permanent: no Retry-After')

    // Small ones batched with a refused one: each stored, the big one refused again.
    const answers = await Promise.all([
      ...Array.from({ length: 20 }, (_, i) =>
        postGithubDelivery(h.app, { source: 'repos', secret: SECRET, n: 2000 + i }),
      ),
      postPush(h.app, 'repos', 999, TOPIC_LIMIT + 10_000),
    ])
    assert.deepEqual(
      answers.map((r) => r.statusCode),
      [...Array.from({ length: 20 }, () => 202), 413],
    )
    assert.equal(
      (await postGithubDelivery(h.app, { source: 'repos', secret: SECRET, n: 3000 })).statusCode,
      202,
    )
    assert.equal((await h.app.inject({ url: '/readyz' })).statusCode, 200)
    const ids = await h.eventIds()
    assert.equal(ids.length, n - 1 + 20 + 1, 'every accepted delivery stored, once')
    assert.equal(new Set(ids).size, ids.length)
  })
})
