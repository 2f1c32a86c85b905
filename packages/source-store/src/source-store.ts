import { randomUUID } from 'node:crypto'
import { PermanentError } from '@integration-ledger/core'
import type pg from 'pg'
import type { Keyring } from './keyring.js'

/** Channel notified on every change, so ingest replicas reload without waiting for their poll. */
export const SOURCES_CHANNEL = 'ledger_sources_changed'

/** A secret's metadata; the value itself leaves the store only through `loadResolved` and `loadWithSecretHistory`. */
export interface SecretInfo {
  id: string
  keyId: string
  createdAt: Date
  retiredAt: Date | null
}

export interface StoredSource {
  name: string
  kind: string
  enabled: boolean
  /** The source declaration without secrets. */
  config: Record<string, unknown>
  secrets: SecretInfo[]
  createdAt: Date
  updatedAt: Date
}

/** A source with its active secrets decrypted (newest first), for ingest. */
export interface ResolvedSource {
  name: string
  kind: string
  enabled: boolean
  config: Record<string, unknown>
  secrets: string[]
}

/**
 * A source with every secret the store still holds, retired ones included and decrypted, newest
 * first: for re-checking events signed before a rotation. Never for serving deliveries.
 */
export interface SourceWithSecretHistory {
  name: string
  kind: string
  enabled: boolean
  config: Record<string, unknown>
  secrets: { info: SecretInfo; value: string }[]
}

interface SourceRow {
  name: string
  kind: string
  enabled: boolean
  config: Record<string, unknown>
  created_at: Date
  updated_at: Date
}

interface SecretRow {
  id: string
  source_name: string
  key_id: string
  nonce: Buffer
  ciphertext: Buffer
  created_at: Date
  retired_at: Date | null
}

const notFound = (name: string) =>
  new PermanentError('NOT_FOUND', `No source named "${name}"; list sources with GET /sources.`)

/**
 * Sources created through the admin API. Secrets are sealed with AES-256-GCM under the keyring's
 * primary master key, with the source name as authenticated data (a ciphertext moved to another
 * source does not open); the key ID is stored per secret so master keys can be rotated.
 */
export class SourceStore {
  readonly #pool: pg.Pool
  readonly #keyring: Keyring

  constructor(pool: pg.Pool, keyring: Keyring) {
    this.#pool = pool
    this.#keyring = keyring
  }

