import { silentLogger, type Logger } from '@integration-ledger/core'
import pg from 'pg'

export interface PoolOptions extends pg.PoolConfig {
  connectionString: string
  logger?: Logger
}

/**
 * A pool whose idle connections may die (database restart, failover) without crashing the
 * process: pg emits 'error' on the pool for those, and an unhandled 'error' event is fatal. The
 * next query reconnects; failing queries are handled where they run.
 */
export function createPool({ logger = silentLogger, ...config }: PoolOptions): pg.Pool {
  const pool = new pg.Pool(config)
  pool.on('error', (err) =>
    logger.warn({ err }, 'idle PostgreSQL connection lost; the next query reconnects'),
  )
  return pool
}
