import pg from 'pg'
import { uniqueName } from './names.js'

/** Something with node:test's `after` hook, so helpers can register their own cleanup. */
export interface CleanupHost {
  after(fn: () => Promise<void> | void): void
}

/**
 * Creates an empty database on the server behind `baseUrl` and drops it when the test ends.
 * Returns its connection URL.
 */
export async function createTestDatabase(t: CleanupHost, baseUrl: string): Promise<string> {
  const name = uniqueName('ledger_test')
  const admin = new pg.Client({ connectionString: baseUrl })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  t.after(async () => {
    const client = new pg.Client({ connectionString: baseUrl })
    await client.connect()
    try {
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    } finally {
      await client.end()
    }
  })
  const url = new URL(baseUrl)
  url.pathname = `/${name}`
  return url.toString()
}
