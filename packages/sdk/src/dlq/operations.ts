import { LedgerError, describeError, type LedgerEvent, type Logger, silentLogger } from '@ledger/core'
import type { IncomingRecord, KafkaTransport } from '@ledger/kafka'
import type { EnvelopeCodec } from '@ledger/registry'
import type pg from 'pg'
import { Gauge, type Registry } from 'prom-client'
import { RETRY_HEADERS, readRetryState, withoutRetryHeaders } from '../consumer/retry-headers.js'
import type { RawRecordSink } from '../consumer/types.js'
import { dlqTopicName } from '../topology.js'
import { DlqActionStore, refKey, type DlqActionRow } from './action-store.js'
import { readTopic } from './read-topic.js'
import type {
  DlqActionOptions,
  DlqActionResult,
  DlqFilter,
  DlqRecordDetail,
  DlqRecordRef,
  DlqRecordView,
  DlqSelection,
} from './types.js'

/** Header a replayed record carries: the DLQ record it came from, `<dlq topic>/<partition>/<offset>`. */
export const REPLAYED_FROM_HEADER = 'ledger-replayed-from'

export interface DlqOperationsOptions {
  transport: KafkaTransport
  codec: EnvelopeCodec
  pool: pg.Pool
  /** Producer for replays. */
  sink: RawRecordSink
  /** Registry for `ledger_dlq_pending_records` and `ledger_dlq_oldest_pending_age_seconds`. */
  metrics?: Registry
  logger?: Logger
}

interface Loaded {
  record: IncomingRecord
  view: DlqRecordView
}

/**
 * DLQ operations shared by the admin API and the CLI: list, show, replay (to the original topic,
 * once per DLQ record) and discard. Every replay and discard is recorded in `dlq_actions`.
 */
export class DlqOperations {
  readonly #o: DlqOperationsOptions
  readonly #store: DlqActionStore
  readonly #pending: Gauge | undefined
  readonly #oldest: Gauge | undefined
  readonly #logger: Logger

