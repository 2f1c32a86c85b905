import { findLedgerError } from '@integration-ledger/core'
import { toDatabaseError } from '@integration-ledger/postgres'
import type pg from 'pg'
import type { AdminIdentity, AdminRole } from './identity.js'

/** `succeeded`; `failed` (an error, validation included); `refused` (the token may not do this). */
export type AuditOutcome = 'succeeded' | 'failed' | 'refused'

/** One state-changing action, as it is written. */
export interface AuditEntry {
  actor: AdminIdentity
  /** What was done, e.g. `source.create`, `dlq.replay`, `token.revoke`. */
  action: string
  /** What it was done to, e.g. `source:billing`, `dlq:ledger.projector`, `token:ada`. */
  target: string
  outcome: AuditOutcome
  /** The HTTP status answered, when the action came over HTTP. */
  status?: number
  /** The error code of a failed or refused action. */
  errorCode?: string
  /** Secret-free facts worth keeping: a reason, the records chosen, what was created. */
  details?: Record<string, unknown>
  correlationId?: string
}

/** One row of the audit log as listed. */
export interface AuditRecord {
  /** Keyset cursor: pass the last one seen as `after` for the next (older) page. */
  id: string
  at: string
  service: string
  actor: string
  actorTokenId: string | null
  actorRole: AdminRole | null
  action: string
  target: string
  outcome: AuditOutcome
  status: number | null
  errorCode: string | null
  details: Record<string, unknown>
  correlationId: string | null
}

export interface AuditFilter {
  actor?: string | undefined
  action?: string | undefined
  target?: string | undefined
  /** At or after. */
  since?: Date | undefined
  /** Before. */
  until?: Date | undefined
}

export interface AuditPage {
  records: AuditRecord[]
  /** The `after` of the next page, when there is one. */
  next?: string
}

interface Row {
  id: string
  at: Date
  service: string
  actor: string
  actor_token_id: string | null
  actor_role: AdminRole | null
  action: string
  target: string
  outcome: AuditOutcome
  status: number | null
  error_code: string | null
  details: Record<string, unknown>
  correlation_id: string | null
}

/**
 * The append-only `ledger_audit_log` (see schema.ts: the database refuses UPDATE, DELETE and
 * TRUNCATE on it). Every service that changes state on an operator's behalf writes here, each row
 * saying which service wrote it.
 */
export class AuditLog {
  readonly #pool: pg.Pool
  readonly #service: string

  /** @param service recorded in every row this instance writes, e.g. `admin`. */
  constructor(pool: pg.Pool, service: string) {
    this.#pool = pool
    this.#service = service
  }

  async record(entry: AuditEntry): Promise<void> {
    try {
      await this.#pool.query(
        `INSERT INTO ledger_audit_log (service, actor, actor_token_id, actor_role, action, target, outcome,
                                       status, error_code, details, correlation_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          this.#service,
          entry.actor.name,
          entry.actor.tokenId,
          entry.actor.role,
          entry.action,
          entry.target,
          entry.outcome,
          entry.status ?? null,
          entry.errorCode ?? null,
          entry.details ?? {},
          entry.correlationId ?? null,
        ],
      )
    } catch (err) {
      throw toDatabaseError(err, 'writing the audit log')
    }
  }

  /**
   * Runs `action` and records how it went: `succeeded`, or `failed` with the error's code (and
   * the error is thrown on). For commands that act directly, outside an audited HTTP route.
   */
  async track<T>(
    entry: Omit<AuditEntry, 'outcome' | 'errorCode'>,
    action: () => Promise<T>,
    details?: (result: T) => Record<string, unknown>,
  ): Promise<T> {
    let result: T
    try {
      result = await action()
    } catch (err) {
      await this.record({ ...entry, outcome: 'failed', errorCode: findLedgerError(err)?.code ?? 'INTERNAL' })
      throw err
    }
    await this.record({ ...entry, outcome: 'succeeded', details: { ...entry.details, ...details?.(result) } })
    return result
  }

  /** One page, newest first, keyset-paginated on the row ID so a page costs its own rows. */
  async list(filter: AuditFilter, page: { limit: number; after?: string | undefined }): Promise<AuditPage> {
    const where: string[] = []
    const values: unknown[] = []
    const add = (sql: string, value: unknown) => {
      values.push(value)
      where.push(sql.replace('?', `$${values.length}`))
    }
    if (filter.actor !== undefined) add('actor = ?', filter.actor)
    if (filter.action !== undefined) add('action = ?', filter.action)
    if (filter.target !== undefined) add('target = ?', filter.target)
    if (filter.since !== undefined) add('at >= ?', filter.since)
    if (filter.until !== undefined) add('at < ?', filter.until)
    if (page.after !== undefined) add('id < ?', page.after)
    values.push(page.limit + 1)
    let rows: Row[]
    try {
      ;({ rows } = await this.#pool.query<Row>(
        `SELECT * FROM ledger_audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
          ORDER BY id DESC LIMIT $${values.length}`,
        values,
      ))
    } catch (err) {
      throw toDatabaseError(err, 'reading the audit log')
    }
    // One row more than asked tells whether another page exists without a count query.
    const records = rows.slice(0, page.limit).map(toRecord)
    const last = records.at(-1)
    return rows.length > page.limit && last !== undefined ? { records, next: last.id } : { records }
  }
}

const toRecord = (row: Row): AuditRecord => ({
  id: row.id,
  at: row.at.toISOString(),
  service: row.service,
  actor: row.actor,
  actorTokenId: row.actor_token_id,
  actorRole: row.actor_role,
  action: row.action,
  target: row.target,
  outcome: row.outcome,
  status: row.status,
  errorCode: row.error_code,
  details: row.details,
  correlationId: row.correlation_id,
})
