import { PermanentError } from '@integration-ledger/core'
import type pg from 'pg'
import type { Keyring } from './keyring.js'

/** A provider credential's metadata; the secret itself leaves the store only through `secret`. */
export interface CredentialInfo {
  id: string
  /** The provider the credential is for (`stripe`, `github`, `shopify-graphql`…). */
  provider: string
  /** The master key its secret is sealed under; undefined once retired. */
  keyId: string | undefined
  createdAt: Date
  /** When the secret was last replaced; null until the first rotation. */
  rotatedAt: Date | null
  /** When it was retired; its sealed secret is erased then. */
  retiredAt: Date | null
}

interface CredentialRow {
  id: string
  provider: string
  key_id: string | null
  nonce: Buffer | null
  ciphertext: Buffer | null
  created_at: Date
  rotated_at: Date | null
  retired_at: Date | null
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/
const PROVIDER = /^[a-z][a-z0-9_-]{0,63}$/

/**
 * What a secret is sealed with as authenticated data: the credential's ID and provider, so a
 * ciphertext copied to another credential, or from a source's secrets, does not open.
 */
const contextOf = (row: Pick<CredentialRow, 'id' | 'provider'>) => `credential ${row.id} (${row.provider})`

const info = (row: CredentialRow): CredentialInfo => ({
  id: row.id,
  provider: row.provider,
  keyId: row.key_id ?? undefined,
  createdAt: row.created_at,
  rotatedAt: row.rotated_at,
  retiredAt: row.retired_at,
})

const notFound = (id: string) =>
  new PermanentError(
    'NOT_FOUND',
    `No active provider credential "${id}"; add it (or its successor) to the credential store.`,
  )

/**
 * Provider API credentials (API keys, access tokens) for the outbound client, sealed at rest
 * like source secrets: AES-256-GCM under the keyring's primary master key, with the credential's
 * ID and provider as authenticated data, the master key's ID stored per row so master keys can be
 * rotated (`reseal`). Secrets never appear in what the store returns except `secret`, nor in its
 * errors (which name the credential, never its value).
 *
 * One row per credential: rotating replaces the secret in place (the ID callers and buckets use
 * stays), retiring erases it and keeps the row, so the ID is never reused for another secret.
 */
export class CredentialStore {
  readonly #pool: pg.Pool
  readonly #keyring: Keyring

  constructor(pool: pg.Pool, keyring: Keyring) {
    this.#pool = pool
    this.#keyring = keyring
  }

  /** @throws PermanentError VALIDATION_FAILED for a bad ID or provider name, CONFLICT when the ID was ever used. */
  async add(input: { id: string; provider: string; secret: string }): Promise<CredentialInfo> {
    if (!ID.test(input.id) || !PROVIDER.test(input.provider) || input.secret.length === 0) {
      throw new PermanentError(
        'VALIDATION_FAILED',
        'A credential needs an ID of letters, digits and "_.:-" (at most 128), a lower-case provider name and a non-empty secret.',
      )
    }
    const sealed = this.#keyring.seal(input.secret, contextOf(input))
    const { rows } = await this.#pool.query<CredentialRow>(
      `INSERT INTO ledger_provider_credentials (id, provider, key_id, nonce, ciphertext)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING RETURNING *`,
      [input.id, input.provider, sealed.keyId, sealed.nonce, sealed.ciphertext],
    )
    const [row] = rows
    if (row === undefined) {
      throw new PermanentError(
        'CONFLICT',
        `Provider credential "${input.id}" exists (or existed); rotate it, or choose another ID.`,
      )
    }
    return info(row)
  }

