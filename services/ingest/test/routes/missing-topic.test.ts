import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createKafkajsTransport } from '@integration-ledger/sdk'
import { cleanupScope, stackEnv } from '@integration-ledger/testing'
import { postGithubDelivery, startHarness } from '../helpers/harness.js'

const SECRET = 'github-missing-topic-secret-0123'

describe('a source whose topic is gone (real Kafka and PostgreSQL)', () => {
  it('answers that source with TOPIC_NOT_FOUND and keeps accepting every other source', async (test) => {
    const t = cleanupScope(test)
    const h = await startHarness(t, {
      sources: [
        '  - name: gh',
        '    kind: github',
        `    secrets: ["${SECRET}"]`,
        '    topic: __TOPIC__',
        '  - name: gone',
        '    kind: github',
        `    secrets: ["${SECRET}"]`,
        '    topic: __TOPIC__.gone',
      ],
    })
    // Created at start-up like every source topic, then deleted behind ingest's back.
    const admin = createKafkajsTransport({ brokers: stackEnv().kafkaBrokers }).admin()
    await admin.connect()
    t.after(() => admin.disconnect())
    await admin.deleteTopics([`${h.topic}.gone`])

    const refused = await postGithubDelivery(h.app, { source: 'gone', secret: SECRET, n: 1 })
    assert.equal(refused.statusCode, 500, refused.body)
    const body = refused.json<{ error: string; message: string; correlationId: string }>()
    assert.equal(body.error, 'TOPIC_NOT_FOUND')
    // Topic names are internals: the answer says what happened and gives the correlation ID, the
    // log says which topic.
    assert.ok(!refused.body.includes(h.topic), refused.body)
    assert.match(body.message, /operator must create it/)
    assert.ok(body.correlationId.length > 0 && body.message.includes(body.correlationId))

    // A refused topic is not an unavailable broker: other sources are not answered 503.
    assert.equal((await h.app.inject({ url: '/readyz' })).statusCode, 200)
    assert.equal((await postGithubDelivery(h.app, { source: 'gh', secret: SECRET, n: 2 })).statusCode, 202)
  })
})
