import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { createPool } from '@integration-ledger/postgres'
import { Keyring, SourceStore } from '@integration-ledger/source-store'
import { cleanupScope, startPostgresCluster, waitFor } from '@integration-ledger/testing'
import type { FastifyInstance } from 'fastify'
import { postGithubDelivery, startHarness } from '../helpers/harness.js'

const FILE_SECRET = 'github-file-secret-0123456789'
const ADMIN_SECRET = 'github-admin-secret-0123456789'

/** The value of `ledger_ingest_sources_listening` on /metrics, or undefined when absent. */
async function listening(app: FastifyInstance): Promise<number | undefined> {
  const text = (await app.inject({ url: '/metrics' })).body
  const value = /^ledger_ingest_sources_listening(?:{[^}]*})? (\S+)$/m.exec(text)?.[1]
  return value === undefined ? undefined : Number(value)
}

describe('PostgreSQL restarted while admin-created sources are served (LEDGER_MASTER_KEYS set)', () => {
  it('keeps ingest alive, listens again and serves sources created and changed after the restart via NOTIFY', async (test) => {
    const t = cleanupScope(test)
    // A cluster this test owns: restarting it can never take the machine's shared server down.
    const cluster = await startPostgresCluster({ throwaway: true, log: () => {} })
    t.after(() => cluster.kill())
    const masterKeys = `k1:${randomBytes(32).toString('base64')}`
    const h = await startHarness(t, {
      databaseServerUrl: cluster.url,
      sources: [
        '  - name: gh',
        '    kind: github',
        `    secrets: ["${FILE_SECRET}"]`,
        '    topic: __TOPIC__',
      ],
      // Polling an hour apart: within this test only NOTIFY can bring a source change in.
      env: { LEDGER_MASTER_KEYS: masterKeys, INGEST_SOURCES_POLL_MS: '3600000' },
    })
    const pool = createPool({ connectionString: h.databaseUrl, max: 2 })
    t.after(() => pool.end())
    const store = new SourceStore(pool, Keyring.parse(masterKeys))
    const deliver = (source: string, secret: string, n: number) =>
      postGithubDelivery(h.app, { source, secret, n })

    assert.equal(await listening(h.app), 1, 'listening for source changes at start')
    await cluster.stop()
    await waitFor(async () => (await listening(h.app)) === 0, {
      timeoutMs: 10_000,
      description: 'the lost LISTEN connection shows in the metric',
    })
    await cluster.start()
    await waitFor(async () => (await listening(h.app)) === 1, {
      timeoutMs: 30_000,
      intervalMs: 250,
      description: 'the LISTEN connection re-established after the restart',
    })
    assert.equal((await h.app.inject({ url: '/healthz' })).statusCode, 200, 'ingest is still running')

    await store.create({
      name: 'gh-admin',
      kind: 'github',
      config: { topic: h.topic },
      secrets: [ADMIN_SECRET],
    })
    await waitFor(async () => (await deliver('gh-admin', ADMIN_SECRET, 1)).statusCode === 202, {
      timeoutMs: 10_000,
      description: 'the source created after the restart is served (NOTIFY)',
    })
    await store.setEnabled('gh-admin', false)
    await waitFor(async () => (await deliver('gh-admin', ADMIN_SECRET, 2)).statusCode === 404, {
      timeoutMs: 10_000,
      description: 'the source disabled after the restart answers 404 (NOTIFY)',
    })
    assert.equal((await deliver('gh', FILE_SECRET, 3)).statusCode, 202, 'file sources unaffected')
  })
})
