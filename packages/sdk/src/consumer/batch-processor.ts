import type { LedgerEvent, Logger } from '@integration-ledger/core'
import type { ConsumerTransport, IncomingBatch, IncomingRecord } from '@integration-ledger/kafka'
import type { DueScheduler } from './due-scheduler.js'
import type { ConsumerMetrics } from './metrics.js'
import type { ResolvedPolicy } from './options.js'
import { recordTrace } from '../record-headers.js'
import { readRetryState } from './retry-headers.js'
import { routeFailure, type Route } from './retry-router.js'
import type { SinkBreaker } from './sink-breaker.js'
import type { BatchContext, ConsumedEvent, RawRecordSink, SubscribeOptions } from './types.js'

export interface BatchProcessorDeps {
  policy: ResolvedPolicy
  consumer: Pick<ConsumerTransport, 'commit'>
  scheduler: DueScheduler
  breaker: SinkBreaker
  sink: RawRecordSink
  decode: (value: Buffer) => Promise<LedgerEvent>
  handleBatch: SubscribeOptions['handleBatch']
  handleEvent: SubscribeOptions['handleEvent']
  retryTopics: ReadonlySet<string>
  metrics: ConsumerMetrics | undefined
  logger: Logger
}

interface Failure {
  record: IncomingRecord
  err: unknown
  /** Absent when the record could not be decoded. */
  event?: LedgerEvent
}

interface HandleResult {
  handled: ConsumedEvent[]
  failures: Failure[]
  /** Set when the sink went down: nothing from this offset on was handled. */
  sinkDownAt?: { offset: string; err: unknown }
}

const before = (offset: string, limit: string | undefined) =>
  limit === undefined || BigInt(offset) < BigInt(limit)

/**
 * Handles one partition batch: holds it while the sink breaker is open, stops at the first retry
 * record not yet due, decodes, calls the handler (isolating failing records), routes failures to
 * a retry tier or the DLQ, then commits exactly what was done.
 */
export class BatchProcessor {
  readonly #d: BatchProcessorDeps

  constructor(deps: BatchProcessorDeps) {
    this.#d = deps
  }