  /** Replaces an active credential's secret. @throws PermanentError NOT_FOUND */
  async rotate(id: string, secret: string): Promise<CredentialInfo> {
    const provider = (await this.get(id)).provider
    const sealed = this.#keyring.seal(secret, contextOf({ id, provider }))
    const { rows } = await this.#pool.query<CredentialRow>(
      `UPDATE ledger_provider_credentials SET key_id = $2, nonce = $3, ciphertext = $4, rotated_at = now()
       WHERE id = $1 AND retired_at IS NULL RETURNING *`,
      [id, sealed.keyId, sealed.nonce, sealed.ciphertext],
    )
    const [row] = rows
    if (row === undefined) throw notFound(id)
    return info(row)
  }

  /** Retires a credential: its secret is erased, its ID kept. @throws PermanentError NOT_FOUND */
  async retire(id: string): Promise<void> {
    const updated = await this.#pool.query(
      `UPDATE ledger_provider_credentials SET key_id = NULL, nonce = NULL, ciphertext = NULL, retired_at = now()
       WHERE id = $1 AND retired_at IS NULL`,
      [id],
    )
    if (updated.rowCount === 0) throw notFound(id)
  }

  /** @throws PermanentError NOT_FOUND (retired ones are found: they are history). */
  async get(id: string): Promise<CredentialInfo> {
    const { rows } = await this.#pool.query<CredentialRow>(
      `SELECT * FROM ledger_provider_credentials WHERE id = $1`,
      [id],
    )
    const [row] = rows
    if (row === undefined) throw notFound(id)
    return info(row)
  }

  async list(): Promise<CredentialInfo[]> {
    const { rows } = await this.#pool.query<CredentialRow>(
      `SELECT * FROM ledger_provider_credentials ORDER BY id`,
    )
    return rows.map(info)
  }

  /**
   * The active secret of a credential, decrypted. With `provider`, a credential of another
   * provider is refused, so a key cannot be sent to the wrong API by a mistyped ID.
   * @throws PermanentError NOT_FOUND, CONFIG_INVALID (another provider's, or it does not decrypt)
   */
  async secret(id: string, provider?: string): Promise<string> {
    const { rows } = await this.#pool.query<CredentialRow>(
      `SELECT * FROM ledger_provider_credentials WHERE id = $1 AND retired_at IS NULL`,
      [id],
    )
    const [row] = rows
    if (row === undefined || row.key_id === null || row.nonce === null || row.ciphertext === null) {
      throw notFound(id)
    }
    if (provider !== undefined && row.provider !== provider) {
      throw new PermanentError(
        'CONFIG_INVALID',
        `Provider credential "${id}" is for ${row.provider}, not ${provider}; configure the ${provider} adapter with one of its own.`,
      )
    }
    return this.#keyring.open(
      { keyId: row.key_id, nonce: row.nonce, ciphertext: row.ciphertext },
      contextOf(row),
    )
  }

  /**
   * The `credentials` function of an `OutboundClient` for `provider`: asked on every call, so a
   * rotation takes effect on the next call, and a retired credential fails it (NOT_FOUND).
   */
  credentialsFor(provider: string): (credentialId: string) => Promise<string> {
    return (credentialId) => this.secret(credentialId, provider)
  }

  /** Re-seals every active secret not under the primary master key; returns how many. */
  async reseal(): Promise<number> {
    const client = await this.#pool.connect()
    try {
      await client.query('BEGIN')
      const { rows } = await client.query<CredentialRow>(
        `SELECT * FROM ledger_provider_credentials WHERE key_id IS NOT NULL AND key_id <> $1 FOR UPDATE`,
        [this.#keyring.primaryId],
      )
      for (const row of rows) {
        if (row.key_id === null || row.nonce === null || row.ciphertext === null) continue
        const plain = this.#keyring.open(
          { keyId: row.key_id, nonce: row.nonce, ciphertext: row.ciphertext },
          contextOf(row),
        )
        const sealed = this.#keyring.seal(plain, contextOf(row))
        await client.query(
          `UPDATE ledger_provider_credentials SET key_id = $2, nonce = $3, ciphertext = $4 WHERE id = $1`,
          [row.id, sealed.keyId, sealed.nonce, sealed.ciphertext],
        )
      }
      await client.query('COMMIT')
      return rows.length
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {})
      throw err
    } finally {
      client.release()
    }
  }
}
