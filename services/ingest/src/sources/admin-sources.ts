import type { Logger } from '@ledger/core'
import { SOURCES_CHANNEL, type SourceStore } from '@ledger/source-store'
import type pg from 'pg'
import { parseSourceConfig } from './parse-sources-config.js'
import type { SourceRegistry } from './registry.js'
import type { SourceConfig } from './types.js'

export interface AdminSourceSyncOptions {
  store: SourceStore
  registry: SourceRegistry
  /** Sources from LEDGER_SOURCES; they win over an admin source of the same name. */
  fileSources: readonly SourceConfig[]
  pool: pg.Pool
  pollMs: number
  logger: Logger
}

/**
 * Keeps the registry equal to file sources plus admin-created sources: loads at start, reloads on
 * NOTIFY from the admin service, and polls as a fallback (a LISTEN connection can drop silently).
 * A reload that fails keeps the previous sources: serving stale sources beats serving none.
 */
export class AdminSourceSync {
  readonly #options: AdminSourceSyncOptions
  #timer: NodeJS.Timeout | undefined
  #listener: pg.PoolClient | undefined

  constructor(options: AdminSourceSyncOptions) {
    this.#options = options
  }

  async start(): Promise<void> {
    await this.reload()
    this.#timer = setInterval(() => void this.reload().catch(() => {}), this.#options.pollMs)
    this.#timer.unref()
    try {
      this.#listener = await this.#options.pool.connect()
      this.#listener.on('notification', () => void this.reload().catch(() => {}))
      await this.#listener.query(`LISTEN ${SOURCES_CHANNEL}`)
    } catch (err) {
      this.#options.logger.warn({ err }, 'cannot LISTEN for source changes; relying on polling')
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
    clearInterval(this.#timer)
    this.#listener?.release(true)
  }
}
