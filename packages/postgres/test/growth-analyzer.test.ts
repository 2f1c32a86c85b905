import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { GrowthAnalyzer } from '@integration-ledger/postgres'
import { cleanupScope, createTestPool, stackEnv } from '@integration-ledger/testing'
import type pg from 'pg'

/** The row count of the table's last ANALYZE, from pg_class (-1: never analyzed). */
async function analyzedRows(pool: pg.Pool, table: string): Promise<number> {
  const { rows } = await pool.query<{ reltuples: number }>(
    'SELECT reltuples::float8 AS reltuples FROM pg_class WHERE relname = $1',
    [table],
  )
  return rows[0]?.reltuples ?? Number.NaN
}

describe('GrowthAnalyzer against PostgreSQL', () => {
  it('analyzes after 1,000 rows written, then after 4,000, 16,000: never on the caller’s path', async (test) => {
    const t = cleanupScope(test)
    const { pool } = await createTestPool(t, stackEnv().databaseUrl)
    await pool.query('CREATE TABLE grown (id uuid PRIMARY KEY, body text NOT NULL)')
    const analyzer = new GrowthAnalyzer({ pool, tables: ['grown'] })
    const grow = async (rows: number) => {
      await pool.query(
        `INSERT INTO grown SELECT gen_random_uuid(), repeat('x', 100) FROM generate_series(1, $1::int)`,
        [rows],
      )
      analyzer.wrote(rows)
      await analyzer.idle()
    }
    await grow(999)
    assert.equal(await analyzedRows(pool, 'grown'), -1, '999 rows: not yet')
    await grow(1)
    assert.equal(await analyzedRows(pool, 'grown'), 1000, 'analyzed at 1,000')
    await grow(2999)
    assert.equal(await analyzedRows(pool, 'grown'), 1000, 'the next one waits for 4,000')
    await grow(1)
    assert.equal(await analyzedRows(pool, 'grown'), 4000)
    await grow(20_000)
    assert.equal(await analyzedRows(pool, 'grown'), 24_000, 'then 16,000')
  })

  it('logs a failed ANALYZE and keeps going; the caller never sees it', async (test) => {
    const t = cleanupScope(test)
    const { pool } = await createTestPool(t, stackEnv().databaseUrl)
    const warnings: string[] = []
    const logger = {
      debug: () => {},
      info: () => {},
      warn: (_: object, msg?: string) => void warnings.push(msg ?? ''),
      error: () => {},
      child: () => logger,
    }
    const analyzer = new GrowthAnalyzer({ pool, tables: ['missing_table'], logger, firstAfterRows: 10 })
    analyzer.wrote(10)
    await analyzer.idle()
    assert.equal(warnings.length, 1)
    assert.match(warnings[0] ?? '', /ANALYZE after growth failed/)
  })
})
