import type pg from 'pg'

export interface SchemaDefinition {
  /**
   * Advisory lock key serialising set-up across replicas that start together; any fixed 64-bit
   * number, one per schema owner.
   */
  lockId: number
  /** Idempotent DDL (`CREATE … IF NOT EXISTS`), run in order. */
  statements: readonly string[]
}

/** Creates a schema's tables when missing; safe to run on every start, from every replica. */
export async function applySchema(pool: pg.Pool, schema: SchemaDefinition): Promise<void> {
  const client = await pool.connect()
  try {
    await client.query('SELECT pg_advisory_lock($1)', [schema.lockId])
    for (const sql of schema.statements) await client.query(sql)
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [schema.lockId]).catch(() => {})
    client.release()
  }
}
