import type { SourceConfig } from '@integration-ledger/providers'

/**
 * In-memory sources by name. Ingest looks sources up here on every request; the file loader (and
 * later the admin API, from PostgreSQL) feeds it. Entries are replaced, never mutated, so a
 * request that already holds a source keeps a consistent view during an update.
 */
export class SourceRegistry {
  readonly #sources = new Map<string, SourceConfig>()

  constructor(sources: Iterable<SourceConfig> = []) {
    for (const source of sources) this.upsert(source)
  }

  /** The source with this name, enabled or not; callers refuse disabled ones. */
  get(name: string): SourceConfig | undefined {
    return this.#sources.get(name)
  }

  /** Every source, sorted by name. */
  list(): SourceConfig[] {
    return [...this.#sources.values()].sort((a, b) => a.name.localeCompare(b.name))
  }

  /** Adds or replaces the source with the same name. Validate first with `parseSourceConfig`. */
  upsert(source: SourceConfig): void {
    this.#sources.set(source.name, source)
  }

  /** Replaces every source at once (a reload of file plus admin sources). */
  replaceAll(sources: Iterable<SourceConfig>): void {
    this.#sources.clear()
    for (const source of sources) this.upsert(source)
  }

  /** Marks a source disabled; returns false when there is no source of that name. */
  disable(name: string): boolean {
    const source = this.#sources.get(name)
    if (source === undefined) return false
    this.#sources.set(name, { ...source, enabled: false })
    return true
  }
}
