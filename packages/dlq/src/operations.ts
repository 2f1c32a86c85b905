import { randomUUID } from 'node:crypto'
import { LedgerError, type Logger, silentLogger } from '@integration-ledger/core'
import type { IncomingRecord, KafkaTransport } from '@integration-ledger/kafka'
import type { EnvelopeCodec } from '@integration-ledger/registry'
import type pg from 'pg'
import { Gauge, type Registry } from 'prom-client'
import {
  type OffsetRange,
  RECORD_HEADERS,
  type RawRecordSink,
  dlqTopicName,
  readRanges,
  recordTrace,
  topicRanges,
  withoutRetryHeaders,
} from '@integration-ledger/sdk'
import { DlqActionStore, refKey } from './action-store.js'
import { DlqIndexStore } from './index-store.js'
import { DlqIndexer, type CatchUpOptions } from './indexer.js'
import { migrateDlqSchema } from './schema.js'
import type {
  DlqActionOptions,
  DlqActionResult,
  DlqFilter,
  DlqPage,
  DlqPageOptions,
  DlqRecordDetail,
  DlqRecordRef,
  DlqRecordView,
  DlqSelection,
} from './types.js'

/** Header a replayed record carries: the DLQ record it came from, `<dlq topic>/<partition>/<offset>`. */
export const REPLAYED_FROM_HEADER = RECORD_HEADERS.replayedFrom

/** Records fetched from the index per query when a filter selects the records to act on. */
const SELECTION_PAGE = 1_000

export interface DlqOperationsOptions {
  transport: KafkaTransport
  codec: EnvelopeCodec
  pool: pg.Pool
  /** Producer for replays. */
  sink: RawRecordSink
  /** Registry for `ledger_dlq_pending_records` and `ledger_dlq_oldest_pending_age_seconds`. */
  metrics?: Registry
  logger?: Logger
  /**
   * How long a read may spend indexing records dead-lettered since the previous read before it
   * fails (retryably; the progress is kept). @default 30000
   */
  catchUpTimeoutMs?: number
}

/**
 * DLQ operations shared by the admin API and the CLI: list, show, replay (to the original topic,
 * once per DLQ record) and discard. Reads are served by the `dlq_index` table, which each call
 * first brings up to date with the DLQ topic (see `DlqIndexer`); only replays read record values
 * from Kafka. Every replay and discard is recorded in `dlq_actions`.
 */
export class DlqOperations {
  readonly #o: DlqOperationsOptions
  readonly #actions: DlqActionStore
  readonly #index: DlqIndexStore
  readonly #indexer: DlqIndexer
  readonly #pending: Gauge | undefined
  readonly #oldest: Gauge | undefined
  /** Per group, when the oldest pending record was dead-lettered (epoch ms), or null when none is. */
  readonly #oldestAt = new Map<string, number | null>()
  readonly #logger: Logger

