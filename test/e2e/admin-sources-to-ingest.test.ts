import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { loadAdminConfig, startAdmin } from '@integration-ledger/admin'
import { loadIngestConfig, startIngest } from '@integration-ledger/ingest'
import {
  cleanupScope,
  createTestDatabase,
  serviceEnv,
  signGithub,
  stackEnv,
  uniqueName,
  waitFor,
} from '@integration-ledger/testing'
import pg from 'pg'

const TOKEN = 'admin-token-0123456789abcdef'
const OLD = 'github-old-secret-0123456789'
const NEW = 'github-new-secret-9876543210'

describe('sources through the admin API, served by ingest', () => {
  it('creates, rotates and disables a source; secrets encrypted at rest and never returned', async (test) => {
    const t = cleanupScope(test)
    const stack = stackEnv()
    const databaseUrl = await createTestDatabase(t, stack.databaseUrl)
    const masterKeys = `k1:${randomBytes(32).toString('base64')}`
    const env = { ...serviceEnv(databaseUrl, stack), LEDGER_MASTER_KEYS: masterKeys }
    const admin = await startAdmin(loadAdminConfig({ ...env, LEDGER_ADMIN_TOKEN: TOKEN }))
    t.after(() => admin.close())
    const ingest = await startIngest(loadIngestConfig(env))
    t.after(() => ingest.close())
    const topic = uniqueName('admin.sources').replaceAll('_', '.')
    const call = (method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown) =>
      admin.inject({
        method,
        url,
        headers: { authorization: `Bearer ${TOKEN}` },
        ...(body ? { payload: body } : {}),
      })
    let delivery = 0
    const deliver = (secret: string) => {
      const body = JSON.stringify({ action: 'opened', issue: { id: 7, number: 7 }, n: delivery })
      return ingest.inject({
        method: 'POST',
        url: '/webhooks/gh-admin',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'issues',
          'x-github-delivery': `d-${delivery++}`,
          ...signGithub({ body, secret }),
        },
        payload: body,
      })
    }

    assert.equal((await admin.inject({ method: 'GET', url: '/sources' })).statusCode, 401)
    const invalid = await call('POST', '/sources', { name: 'bad', kind: 'hmac', secrets: ['x'] })
    assert.equal(invalid.statusCode, 400)
    const created = await call('POST', '/sources', {
      name: 'gh-admin',
      kind: 'github',
      secrets: [OLD],
      topic,
    })
    assert.equal(created.statusCode, 201, created.body)
    assert.ok(!created.body.includes(OLD), 'the secret is never returned')
    const oldSecretId = created.json<{ secrets: { id: string }[] }>().secrets[0]?.id
    assert.ok(oldSecretId)
    assert.equal(
      (await call('POST', '/sources', { name: 'gh-admin', kind: 'github', secrets: [OLD] })).statusCode,
      409,
    )

    // Encrypted at rest: the row holds ciphertext and the key ID, not the secret.
    const db = new pg.Client({ connectionString: databaseUrl })
    await db.connect()
    t.after(() => db.end())
    const row = (
      await db.query<{ key_id: string; ciphertext: Buffer }>(
        'SELECT key_id, ciphertext FROM ledger_source_secrets',
      )
    ).rows[0]
    assert.equal(row?.key_id, 'k1')
    assert.ok(row && !row.ciphertext.includes(Buffer.from(OLD)) && row.ciphertext.length >= OLD.length + 16)

    await waitFor(async () => (await deliver(OLD)).statusCode === 202, {
      timeoutMs: 10_000,
      description: 'ingest serves the new source',
    })

    // Rotation: add the new secret; both work; retire the old one; only the new one works.
    const added = await call('POST', '/sources/gh-admin/secrets', { secret: NEW })
    assert.equal(added.statusCode, 201)
    assert.ok(!added.body.includes(NEW))
    await waitFor(async () => (await deliver(NEW)).statusCode === 202, {
      timeoutMs: 10_000,
      description: 'new secret accepted',
    })
    assert.equal((await deliver(OLD)).statusCode, 202, 'old secret still accepted during the rotation')
    assert.equal((await call('DELETE', `/sources/gh-admin/secrets/${oldSecretId}`)).statusCode, 204)
    await waitFor(async () => (await deliver(OLD)).statusCode === 401, {
      timeoutMs: 10_000,
      description: 'old secret refused',
    })
    assert.equal((await deliver(NEW)).statusCode, 202)
    const listed = await call('GET', '/sources')
    assert.ok(!listed.body.includes(NEW) && !listed.body.includes(OLD))

    assert.equal((await call('POST', '/sources/gh-admin/disable')).statusCode, 200)
    await waitFor(async () => (await deliver(NEW)).statusCode === 404, {
      timeoutMs: 10_000,
      description: 'disabled source answers 404',
    })
  })
})
