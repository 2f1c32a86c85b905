import type { Logger } from '@integration-ledger/core'
import { type SourceConfig, parseSourceConfig } from '@integration-ledger/providers'
import { SOURCES_CHANNEL, type SourceStore } from '@integration-ledger/source-store'
import { ExponentialBackoff, handleAll, retry } from 'cockatiel'
import pg from 'pg'
import type { SourceRegistry } from './registry.js'

/** First and longest wait between attempts to LISTEN again; decorrelated jitter in between. */
const LISTEN_BACKOFF = { initialDelay: 500, maxDelay: 15_000 }

export interface AdminSourceSyncOptions {
  store: SourceStore
  registry: SourceRegistry
  /** Sources from LEDGER_SOURCES; they win over an admin source of the same name. */
  fileSources: readonly SourceConfig[]
  /** Database of the source store; the LISTEN connection is its own, outside any pool. */
  connectionString: string
  pollMs: number
  logger: Logger
  /** Called when the LISTEN connection comes up (true) or is lost (false). */
  onListening?: (listening: boolean) => void
}

/**
 * Keeps the registry equal to file sources plus admin-created sources: loads at start, reloads on
 * NOTIFY from the admin service, and polls as a fallback. The LISTEN connection is re-established
 * with backoff whenever it is lost (a database restart ends it); until then polling carries on,
 * and the reload right after LISTEN succeeds again catches every change notified meanwhile.
 * A reload that fails keeps the previous sources: serving stale sources beats serving none.
 */
export class AdminSourceSync {
  readonly #options: AdminSourceSyncOptions
  readonly #closing = new AbortController()
  #timer: NodeJS.Timeout | undefined
  #listener: pg.Client | undefined
  #reconnecting = false

  constructor(options: AdminSourceSyncOptions) {
    this.#options = options
  }

  async start(): Promise<void> {
    await this.reload()
    this.#timer = setInterval(() => void this.reload().catch(() => {}), this.#options.pollMs)
    this.#timer.unref()
    try {
      await this.#listen()
    } catch (err) {
      this.#options.logger.warn(
        { err },
        'cannot LISTEN for source changes; polling meanwhile and retrying with backoff',
      )
      this.#reconnect()
    }
  }

  async reload(): Promise<void> {
    const { logger, fileSources } = this.#options
    let stored
    try {
      stored = await this.#options.store.loadResolved()
    } catch (err) {
      logger.warn({ err }, 'cannot load admin-created sources; keeping the current ones')
      throw err
    }
    const byName = new Map<string, SourceConfig>()
    for (const s of stored) {
      if (fileSources.some((f) => f.name === s.name)) {
        logger.warn({ source: s.name }, 'admin source shadowed by a file source of the same name; rename one')
        continue
      }
      try {
        const declaration = {
          ...s.config,
          name: s.name,
          kind: s.kind,
          enabled: s.enabled,
          secrets: s.secrets,
        }
        byName.set(s.name, parseSourceConfig(declaration, {}, `admin source "${s.name}"`))
      } catch (err) {
        logger.error({ err, source: s.name }, 'admin source is invalid; it is not served until fixed')
      }
    }
    for (const f of fileSources) byName.set(f.name, f)
    this.#options.registry.replaceAll(byName.values())
  }

  close(): void {
    this.#closing.abort()
    clearInterval(this.#timer)
    const listener = this.#listener
    this.#listener = undefined
    listener?.end().catch(() => {})
  }

  /** Opens a connection of its own (a LISTEN holds it for good, so not one of the pool's) and LISTENs. */
  async #listen(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.#options.connectionString,
      connectionTimeoutMillis: 5000,
    })
    const lost = (err?: unknown) => {
      if (this.#listener !== client) return
      this.#listener = undefined
      client.end().catch(() => {})
      if (this.#closing.signal.aborted) return
      this.#options.onListening?.(false)
      this.#options.logger.warn(
        { err },
        'lost the LISTEN connection for source changes; polling meanwhile and reconnecting with backoff',
      )
      this.#reconnect()
    }
    // Without an 'error' listener a dropped connection (database restart) crashes the process.
    client.on('error', lost)
    client.on('end', () => lost())
    client.on('notification', () => void this.reload().catch(() => {}))
    try {
      await client.connect()
      await client.query(`LISTEN ${SOURCES_CHANNEL}`)
    } catch (err) {
      await client.end().catch(() => {})
      throw err
    }
    if (this.#closing.signal.aborted) {
      await client.end().catch(() => {})
      return
    }
    this.#listener = client
    this.#options.onListening?.(true)
  }

  #reconnect(): void {
    if (this.#reconnecting || this.#closing.signal.aborted) return
    this.#reconnecting = true
    const { logger } = this.#options
    const policy = retry(handleAll, {
      maxAttempts: Infinity,
      backoff: new ExponentialBackoff(LISTEN_BACKOFF),
    })
    policy.onRetry(({ delay, attempt, ...reason }) =>
      logger.warn(
        { err: 'error' in reason ? reason.error : undefined, attempt, retryInMs: Math.round(delay) },
        'cannot LISTEN for source changes yet; polling meanwhile',
      ),
    )
    // With unlimited attempts, execute() only rejects when close() cancels it.
    policy
      .execute(() => this.#listen(), this.#closing.signal)
      .then(
        () => {
          this.#reconnecting = false
          logger.info({}, 'listening for source changes again; reloading sources changed meanwhile')
          void this.reload().catch(() => {})
        },
        () => {
          this.#reconnecting = false
        },
      )
  }
}