  constructor(options: DlqOperationsOptions) {
    this.#o = options
    this.#store = new DlqActionStore(options.pool)
    this.#logger = options.logger ?? silentLogger
    const registers = options.metrics ? [options.metrics] : undefined
    if (registers) {
      this.#pending = new Gauge({
        name: 'ledger_dlq_pending_records',
        help: 'DLQ records neither replayed nor discarded, as of the last list, replay or discard.',
        labelNames: ['group'],
        registers,
      })
      this.#oldest = new Gauge({
        name: 'ledger_dlq_oldest_pending_age_seconds',
        help: 'Age of the oldest pending DLQ record, as of the last list, replay or discard.',
        labelNames: ['group'],
        registers,
      })
    }
  }

  /** Creates the `dlq_actions` table when missing. */
  migrate(): Promise<void> {
    return this.#store.migrate()
  }

  /** DLQ records of a group matching the filter, oldest partition/offset first. */
  async list(group: string, filter: DlqFilter = {}): Promise<DlqRecordView[]> {
    const all = await this.#load(group)
    this.#observe(group, all, new Set())
    return all.filter(({ view }) => matches(view, filter)).map(({ view }) => view)
  }

  /** One DLQ record with all its headers; NOT_FOUND when the DLQ does not hold it. */
  async show(group: string, ref: DlqRecordRef): Promise<DlqRecordDetail> {
    const found = (await this.#load(group)).find(({ view }) => refKey(view) === refKey(ref))
    if (!found) throw notFound(group, ref)
    return { ...found.view, headers: found.record.headers, valueBytes: found.record.value?.length ?? 0 }
  }

  /**
   * Produces the selected records to their original topic (retry headers removed,
   * `ledger-replayed-from` added), each at most once: a record replayed or discarded before is
   * skipped. Consumers check versions, so replaying an event older than the entity's state is
   * harmless: it is recorded as stale.
   */
  replay(group: string, selection: DlqSelection, options: DlqActionOptions): Promise<DlqActionResult> {
    const dlqTopic = dlqTopicName(group)
    return this.#act(group, selection, options, 'replay', async ({ record, view }) => {
      await this.#o.sink.produceRaw({
        topic: view.originalTopic,
        key: view.key,
        value: record.value ?? Buffer.alloc(0),
        headers: {
          ...withoutRetryHeaders(record.headers),
          [REPLAYED_FROM_HEADER]: `${dlqTopic}/${view.partition}/${view.offset}`,
        },
      })
    })
  }

  /** Marks the selected records as discarded (recorded with the reason); nothing is produced. */
  async discard(group: string, selection: DlqSelection, options: DlqActionOptions): Promise<DlqActionResult> {
    if (!options.reason?.trim()) {
      throw new LedgerError('VALIDATION_FAILED', 'A discard needs a reason; it is kept in the audit trail.')
    }
    return this.#act(group, selection, options, 'discard', async () => {})
  }

  async #act(
    group: string,
    selection: DlqSelection,
    options: DlqActionOptions,
    action: 'replay' | 'discard',
    effect: (loaded: Loaded) => Promise<void>,
  ): Promise<DlqActionResult> {
    const all = await this.#load(group)
    const result: DlqActionResult = { action, done: [], skipped: [], missing: [] }
    let targets: Loaded[]
    if ('records' in selection) {
      const byKey = new Map(all.map((l) => [refKey(l.view), l]))
      targets = []
      for (const ref of selection.records) {
        const found = byKey.get(refKey(ref))
        if (found) targets.push(found)
        else result.missing.push(ref)
      }
    } else {
      targets = all.filter(({ view }) => matches(view, { ...selection.filter, status: 'pending' }))
    }
    let done = 0
    for (const target of targets) {
      const ref = { partition: target.view.partition, offset: target.view.offset }
      const applied = await this.#store.once(
        {
          group,
          ref,
          action,
          actor: options.actor,
          reason: options.reason ?? null,
          targetTopic: action === 'replay' ? target.view.originalTopic : null,
          eventId: target.view.event?.eventId ?? null,
          errorClass: target.view.errorClass ?? null,
        },
        () => effect(target),
      )
      ;(applied ? result.done : result.skipped).push(ref)
      options.onProgress?.({ done: ++done, total: targets.length })
    }
    this.#observe(group, all, new Set(result.done.map(refKey)))
    this.#logger.info(
      { group, action, actor: options.actor, done: result.done.length, skipped: result.skipped.length },
      `DLQ ${action} finished`,
    )
    return result
  }

  async #load(group: string): Promise<Loaded[]> {
    const [records, resolutions] = await Promise.all([
      readTopic(this.#o.transport, dlqTopicName(group)),
      this.#store.resolutions(group),
    ])
    return Promise.all(
      records.map(async (record) => ({ record, view: await this.#view(group, record, resolutions) })),
    )
  }

  async #view(
    group: string,
    record: IncomingRecord,
    resolutions: Map<string, DlqActionRow>,
  ): Promise<DlqRecordView> {
    const state = readRetryState(record)
    const resolution = resolutions.get(refKey(record))
    const view: DlqRecordView = {
      group,
      partition: record.partition,
      offset: record.offset,
      key: record.key?.toString() ?? null,
      deadLetteredAt: new Date(record.timestamp).toISOString(),
      originalTopic: state.origin.topic,
      originalPartition: state.origin.partition,
      originalOffset: state.origin.offset,
      attempt: state.attempt,
      failureKind: state.failureKind,
      errorClass: state.errorClass,
      errorMessage: state.errorMessage,
      firstFailureAt: record.headers[RETRY_HEADERS.firstFailureAt],
      status: resolution ? (resolution.action === 'replay' ? 'replayed' : 'discarded') : 'pending',
      ...(resolution && {
        resolution: {
          action: resolution.action,
          actor: resolution.actor,
          at: resolution.at.toISOString(),
          reason: resolution.reason,
        },
      }),
    }
    try {
      view.event = summary(await this.#o.codec.decode(record.value ?? Buffer.alloc(0)))
    } catch (err) {
      view.decodeError = describeError(err).message
    }
    return view
  }

  /** Sets the pending gauges; `resolvedNow` are records acted on since `all` was loaded. */
  #observe(group: string, all: Loaded[], resolvedNow: ReadonlySet<string>): void {
    const pending = all.filter(({ view }) => view.status === 'pending' && !resolvedNow.has(refKey(view)))
    this.#pending?.set({ group }, pending.length)
    const oldest = Math.min(...pending.map(({ record }) => record.timestamp))
    this.#oldest?.set({ group }, Number.isFinite(oldest) ? (Date.now() - oldest) / 1000 : 0)
  }
}

function summary(event: LedgerEvent): NonNullable<DlqRecordView['event']> {
  return {
    eventId: event.eventId,
    source: event.source,
    type: event.type,
    entityType: event.entityType,
    entityId: event.entityId,
    entityVersion: event.entityVersion,
    occurredAt: event.occurredAt.toISOString(),
    bodyBytes: event.rawBody.length,
  }
}

function matches(view: DlqRecordView, filter: DlqFilter): boolean {
  const at = Date.parse(view.deadLetteredAt)
  return (
    (filter.source === undefined || view.event?.source === filter.source) &&
    (filter.errorClass === undefined || view.errorClass === filter.errorClass) &&
    (filter.since === undefined || at >= filter.since.getTime()) &&
    (filter.until === undefined || at < filter.until.getTime()) &&
    (filter.status === undefined || filter.status === 'all' || view.status === filter.status)
  )
}

function notFound(group: string, ref: DlqRecordRef): LedgerError {
  return new LedgerError(
    'NOT_FOUND',
    `DLQ of group "${group}" holds no record ${refKey(ref)}; list it with \`npm run dlq -- list --group ${group}\`.`,
  )
}
