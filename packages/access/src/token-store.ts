import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import { PermanentError } from '@integration-ledger/core'
import { toDatabaseError } from '@integration-ledger/postgres'
import type pg from 'pg'
import { ADMIN_ROLES, type AdminIdentity, type AdminRole } from './identity.js'

/** A named token as listed: never its secret. */
export interface AdminTokenInfo {
  id: string
  name: string
  role: AdminRole
  createdBy: string
  createdAt: string
  revokedBy: string | null
  revokedAt: string | null
}

/** The answer to a create: the only time the token itself is shown. */
export interface CreatedAdminToken extends AdminTokenInfo {
  token: string
}

/**
 * Names are what audit rows say acted. `bootstrap` is `LEDGER_ADMIN_TOKEN` and `schedule` the
 * reconciler's own runs, so a token may not pose as either; `:` is left to `cli:<user>`.
 */
const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/
const RESERVED_NAMES = new Set(['bootstrap', 'schedule'])

/** `ldg_<token ID, 32 hex>_<secret: 32 random bytes, base64url>`. */
const TOKEN_FORMAT = /^ldg_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/

const sha256 = (value: string) => createHash('sha256').update(value).digest()
/** Compared against when the ID is unknown, so an unknown ID costs what a wrong secret does. */
const NO_HASH = sha256('')

interface Row {
  id: string
  name: string
  role: AdminRole
  created_by: string
  created_at: Date
  revoked_by: string | null
  revoked_at: Date | null
}

const toInfo = (row: Row): AdminTokenInfo => ({
  id: row.id,
  name: row.name,
  role: row.role,
  createdBy: row.created_by,
  createdAt: row.created_at.toISOString(),
  revokedBy: row.revoked_by,
  revokedAt: row.revoked_at?.toISOString() ?? null,
})

/**
 * Named admin tokens in `ledger_admin_tokens`. A token carries its own ID (looked up by primary
 * key) and a secret of 256 random bits, of which only the SHA-256 is stored and compared with
 * `timingSafeEqual`. A fast hash is enough here: slow hashes (bcrypt, scrypt, argon2) exist to make
 * guessing low-entropy passwords from a leaked hash expensive, and no amount of guessing finds a
 * 256-bit random secret; a slow hash would only slow every API call. Nothing is cached, so a
 * revoked token is refused from the next request on, by every replica.
 */
export class AdminTokenStore {
  readonly #pool: pg.Pool

  constructor(pool: pg.Pool) {
    this.#pool = pool
  }

  /** Creates a token; its secret is in the answer and nowhere else. CONFLICT when a live token has the name. */
  async create(request: { name: string; role: string }, createdBy: string): Promise<CreatedAdminToken> {
    const { name, role } = request
    if (!NAME.test(name) || RESERVED_NAMES.has(name)) {
      throw new PermanentError(
        'VALIDATION_FAILED',
        `Token name "${name.slice(0, 80)}": use 1-63 of a-z, 0-9, ".", "_", "-", starting with a letter or digit; "bootstrap" and "schedule" are taken.`,
      )
    }
    if (!(ADMIN_ROLES as readonly string[]).includes(role)) {
      throw new PermanentError('VALIDATION_FAILED', `Token role: one of ${ADMIN_ROLES.join(', ')}.`)
    }
    const id = randomUUID()
    const secret = randomBytes(32).toString('base64url')
    try {
      const { rows } = await this.#pool.query<Row>(
        `INSERT INTO ledger_admin_tokens (id, name, role, secret_hash, created_by)
         VALUES ($1, $2, $3, $4, $5) RETURNING *`,
        [id, name, role, sha256(secret), createdBy],
      )
      return { ...toInfo(rows[0]!), token: `ldg_${id.replaceAll('-', '')}_${secret}` }
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        throw new PermanentError(
          'CONFLICT',
          `A live token is already named "${name}"; revoke it first or choose another name.`,
        )
      }
      throw toDatabaseError(err, 'creating an admin token')
    }
  }

  /** Every token, live and revoked, oldest first; never a secret. */
  async list(): Promise<AdminTokenInfo[]> {
    const { rows } = await this.#query<Row>(
      `SELECT id, name, role, created_by, created_at, revoked_by, revoked_at
         FROM ledger_admin_tokens ORDER BY created_at, id`,
      [],
    )
    return rows.map(toInfo)
  }

  /** Revokes the live token named `name`; NOT_FOUND when there is none. */
  async revoke(name: string, revokedBy: string): Promise<AdminTokenInfo> {
    const { rows } = await this.#query<Row>(
      `UPDATE ledger_admin_tokens SET revoked_by = $2, revoked_at = now()
        WHERE name = $1 AND revoked_at IS NULL
        RETURNING id, name, role, created_by, created_at, revoked_by, revoked_at`,
      [name, revokedBy],
    )
    if (rows[0] === undefined) {
      throw new PermanentError(
        'NOT_FOUND',
        `No live admin token named "${name}"; list them with GET /tokens.`,
      )
    }
    return toInfo(rows[0])
  }

  /** The identity of a live token, or `undefined` for anything else (malformed, unknown, revoked, wrong secret). */
  async authenticate(presented: string): Promise<AdminIdentity | undefined> {
    const match = TOKEN_FORMAT.exec(presented)
    if (match === null) return undefined
    const hex = match[1]!
    const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
    const { rows } = await this.#query<{ name: string; role: AdminRole; secret_hash: Buffer }>(
      `SELECT name, role, secret_hash FROM ledger_admin_tokens WHERE id = $1 AND revoked_at IS NULL`,
      [id],
    )
    const row = rows[0]
    const equal = timingSafeEqual(sha256(match[2]!), row?.secret_hash ?? NO_HASH)
    return row !== undefined && equal ? { name: row.name, role: row.role, tokenId: id } : undefined
  }

  async #query<R extends pg.QueryResultRow>(sql: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>(sql, values)
    } catch (err) {
      throw toDatabaseError(err, 'reading the admin tokens')
    }
  }
}
