import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import { cleanupScope, createTestPool, stackEnv } from '@integration-ledger/testing'
import { AdminTokenStore, migrateAccess } from '../src/index.js'

describe('AdminTokenStore', () => {
  it('creates, authenticates, lists without secrets and revokes named tokens', async (test) => {
    const t = cleanupScope(test)
    const { pool } = await createTestPool(t, stackEnv().databaseUrl)
    await migrateAccess(pool)
    const store = new AdminTokenStore(pool)

    const ada = await store.create({ name: 'ada', role: 'operator' }, 'bootstrap')
    const viewer = await store.create({ name: 'viewer', role: 'read-only' }, 'ada')
    assert.match(ada.token, /^ldg_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/)
    assert.deepEqual(await store.authenticate(ada.token), { name: 'ada', role: 'operator', tokenId: ada.id })
    assert.deepEqual(await store.authenticate(viewer.token), {
      name: 'viewer',
      role: 'read-only',
      tokenId: viewer.id,
    })

    // Only the secret's SHA-256 is stored; nothing the database holds is the token.
    const { rows } = await pool.query<{ row: string; secret_hash: Buffer }>(
      `SELECT t::text AS row, secret_hash FROM ledger_admin_tokens t WHERE id = $1`,
      [ada.id],
    )
    const secret = ada.token.slice('ldg_'.length + 32 + 1) // the secret may hold "_" itself
    assert.ok(!rows[0]!.row.includes(secret))
    assert.deepEqual(rows[0]!.secret_hash, createHash('sha256').update(secret).digest())

    // A wrong secret for a real ID, an unknown ID, junk: all just "not a token".
    const wrongSecret = `${ada.token.slice(0, -4)}AAAA`
    for (const presented of [
      wrongSecret,
      viewer.token.replace(/_[0-9a-f]{32}_/, `_${'0'.repeat(32)}_`),
      'junk',
      '',
    ]) {
      assert.equal(await store.authenticate(presented), undefined, presented)
    }

    const listed = await store.list()
    assert.deepEqual(
      listed.map((i) => [i.name, i.role, i.createdBy, i.revokedAt]),
      [
        ['ada', 'operator', 'bootstrap', null],
        ['viewer', 'read-only', 'ada', null],
      ],
    )
    assert.ok(!JSON.stringify(listed).includes(secret), 'no secret in a listing')

    await assert.rejects(store.create({ name: 'ada', role: 'read-only' }, 'bootstrap'), { code: 'CONFLICT' })
    for (const name of ['Ada', 'bootstrap', 'schedule', 'cli:ada', '', 'x'.repeat(64)]) {
      await assert.rejects(
        store.create({ name, role: 'operator' }, 'bootstrap'),
        { code: 'VALIDATION_FAILED' },
        name,
      )
    }
    await assert.rejects(store.create({ name: 'root', role: 'admin' }, 'bootstrap'), {
      code: 'VALIDATION_FAILED',
    })

    const revoked = await store.revoke('viewer', 'ada')
    assert.equal(revoked.revokedBy, 'ada')
    assert.ok(revoked.revokedAt)
    assert.equal(await store.authenticate(viewer.token), undefined, 'a revoked token is refused at once')
    await assert.rejects(store.revoke('viewer', 'ada'), { code: 'NOT_FOUND' })
    // The name is free again; the old token stays revoked.
    const again = await store.create({ name: 'viewer', role: 'read-only' }, 'ada')
    assert.notEqual(again.id, viewer.id)
    assert.equal(await store.authenticate(viewer.token), undefined)
    assert.equal((await store.authenticate(again.token))?.tokenId, again.id)
  })
})
