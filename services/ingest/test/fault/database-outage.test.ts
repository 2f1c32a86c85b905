import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cleanupScope, startPostgresCluster, waitFor } from '@integration-ledger/testing'
import { postGithubDelivery, startHarness } from '../helpers/harness.js'

const SECRET = 'github-db-outage-secret-0123456789'

describe('PostgreSQL (the dedup store) stopped', () => {
  it('answers 503 DATABASE_UNAVAILABLE with Retry-After, publishes nothing unchecked, and recovers alone', async (test) => {
    const t = cleanupScope(test)
    // A cluster this test owns: stopping it can never take the machine's shared server down.
    const cluster = await startPostgresCluster({ throwaway: true, log: () => {} })
    t.after(() => cluster.kill())
    const h = await startHarness(t, {
      databaseServerUrl: cluster.url,
      sources: ['  - name: gh', '    kind: github', `    secrets: ["${SECRET}"]`, '    topic: __TOPIC__'],
      env: { INGEST_RETRY_AFTER_SECONDS: '1' },
    })
    const send = (n: number) => postGithubDelivery(h.app, { source: 'gh', secret: SECRET, n })

    assert.equal((await send(1)).statusCode, 202)

    await cluster.stop()
    const refused = await send(2)
    assert.equal(refused.statusCode, 503)
    assert.equal(refused.json<{ error: string }>().error, 'DATABASE_UNAVAILABLE')
    assert.ok(refused.headers['retry-after'], 'tells the sender when to come back')
    assert.equal((await h.app.inject({ url: '/readyz' })).statusCode, 503, 'readiness reflects the outage')
    assert.equal(await h.countRecords(), 1, 'nothing is published without its dedup check')

    await cluster.start()
    const accepted = await waitFor(
      async () => {
        const res = await send(2)
        return res.statusCode === 202 && res
      },
      { timeoutMs: 30_000, intervalMs: 250, description: 'the retried delivery accepted after recovery' },
    )
    assert.equal(accepted.json<{ duplicate: boolean }>().duplicate, false)
    const again = await send(1)
    assert.equal(again.json<{ duplicate: boolean }>().duplicate, true, 'dedup state survived the outage')
    assert.equal((await h.app.inject({ url: '/readyz' })).statusCode, 200)
    assert.equal(await h.countRecords(), 2, 'each delivery in Kafka exactly once')
  })
})
