import { createPool } from '@integration-ledger/postgres'
import type pg from 'pg'
import { createTestDatabase, type CleanupHost } from './database.js'

/**
 * A throwaway database and a pool on it. The pool is closed before the database is dropped, and it
 * has an error listener: dropping a database ends its idle connections, and an unhandled pool
 * 'error' would otherwise fail whichever test happens to be running.
 */
export async function createTestPool(
  t: CleanupHost,
  baseUrl: string,
  options: { max?: number } = {},
): Promise<{ url: string; pool: pg.Pool }> {
  const url = await createTestDatabase(t, baseUrl)
  const pool = createPool({ connectionString: url, max: options.max ?? 4 })
  t.after(() => pool.end())
  return { url, pool }
}