  constructor(options: DlqOperationsOptions) {
    this.#o = options
    this.#actions = new DlqActionStore(options.pool)
    this.#index = new DlqIndexStore(options.pool)
    this.#logger = options.logger ?? silentLogger
    this.#indexer = new DlqIndexer({ ...options, logger: this.#logger })
    const registers = options.metrics ? [options.metrics] : undefined
    if (registers) {
      this.#pending = new Gauge({
        name: 'ledger_dlq_pending_records',
        help: 'DLQ records neither replayed nor discarded, as of the last list, replay or discard.',
        labelNames: ['group'],
        registers,
      })
      const oldestAt = this.#oldestAt
      this.#oldest = new Gauge({
        name: 'ledger_dlq_oldest_pending_age_seconds',
        help: 'Age of the oldest pending DLQ record (which one, as of the last list, replay or discard), computed at each scrape.',
        labelNames: ['group'],
        registers,
        // The age grows between reads: an alert on it must fire even when nobody lists the DLQ.
        collect() {
          const now = Date.now()
          for (const [group, at] of oldestAt) this.set({ group }, at === null ? 0 : (now - at) / 1000)
        },
      })
    }
  }

  /** Creates the `dlq_actions` and `dlq_index` tables when missing. */
  migrate(): Promise<void> {
    return migrateDlqSchema(this.#o.pool)
  }

  /**
   * Indexes what the group's DLQ received since the last read; returns how many records. Reads do
   * this themselves; call it to index a large backlog with a longer timeout.
   */
  catchUp(group: string, options: CatchUpOptions = {}): Promise<number> {
    return this.#indexer.catchUp(group, options)
  }

  /** Re-indexes the group's whole DLQ from Kafka (actions are kept); returns how many records. */
  rebuildIndex(group: string, options: CatchUpOptions = {}): Promise<number> {
    return this.#indexer.rebuild(group, options)
  }

  /** One page of the group's DLQ records matching the filter, oldest partition/offset first. */
  async list(group: string, filter: DlqFilter = {}, page: DlqPageOptions = {}): Promise<DlqPage> {
    const limit = page.limit ?? 100
    if (!Number.isInteger(limit) || limit < 1) {
      throw new LedgerError(
        'VALIDATION_FAILED',
        `Invalid page limit ${limit}: expected a whole number of 1 or more.`,
      )
    }
    const after = page.after === undefined ? undefined : parseCursor(page.after)
    await this.#catchUp(group)
    const [rows, total] = await Promise.all([
      this.#index.page(group, filter, { limit: limit + 1, after }),
      this.#index.count(group, filter),
    ])
    await this.#observe(group)
    const records = rows.slice(0, limit)
    const last = records.at(-1)
    return { total, records, ...(rows.length > limit && last && { next: refKey(last) }) }
  }

  /**
   * How many of the group's records wait for a replay or discard, and when the oldest of them was
   * dead-lettered (null when none waits); indexes new records first, as a list does, and updates
   * the pending gauges. NOT_FOUND when the group has no DLQ topic.
   */
  async pending(group: string): Promise<{ count: number; oldest: Date | null }> {
    await this.#catchUp(group)
    return this.#readPending(group)
  }

  /** One DLQ record with all its headers; NOT_FOUND when the DLQ does not hold it. */
  async show(group: string, ref: DlqRecordRef): Promise<DlqRecordDetail> {
    await this.#catchUp(group)
    const [found] = await this.#index.find(group, [ref])
    if (!found) throw notFound(group, ref)
    return found
  }

  /**
   * Produces the selected records to their original topic (retry headers removed,
   * `ledger-replayed-from` added), each at most once: a record replayed or discarded before is
   * skipped. Consumers check versions, so replaying an event older than the entity's state is
   * harmless: it is recorded as stale. Reads from Kafka only the offsets between the first and
   * the last selected record of each partition.
   */
  async replay(group: string, selection: DlqSelection, options: DlqActionOptions): Promise<DlqActionResult> {
    const dlqTopic = dlqTopicName(group)
    const { targets, result } = await this.#select(group, selection, 'replay')
    const byKey = new Map(targets.map((view) => [refKey(view), view]))
    const stored = await topicRanges(this.#o.transport, dlqTopic)
    const ranges = new Map<number, OffsetRange>()
    for (const { partition, offset } of targets) {
      const at = BigInt(offset)
      const kept = stored.get(partition)
      if (!kept || at < kept.from || at >= kept.end) continue
      const range = ranges.get(partition)
      ranges.set(partition, {
        from: range && range.from < at ? range.from : at,
        end: range && range.end > at + 1n ? range.end : at + 1n,
      })
    }
    let done = 0
    await readRanges(this.#o.transport, dlqTopic, ranges, {
      groupId: `ledger.dlq-replay.${randomUUID()}`,
      timeoutMs: this.#o.catchUpTimeoutMs,
      onRecords: async (_, records) => {
        for (const record of records) {
          const view = byKey.get(refKey(record))
          if (!view) continue
          byKey.delete(refKey(record))
          await this.#apply(group, view, options, 'replay', result, () =>
            this.#produce(dlqTopic, view, record, options),
          )
          options.onProgress?.({ done: ++done, total: targets.length })
        }
      },
    })
    // Indexed but no longer in Kafka: only if someone deleted records from the topic.
    for (const view of byKey.values()) result.missing.push({ partition: view.partition, offset: view.offset })
    // Partitions are read in parallel; answer in the order the records were selected.
    const order = new Map(targets.map((view, i) => [refKey(view), i]))
    for (const refs of [result.done, result.skipped]) {
      refs.sort((a, b) => (order.get(refKey(a)) ?? 0) - (order.get(refKey(b)) ?? 0))
    }
    return this.#finish(group, options, result)
  }

  /** Marks the selected records as discarded (recorded with the reason); nothing is produced. */
  async discard(group: string, selection: DlqSelection, options: DlqActionOptions): Promise<DlqActionResult> {
    if (!options.reason?.trim()) {
      throw new LedgerError('VALIDATION_FAILED', 'A discard needs a reason; it is kept in the audit trail.')
    }
    const { targets, result } = await this.#select(group, selection, 'discard')
    let done = 0
    for (const view of targets) {
      await this.#apply(group, view, options, 'discard', result, async () => {})
      options.onProgress?.({ done: ++done, total: targets.length })
    }
    return this.#finish(group, options, result)
  }

  /** The indexed records a selection names (listed ones, or every pending one matching a filter). */
  async #select(
    group: string,
    selection: DlqSelection,
    action: 'replay' | 'discard',
  ): Promise<{ targets: DlqRecordView[]; result: DlqActionResult }> {
    await this.#catchUp(group)
    const result: DlqActionResult = { action, done: [], skipped: [], missing: [] }
    if ('records' in selection) {
      const found = new Map((await this.#index.find(group, selection.records)).map((v) => [refKey(v), v]))
      const targets: DlqRecordView[] = []
      for (const ref of selection.records) {
        const view = found.get(refKey(ref))
        if (view) targets.push(view)
        else result.missing.push(ref)
      }
      return { targets, result }
    }
    const filter = { ...selection.filter, status: 'pending' as const }
    const targets: DlqRecordView[] = []
    for (let after: DlqRecordRef | undefined; ;) {
      const page = await this.#index.page(group, filter, { limit: SELECTION_PAGE, after })
      targets.push(...page)
      const last = page.at(-1)
      if (!last || page.length < SELECTION_PAGE) return { targets, result }
      after = last
    }
  }

  async #apply(
    group: string,
    view: DlqRecordView,
    options: DlqActionOptions,
    action: 'replay' | 'discard',
    result: DlqActionResult,
    effect: () => Promise<void>,
  ): Promise<void> {
    const ref = { partition: view.partition, offset: view.offset }
    const applied = await this.#actions.once(
      {
        group,
        ref,
        action,
        actor: options.actor,
        reason: options.reason ?? null,
        targetTopic: action === 'replay' ? view.originalTopic : null,
        eventId: view.event?.eventId ?? null,
        errorClass: view.errorClass ?? null,
      },
      effect,
    )
    ;(applied ? result.done : result.skipped).push(ref)
  }

  /**
   * Sends the record on unchanged (envelope, key, its own headers such as its correlation ID) with
   * the replay's marks, and logs it under the record's correlation ID so a search for that ID finds
   * the replay too.
   */
  async #produce(
    dlqTopic: string,
    view: DlqRecordView,
    record: IncomingRecord,
    options: DlqActionOptions,
  ): Promise<void> {
    const headers: Record<string, string> = {
      ...withoutRetryHeaders(record.headers),
      [RECORD_HEADERS.replayedFrom]: `${dlqTopic}/${view.partition}/${view.offset}`,
      ...(options.correlationId === undefined
        ? {}
        : { [RECORD_HEADERS.replayCorrelationId]: options.correlationId }),
    }
    await this.#o.sink.produceRaw({
      topic: view.originalTopic,
      key: view.key,
      value: record.value ?? Buffer.alloc(0),
      headers,
    })
    this.#logger.info(
      {
        ...recordTrace(headers, view.event),
        group: view.group,
        topic: view.originalTopic,
        actor: options.actor,
      },
      'DLQ record replayed to its original topic',
    )
  }

  async #finish(group: string, options: DlqActionOptions, result: DlqActionResult): Promise<DlqActionResult> {
    await this.#observe(group)
    this.#logger.info(
      {
        group,
        action: result.action,
        actor: options.actor,
        ...(options.correlationId === undefined ? {} : { replayCorrelationId: options.correlationId }),
        done: result.done.length,
        skipped: result.skipped.length,
      },
      `DLQ ${result.action} finished`,
    )
    return result
  }

  #catchUp(group: string): Promise<number> {
    return this.#indexer.catchUp(group, { timeoutMs: this.#o.catchUpTimeoutMs })
  }

  /** Sets the pending gauges from the index. */
  async #observe(group: string): Promise<void> {
    if (this.#pending || this.#oldest) await this.#readPending(group)
  }

  async #readPending(group: string): Promise<{ count: number; oldest: Date | null }> {
    const pending = await this.#index.pending(group)
    this.#pending?.set({ group }, pending.count)
    this.#oldestAt.set(group, pending.oldest ? pending.oldest.getTime() : null)
    return pending
  }
}

/** `<partition>:<offset>`, the `next` of a page. */
function parseCursor(cursor: string): DlqRecordRef {
  const match = /^(\d+):(\d+)$/.exec(cursor)
  if (!match) {
    throw new LedgerError(
      'VALIDATION_FAILED',
      `Invalid page cursor "${cursor}": expected the "next" of the previous page, <partition>:<offset>.`,
    )
  }
  return { partition: Number(match[1]), offset: String(BigInt(match[2]!)) }
}

function notFound(group: string, ref: DlqRecordRef): LedgerError {
  return new LedgerError(
    'NOT_FOUND',
    `DLQ of group "${group}" holds no record ${refKey(ref)}; list it with \`npm run dlq -- list --group ${group}\`.`,
  )
}
