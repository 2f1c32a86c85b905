import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LedgerError } from '@integration-ledger/core'
import { applySchema, createPool, toDatabaseError } from '@integration-ledger/postgres'
import { cleanupScope, createTestPool, stackEnv } from '@integration-ledger/testing'
import type pg from 'pg'

/** Runs a statement that must fail and says how the failure is classified. */
async function classifiedFailure(pool: pg.Pool, sql: string) {
  const err = await pool.query(sql).then(
    () => assert.fail(`expected "${sql}" to fail`),
    (e: unknown) => e,
  )
  const e = toDatabaseError(err, 'testing')
  assert.ok(e instanceof LedgerError)
  return { code: e.code, retryable: e.retryable }
}

describe('@integration-ledger/postgres against PostgreSQL', () => {
  it('classifies an unreachable server as DATABASE_UNAVAILABLE (transient)', async (test) => {
    const t = cleanupScope(test)
    const pool = createPool({
      connectionString: 'postgres://postgres@127.0.0.1:1/none',
      connectionTimeoutMillis: 500,
    })
    t.after(() => pool.end())
    assert.deepEqual(await classifiedFailure(pool, 'SELECT 1'), {
      code: 'DATABASE_UNAVAILABLE',
      retryable: true,
    })
  })

  it('classifies data and integrity errors as permanent, others as retryable', async (test) => {
    const t = cleanupScope(test)
    const { url, pool } = await createTestPool(t, stackEnv().databaseUrl)
    await pool.query('CREATE TABLE t (id int PRIMARY KEY)')
    await pool.query('INSERT INTO t VALUES (1)')
    assert.deepEqual(await classifiedFailure(pool, 'INSERT INTO t VALUES (1)'), {
      code: 'VALIDATION_FAILED',
      retryable: false,
    })
    assert.deepEqual(await classifiedFailure(pool, `SELECT 'x'::int`), {
      code: 'VALIDATION_FAILED',
      retryable: false,
    })
    // A statement timeout (57014) is worth retrying: the same statement may pass next time.
    const impatient = createPool({ connectionString: url, statement_timeout: 50 })
    t.after(() => impatient.end())
    assert.deepEqual(await classifiedFailure(impatient, 'SELECT pg_sleep(1)'), {
      code: 'HANDLER_FAILED',
      retryable: true,
    })
  })

  it('classifies a program limit (stack depth exceeded, 54001) as permanent', async (test) => {
    const t = cleanupScope(test)
    const { pool } = await createTestPool(t, stackEnv().databaseUrl)
    // Nesting this deep exceeds the default max_stack_depth (2MB) of every supported server; the
    // same value fails the same way on every retry, so it must go to the DLQ at once.
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`
    const err = await pool.query('SELECT $1::jsonb', [deep]).then(
      () => assert.fail('expected the nesting to exceed the stack depth limit'),
      (e: unknown) => e,
    )
    assert.equal((err as { code?: string }).code, '54001')
    const e = toDatabaseError(err, 'testing')
    assert.deepEqual(
      { code: e.code, retryable: e.retryable },
      { code: 'VALIDATION_FAILED', retryable: false },
    )
  })

  it('applies a schema once when several replicas start together', async (test) => {
    const t = cleanupScope(test)
    const { pool } = await createTestPool(t, stackEnv().databaseUrl, { max: 8 })
    const schema = {
      lockId: 7_315_999,
      statements: [
        'CREATE TABLE IF NOT EXISTS items (id int PRIMARY KEY)',
        'CREATE INDEX IF NOT EXISTS items_by_id ON items (id)',
      ],
    }
    // Without the advisory lock, concurrent CREATE … IF NOT EXISTS can still fail on the catalog.
    await Promise.all(Array.from({ length: 6 }, () => applySchema(pool, schema)))
    await applySchema(pool, schema)
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = 'items'`,
    )
    assert.equal(rows[0]?.n, 2, 'primary key and the index, once each')
  })
})