  async process(batch: IncomingBatch): Promise<void> {
    const { scheduler, breaker, policy, logger } = this.#d
    const first = batch.records[0]
    if (!first) return
    const started = performance.now()
    const now = Date.now()
    const openUntil = breaker.openUntil(now)
    if (openUntil !== undefined) {
      scheduler.hold(batch.topic, batch.partition, first.offset, openUntil, 'breaker')
      return
    }
    const ctx: BatchContext = { ...batch, isRetry: this.#d.retryTopics.has(batch.topic) }

    // A retry partition is in due order (one tier, one delay, appended in time order), so the
    // first record not yet due ends what may be delivered now.
    let records = batch.records
    let due: { offset: string; until: number } | undefined
    if (ctx.isRetry) {
      const index = records.findIndex((r) => (readRetryState(r).dueAt?.getTime() ?? 0) > now)
      const waiting = records[index]
      if (waiting) {
        due = { offset: waiting.offset, until: readRetryState(waiting).dueAt?.getTime() ?? now }
        records = records.slice(0, index)
      }
    }

    const failures: Failure[] = []
    const events: ConsumedEvent[] = []
    for (const record of records) {
      if (!record.value) continue
      try {
        const event = await this.#d.decode(record.value)
        const state = readRetryState(record)
        events.push({ event, record, origin: state.origin, attempt: state.attempt })
      } catch (err) {
        if (policy.isSinkDown(err)) return this.#trip(batch, first.offset, err)
        failures.push({ record, err })
      }
    }

    const result = await this.#handle(events, ctx)
    const stopAt = result.sinkDownAt?.offset ?? due?.offset
    const routes = [...failures, ...result.failures]
      .filter((f) => before(f.record.offset, stopAt))
      .sort((a, b) => (BigInt(a.record.offset) < BigInt(b.record.offset) ? -1 : 1))
      .map((f) => ({ failure: f, route: routeFailure(f.record, f.err, policy, new Date()) }))
    if (batch.isStale()) return

    try {
      await Promise.all(routes.map(({ route }) => this.#d.sink.produceRaw(route.record)))
    } catch (err) {
      // Retry topics unreachable: keep nothing, re-read the batch later. Records already handled
      // are handled again, which version checks downstream make harmless.
      return this.#trip(batch, first.offset, err)
    }

    const last = records[records.length - 1]
    const next = stopAt ?? (last ? (BigInt(last.offset) + 1n).toString() : undefined)
    if (next !== undefined && BigInt(next) > BigInt(first.offset)) {
      await this.#d.consumer.commit([{ topic: batch.topic, partition: batch.partition, offset: next }])
      const committed = (BigInt(next) - 1n).toString()
      const lastCommitted = batch.records.find((r) => r.offset === committed)
      this.#d.metrics?.lag(batch.topic, batch.partition, batch.highWatermark, next, lastCommitted?.timestamp)
    }
    if (result.sinkDownAt) this.#trip(batch, result.sinkDownAt.offset, result.sinkDownAt.err)
    else {
      if (result.handled.length > 0 && breaker.tripped) {
        breaker.succeed()
        this.#d.metrics?.breakerOpen(false)
        logger.info({ topic: batch.topic, partition: batch.partition }, 'sink is back: breaker closed')
      }
      if (due) scheduler.hold(batch.topic, batch.partition, due.offset, due.until, 'due')
    }
    this.#report(batch, result.handled, routes, performance.now() - started)
  }

  async #handle(events: ConsumedEvent[], ctx: BatchContext): Promise<HandleResult> {
    const { handleBatch, handleEvent, policy, logger } = this.#d
    const firstEvent = events[0]
    if (!firstEvent) return { handled: [], failures: [] }
    if (handleBatch) {
      try {
        await handleBatch(events, ctx)
        return { handled: events, failures: [] }
      } catch (err) {
        if (policy.isSinkDown(err))
          return { handled: [], failures: [], sinkDownAt: { offset: firstEvent.record.offset, err } }
        logger.warn(
          { err, topic: ctx.topic, partition: ctx.partition, records: events.length },
          'batch handler failed; handling its records one by one so only the failing ones are retried',
        )
      }
    }
    const handleOne = handleBatch
      ? (e: ConsumedEvent) => handleBatch([e], ctx)
      : (e: ConsumedEvent) => (handleEvent as NonNullable<typeof handleEvent>)(e, ctx)
    const result: HandleResult = { handled: [], failures: [] }
    for (const e of events) {
      if (ctx.isStale()) break
      try {
        await handleOne(e)
        result.handled.push(e)
      } catch (err) {
        if (policy.isSinkDown(err)) return { ...result, sinkDownAt: { offset: e.record.offset, err } }
        result.failures.push({ record: e.record, err, event: e.event })
      }
      await ctx.heartbeat()
    }
    return result
  }

  #trip(batch: IncomingBatch, offset: string, err: unknown): void {
    const resumeAt = this.#d.breaker.trip(Date.now())
    this.#d.metrics?.breakerOpen(true)
    this.#d.logger.warn(
      {
        err,
        topic: batch.topic,
        partition: batch.partition,
        offset,
        resumeAt: new Date(resumeAt).toISOString(),
      },
      'sink is down: holding consumption instead of routing records to retry topics; probing again at resumeAt',
    )
    this.#d.scheduler.hold(batch.topic, batch.partition, offset, resumeAt, 'breaker')
  }

  /**
   * Logs where failed records went (info for a retry, warn for the DLQ) and each handled event:
   * at info when it came from a retry tier or a replay (rare, and what an operator looks for after
   * acting), else at debug, which a busy consumer leaves off. Each line names the event and its
   * correlation ID, so one ID finds the record's whole path.
   */
  #report(
    batch: IncomingBatch,
    handled: readonly ConsumedEvent[],
    routes: { failure: Failure; route: Route }[],
    durationMs: number,
  ): void {
    const { metrics, logger } = this.#d
    for (const { failure, route } of routes) {
      const where = {
        topic: batch.topic,
        partition: batch.partition,
        offset: failure.record.offset,
        ...recordTrace(failure.record.headers, failure.event),
        err: failure.err,
      }
      if (route.kind === 'retry') {
        metrics?.retried(route.tier.name)
        logger.info({ ...where, tier: route.tier.name }, 'record failed transiently; moved to a retry tier')
      } else {
        logger.warn(
          { ...where, failureKind: route.failureKind, dlq: route.record.topic },
          'record moved to the DLQ; inspect and replay or discard it with `npm run dlq`',
        )
      }
    }
    for (const { event, record, attempt } of handled) {
      const trace = recordTrace(record.headers, event)
      const fields = {
        topic: batch.topic,
        partition: batch.partition,
        offset: record.offset,
        attempt,
        ...trace,
      }
      if (attempt > 0 || trace.replayedFrom !== undefined) logger.info(fields, 'event handled')
      else logger.debug(fields, 'event handled')
    }
    metrics?.outcome('handled', handled.length)
    metrics?.outcome('retried', routes.filter((r) => r.route.kind === 'retry').length)
    metrics?.outcome('dead_lettered', routes.filter((r) => r.route.kind === 'dlq').length)
    metrics?.batch(batch.records.length, durationMs / 1000)
  }
}