  /** @throws PermanentError CONFLICT when the name is taken. */
  async create(input: {
    name: string
    kind: string
    config: Record<string, unknown>
    secrets: readonly string[]
  }): Promise<StoredSource> {
    await this.#transaction(async (client) => {
      const inserted = await client.query(
        `INSERT INTO ledger_sources (name, kind, config) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`,
        [input.name, input.kind, input.config],
      )
      if (inserted.rowCount === 0) {
        throw new PermanentError(
          'CONFLICT',
          `A source named "${input.name}" exists; choose another name or rotate its secrets.`,
        )
      }
      for (const secret of input.secrets) await this.#insertSecret(client, input.name, secret)
    })
    return this.get(input.name)
  }

  /** @throws PermanentError NOT_FOUND */
  async get(name: string): Promise<StoredSource> {
    const [source] = await this.#list(name)
    if (source === undefined) throw notFound(name)
    return source
  }

  list(): Promise<StoredSource[]> {
    return this.#list()
  }

  /** Adds a secret (the new one a sender will sign with); older ones stay valid until retired. */
  async addSecret(name: string, secret: string): Promise<SecretInfo> {
    let id = ''
    await this.#transaction(async (client) => {
      await this.#lockSource(client, name)
      id = await this.#insertSecret(client, name, secret)
    })
    const info = (await this.get(name)).secrets.find((s) => s.id === id)
    if (info === undefined) throw notFound(name)
    return info
  }

  /** @throws PermanentError NOT_FOUND, or CONFLICT when it is the source's last active secret. */
  async retireSecret(name: string, secretId: string): Promise<void> {
    await this.#transaction(async (client) => {
      await this.#lockSource(client, name)
      const active = await client.query<{ id: string }>(
        `SELECT id FROM ledger_source_secrets WHERE source_name = $1 AND retired_at IS NULL`,
        [name],
      )
      if (!active.rows.some((r) => r.id === secretId)) {
        throw new PermanentError('NOT_FOUND', `Source "${name}" has no active secret ${secretId}.`)
      }
      if (active.rows.length === 1) {
        throw new PermanentError(
          'CONFLICT',
          `Secret ${secretId} is the last active secret of "${name}"; add its successor first.`,
        )
      }
      await client.query(`UPDATE ledger_source_secrets SET retired_at = now() WHERE id = $1`, [secretId])
    })
  }

  /** Enables or disables a source; a disabled one answers 404 at ingest. */
  async setEnabled(name: string, enabled: boolean): Promise<void> {
    await this.#transaction(async (client) => {
      const updated = await client.query(
        `UPDATE ledger_sources SET enabled = $2, updated_at = now() WHERE name = $1`,
        [name, enabled],
      )
      if (updated.rowCount === 0) throw notFound(name)
    })
  }

  /** Every source with its active secrets decrypted, newest secret first. */
  async loadResolved(): Promise<ResolvedSource[]> {
    const sources = await this.#pool.query<SourceRow>(`SELECT * FROM ledger_sources ORDER BY name`)
    const secrets = await this.#pool.query<SecretRow>(
      `SELECT * FROM ledger_source_secrets WHERE retired_at IS NULL ORDER BY created_at DESC, id`,
    )
    return sources.rows.map((row) => ({
      name: row.name,
      kind: row.kind,
      enabled: row.enabled,
      config: row.config,
      secrets: secrets.rows
        .filter((s) => s.source_name === row.name)
        .map((s) =>
          this.#keyring.open({ keyId: s.key_id, nonce: s.nonce, ciphertext: s.ciphertext }, row.name),
        ),
    }))
  }

  /**
   * One source with all its secrets, active and retired, decrypted (newest first), so an audit can
   * tell which secret signed an event and when that secret was in use.
   * @throws PermanentError NOT_FOUND
   */
  async loadWithSecretHistory(name: string): Promise<SourceWithSecretHistory> {
    const sources = await this.#pool.query<SourceRow>(`SELECT * FROM ledger_sources WHERE name = $1`, [name])
    const row = sources.rows[0]
    if (row === undefined) throw notFound(name)
    const secrets = await this.#pool.query<SecretRow>(
      `SELECT * FROM ledger_source_secrets WHERE source_name = $1 ORDER BY created_at DESC, id`,
      [name],
    )
    return {
      name: row.name,
      kind: row.kind,
      enabled: row.enabled,
      config: row.config,
      secrets: secrets.rows.map((s) => ({
        info: { id: s.id, keyId: s.key_id, createdAt: s.created_at, retiredAt: s.retired_at },
        value: this.#keyring.open({ keyId: s.key_id, nonce: s.nonce, ciphertext: s.ciphertext }, row.name),
      })),
    }
  }

  /** Re-seals every secret not under the primary master key; returns how many. */
  async reseal(): Promise<number> {
    let count = 0
    await this.#transaction(async (client) => {
      const stale = await client.query<SecretRow>(
        `SELECT * FROM ledger_source_secrets WHERE key_id <> $1 FOR UPDATE`,
        [this.#keyring.primaryId],
      )
      for (const row of stale.rows) {
        const plain = this.#keyring.open(
          { keyId: row.key_id, nonce: row.nonce, ciphertext: row.ciphertext },
          row.source_name,
        )
        const sealed = this.#keyring.seal(plain, row.source_name)
        await client.query(
          `UPDATE ledger_source_secrets SET key_id = $2, nonce = $3, ciphertext = $4 WHERE id = $1`,
          [row.id, sealed.keyId, sealed.nonce, sealed.ciphertext],
        )
        count++
      }
    })
    return count
  }

  async #insertSecret(client: pg.PoolClient, name: string, secret: string): Promise<string> {
    const id = randomUUID()
    const sealed = this.#keyring.seal(secret, name)
    await client.query(
      `INSERT INTO ledger_source_secrets (id, source_name, key_id, nonce, ciphertext) VALUES ($1, $2, $3, $4, $5)`,
      [id, name, sealed.keyId, sealed.nonce, sealed.ciphertext],
    )
    await client.query(`UPDATE ledger_sources SET updated_at = now() WHERE name = $1`, [name])
    return id
  }

  async #lockSource(client: pg.PoolClient, name: string): Promise<void> {
    const found = await client.query(`SELECT 1 FROM ledger_sources WHERE name = $1 FOR UPDATE`, [name])
    if (found.rowCount === 0) throw notFound(name)
  }

  async #list(name?: string): Promise<StoredSource[]> {
    const sources = await this.#pool.query<SourceRow>(
      `SELECT * FROM ledger_sources WHERE $1::text IS NULL OR name = $1 ORDER BY name`,
      [name ?? null],
    )
    const secrets = await this.#pool.query<SecretRow>(
      `SELECT id, source_name, key_id, created_at, retired_at FROM ledger_source_secrets
       WHERE $1::text IS NULL OR source_name = $1 ORDER BY created_at DESC, id`,
      [name ?? null],
    )
    return sources.rows.map((row) => ({
      name: row.name,
      kind: row.kind,
      enabled: row.enabled,
      config: row.config,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      secrets: secrets.rows
        .filter((s) => s.source_name === row.name)
        .map((s) => ({ id: s.id, keyId: s.key_id, createdAt: s.created_at, retiredAt: s.retired_at })),
    }))
  }

  /** Runs `work` in a transaction and notifies listeners when it commits. */
  async #transaction(work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    const client = await this.#pool.connect()
    try {
      await client.query('BEGIN')
      await work(client)
      await client.query(`SELECT pg_notify($1, '')`, [SOURCES_CHANNEL])
      await client.query('COMMIT')
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {})
      throw err
    } finally {
      client.release()
    }
  }
}
