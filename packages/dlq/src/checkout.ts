import { toDatabaseError } from '@integration-ledger/postgres'
import type pg from 'pg'

/** A connection taken from the pool; `release()` returns it, or discards it once it broke. */
export interface Checkout {
  client: pg.PoolClient
  release: () => void
}

/**
 * Takes a connection for work that holds it a while (a transaction around a produce, an advisory
 * lock around a catch-up). node-postgres emits 'error' on a checked-out client whose server goes
 * away; unhandled, that event ends the process. Here it is noted, the query in flight fails on its
 * own, and the broken connection is not returned to the pool.
 */
export async function checkout(pool: pg.Pool, action: string): Promise<Checkout> {
  let client: pg.PoolClient
  try {
    client = await pool.connect()
  } catch (err) {
    throw toDatabaseError(err, action)
  }
  let broken: Error | undefined
  const onError = (err: Error) => {
    broken = err
  }
  client.on('error', onError)
  return {
    client,
    release: () => {
      client.off('error', onError)
      client.release(broken)
    },
  }
}
