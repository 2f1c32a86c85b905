import { PermanentError } from '@integration-ledger/core'
import { toDatabaseError } from '@integration-ledger/postgres'
import type pg from 'pg'

/** A held run lock; `release` is safe to call twice. */
export interface HeldLock {
  release(): Promise<void>
}

/**
 * One run per (source, entity type) across replicas: a session-level advisory lock on a connection
 * of its own, held for the whole run. A killed process's session ends, so its lock goes with it.
 * @throws PermanentError CONFLICT when another run holds it.
 */
export async function acquireRunLock(pool: pg.Pool, source: string, entityType: string): Promise<HeldLock> {
  const key = `ledger.reconcile:${source}:${entityType}`
  let client: pg.PoolClient
  try {
    client = await pool.connect()
  } catch (err) {
    throw toDatabaseError(err, 'taking the reconciliation run lock')
  }
  let got = false
  try {
    const { rows } = await client.query<{ ok: boolean }>(
      'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok',
      [key],
    )
    got = rows[0]?.ok === true
  } catch (err) {
    client.release(true)
    throw toDatabaseError(err, 'taking the reconciliation run lock')
  }
  if (!got) {
    client.release()
    throw new PermanentError(
      'CONFLICT',
      `A reconciliation of ${source}/${entityType} is already running (another process or replica); wait for it or look at GET /runs.`,
    )
  }
  let released = false
  return {
    async release() {
      if (released) return
      released = true
      try {
        await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key])
        client.release()
      } catch {
        // A broken session has dropped the lock anyway.
        client.release(true)
      }
    },
  }
}
