import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LedgerError } from '@integration-ledger/core'
import { cleanupScope, createTestPool, stackEnv } from '@integration-ledger/testing'
import { type AdminIdentity, AuditLog, migrateAccess } from '../src/index.js'

const ada: AdminIdentity = { name: 'ada', role: 'operator', tokenId: null }
const bob: AdminIdentity = { name: 'bob', role: 'read-only', tokenId: '7c1d7b8e-6b0a-4bb4-9a35-1c7c7f2b0e11' }

describe('AuditLog', () => {
  it('refuses UPDATE, DELETE and TRUNCATE in the database, whoever asks', async (test) => {
    const t = cleanupScope(test)
    const { pool } = await createTestPool(t, stackEnv().databaseUrl)
    await migrateAccess(pool)
    await migrateAccess(pool) // idempotent: a second start changes nothing
    const log = new AuditLog(pool, 'test')
    await log.record({ actor: ada, action: 'source.create', target: 'source:billing', outcome: 'succeeded' })
    for (const sql of [
      `UPDATE ledger_audit_log SET actor = 'mallory'`,
      `DELETE FROM ledger_audit_log`,
      `TRUNCATE ledger_audit_log`,
    ]) {
      await assert.rejects(pool.query(sql), (err: { code?: string; message: string }) => {
        assert.equal(err.code, '42501') // insufficient_privilege
        assert.match(err.message, /ledger_audit_log is append-only: (UPDATE|DELETE|TRUNCATE) refused/)
        return true
      })
    }
    const { rows } = await pool.query<{ actor: string }>('SELECT actor FROM ledger_audit_log')
    assert.deepEqual(rows, [{ actor: 'ada' }])
  })

  it('lists newest first with filters and keyset pages; track() records failures with their code', async (test) => {
    const t = cleanupScope(test)
    const { pool } = await createTestPool(t, stackEnv().databaseUrl)
    await migrateAccess(pool)
    const log = new AuditLog(pool, 'test')
    for (let i = 0; i < 5; i++) {
      await log.record({
        actor: i % 2 === 0 ? ada : bob,
        action: i < 3 ? 'dlq.replay' : 'token.create',
        target: `dlq:group-${i % 2}`,
        outcome: 'succeeded',
        details: { i },
      })
    }
    const boom = new LedgerError('NOT_FOUND', 'no such source')
    await assert.rejects(
      log.track({ actor: bob, action: 'source.disable', target: 'source:nope' }, () => Promise.reject(boom)),
      boom,
    )
    // The time filters work in milliseconds (what a Date holds); the newest row gets one of its own.
    await new Promise((resolve) => setTimeout(resolve, 5))
    assert.equal(
      await log.track(
        { actor: ada, action: 'source.enable', target: 'source:billing', details: { by: 'test' } },
        async () => 42,
        (n) => ({ answer: n }),
      ),
      42,
    )

    const all = await log.list({}, { limit: 100 })
    assert.equal(all.next, undefined)
    assert.deepEqual(
      all.records.map((r) => [r.action, r.actor, r.outcome, r.errorCode]),
      [
        ['source.enable', 'ada', 'succeeded', null],
        ['source.disable', 'bob', 'failed', 'NOT_FOUND'],
        ['token.create', 'ada', 'succeeded', null],
        ['token.create', 'bob', 'succeeded', null],
        ['dlq.replay', 'ada', 'succeeded', null],
        ['dlq.replay', 'bob', 'succeeded', null],
        ['dlq.replay', 'ada', 'succeeded', null],
      ],
    )
    assert.deepEqual(all.records[0]?.details, { by: 'test', answer: 42 })
    assert.equal(all.records[1]?.actorTokenId, bob.tokenId)
    assert.equal(all.records[1]?.actorRole, 'read-only')
    assert.equal(all.records[0]?.service, 'test')

    const ids = (page: { records: { details: Record<string, unknown> }[] }) =>
      page.records.map((r) => r.details.i)
    assert.deepEqual(ids(await log.list({ actor: 'ada', action: 'dlq.replay' }, { limit: 10 })), [2, 0])
    assert.deepEqual(ids(await log.list({ target: 'dlq:group-1' }, { limit: 10 })), [3, 1])
    const first = await log.list({ action: 'dlq.replay' }, { limit: 2 })
    assert.deepEqual(ids(first), [2, 1])
    assert.ok(first.next)
    const second = await log.list({ action: 'dlq.replay' }, { limit: 2, after: first.next })
    assert.deepEqual(ids(second), [0])
    assert.equal(second.next, undefined)

    const [newest] = all.records
    const at = new Date(newest.at)
    assert.deepEqual(
      (await log.list({ since: at }, { limit: 10 })).records.map((r) => r.action),
      ['source.enable'],
    )
    assert.equal((await log.list({ until: at }, { limit: 10 })).records.length, 6)
    assert.equal((await log.list({ since: new Date(Date.now() + 60_000) }, { limit: 10 })).records.length, 0)
  })
})
