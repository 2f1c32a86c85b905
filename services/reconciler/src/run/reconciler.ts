import {
  type Clock,
  type LedgerEvent,
  type Logger,
  findLedgerError,
  silentLogger,
  systemClock,
} from '@integration-ledger/core'
import { type LedgerPublisher, buildEvent } from '@integration-ledger/sdk'
import type pg from 'pg'
import { CatchUpStore } from '../catchup/catch-up-store.js'
import type { CatchUp, CatchUpReport } from '../catchup/types.js'
import type { LocalStore } from '../db/local-store.js'
import { type PageCommit, type ReviewDraft, type RunRow, RunStore } from '../db/run-store.js'
import type { ReconcilerMetrics } from '../metrics.js'
import type { EntityComparison, RemoteRecord, RemoteSource, RemoteStats } from '../remote/remote-source.js'
import { type DriftKind, type LocalRow, REPAIRABLE, classify, isTombstone } from './classify.js'
import type { RunCounts, RunReport } from './report.js'
import { acquireRunLock } from './run-lock.js'

/** The corrective event's type in the ledger. */
export const RECONCILED_EVENT_TYPE = 'ledger.reconciled'

/** What the engine needs to know about a source. */
export interface ReconcileTarget {
  source: string
  /** The ledger topic the source's events go to. */
  topic: string
  remote: RemoteSource
  comparison: EntityComparison
  /** The provider's event log, read at the start of each run (none: the provider keeps none we read). */
  catchUp?: CatchUp
}

export interface RunOptions {
  entityType: string
  /** Only records changed (for Stripe: created) since then; deletes are then not judged. */
  since?: Date
  /** Classify and report only: nothing published, no review item written. */
  dryRun?: boolean
  /** Who started it (a token name, `cli:<user>`, `schedule`). */
  actor: string
  /** Aborts between pages (and the page's requests); the run stays resumable. */
  signal?: AbortSignal
  /** Called after every committed page. */
  onProgress?: (progress: RunProgress) => void
  /** Whether the run starts with the catch-up phase (when the target has one). @default true */
  catchUp?: boolean
  /** Called after every catch-up page whose progress was saved. */
  onCatchUpPage?: (report: CatchUpReport) => void
}

export interface RunProgress {
  runId: string
  pages: number
  compared: number
  /** Records compared per second since this process started or resumed the run. */
  ratePerSecond: number
}

export interface ReconcilerOptions {
  pool: pg.Pool
  local: LocalStore
  publisher: LedgerPublisher
  metrics: ReconcilerMetrics
  /** Called after every run, finished or failed (e.g. to refresh the open review gauge). */
  afterRun?: () => Promise<unknown>
  /** The time the catch-up window is judged by. @default systemClock */
  clock?: Clock
  /** @default silentLogger */
  logger?: Logger
}

/**
 * The provider event ID of a corrective event: derived from what it asserts, so every run that
 * finds the same drift derives the same ledger event ID (`eventIdFor(source, this)`).
 */
export function correctiveProviderEventId(entityType: string, entityId: string, version: number): string {
  return `reconcile:${entityType}:${entityId}:${version}`
}

/**
 * Runs reconciliations: scan (page by page, checkpointed), classify, repair the safe cases through
 * the ledger, put the ambiguous ones in review, and after a complete enumeration judge deletes.
 *
 * Idempotency: a repair's event ID is deterministic. Before publishing, a page's repairs are
 * looked up in `reconcile_publications` and `ledger_events`; the page's publications are recorded
 * in the same transaction as its checkpoint. The one window: killed after the broker acknowledged a
 * page's events but before its checkpoint committed, the resumed run publishes those events again
 * (same event IDs, unless the projector recorded them meanwhile), and the projector counts them as
 * redeliveries: the ledger still holds each once.
 */
export class Reconciler {
  readonly #runs: RunStore
  readonly #catchUps: CatchUpStore
  readonly #clock: Clock
  readonly #logger: Logger

  constructor(private readonly options: ReconcilerOptions) {
    this.#runs = new RunStore(options.pool)
    this.#catchUps = new CatchUpStore(options.pool)
    this.#clock = options.clock ?? systemClock
    this.#logger = options.logger ?? silentLogger
  }

  get runs(): RunStore {
    return this.#runs
  }

  get catchUps(): CatchUpStore {
    return this.#catchUps
  }

  /** One run of `target`/`entityType` to its end, resuming the latest unfinished one with the same options. */
  async run(target: ReconcileTarget, options: RunOptions): Promise<RunReport> {
    return (await this.start(target, options)).finished
  }

  /**
   * Takes the run lock and picks the run (the latest unfinished one with the same options, or a
   * new one), then goes on in the background. Rejects at once with CONFLICT when a run holds the lock.
   */
  async start(
    target: ReconcileTarget,
    options: RunOptions,
  ): Promise<{ runId: string; finished: Promise<RunReport> }> {
    const lock = await acquireRunLock(this.options.pool, target.source, options.entityType)
    let run: RunRow
    try {
      const since = options.since ?? null
      const dryRun = options.dryRun ?? false
      const resumable = await this.#runs.resumable(target.source, options.entityType, since, dryRun)
      if (resumable === undefined) {
        run = await this.#runs.create(target.source, options.entityType, since, dryRun, options.actor)
      } else {
        await this.#runs.markResumed(resumable.id)
        run = { ...resumable, resumed: resumable.resumed + 1 }
      }
    } catch (err) {
      await lock.release()
      throw err
    }
    const finished = this.#drive(target, options, run).finally(async () => {
      await lock.release()
      await this.options.afterRun?.().catch(() => {})
    })
    // The caller may only want the run ID; the outcome is in the run's row either way.
    finished.catch(() => {})
    return { runId: run.id, finished }
  }

  async #drive(target: ReconcileTarget, options: RunOptions, run: RunRow): Promise<RunReport> {
    const ctx = new RunContext(this.options, this.#runs, target, run, options, Date.now(), (event) =>
      this.publishCorrective(target, event),
    )
    try {
      if (target.catchUp !== undefined && options.catchUp !== false && run.catchUp === null) {
        const caught = await this.#catchUp(target, target.catchUp, options, run)
        if (caught !== undefined) await this.#runs.saveCatchUp(run, caught)
      }
      while (!run.enumerated) {
        options.signal?.throwIfAborted()
        const page = await target.remote.listPage(options.entityType, run.cursor ?? undefined, {
          ...(options.since === undefined ? {} : { since: options.since }),
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        })
        const outcome = await ctx.judge(page.records)
        await ctx.commit(outcome, {
          cursor: page.nextCursor ?? null,
          enumerated: page.nextCursor === undefined,
          pagesDelta: 1,
          seen: page.records.map((r) => r.entityId),
        })
      }
      // Deletes only after a complete, unwindowed enumeration.
      const deletesChecked = options.since === undefined
      if (deletesChecked) await ctx.judgeUnseen()
      const report = ctx.report('succeeded', deletesChecked)
      await this.#runs.finish(run, report)
      // Only a run that compared and repaired everything keeps the Overdue alert quiet.
      if (deletesChecked && !run.dryRun) {
        this.options.metrics.lastSuccess.set(
          { source: target.source, entity_type: options.entityType },
          Date.now() / 1000,
        )
      }
      this.#observe(target, options, report)
      return report
    } catch (err) {
      // Not on abort: an aborted run is left running, to be resumed as a killed one would be.
      if (!(options.signal?.aborted ?? false)) {
        const report = ctx.report('failed', false, err instanceof Error ? err.message : String(err))
        await this.#runs.finish(run, report).catch(() => {})
        this.#observe(target, options, report)
      }
      throw err
    }
  }

  /**
   * The catch-up phase: one pass over the provider's event log from the source's checkpoint. One
   * pass per source at a time (its runs of other entity types skip it meanwhile); `undefined`
   * when skipped so.
   */
  async #catchUp(
    target: ReconcileTarget,
    catchUp: CatchUp,
    options: RunOptions,
    run: RunRow,
  ): Promise<CatchUpReport | undefined> {
    let lock
    try {
      lock = await acquireRunLock(this.options.pool, target.source, 'catch-up')
    } catch (err) {
      if (findLedgerError(err)?.code !== 'CONFLICT') throw err
      this.#logger.info(
        { source: target.source, runId: run.id },
        'catch-up skipped: another run of this source is catching up',
      )
      return undefined
    }
    try {
      const report = await catchUp.pass({
        source: target.source,
        store: this.#catchUps,
        local: this.options.local,
        clock: this.#clock,
        dryRun: run.dryRun,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(options.onCatchUpPage === undefined ? {} : { onPage: options.onCatchUpPage }),
      })
      const { metrics } = this.options
      metrics.catchUpEvents.inc({ source: target.source, outcome: 'published' }, report.published)
      metrics.catchUpEvents.inc({ source: target.source, outcome: 'duplicate' }, report.duplicates)
      metrics.catchUpEvents.inc(
        { source: target.source, outcome: 'redelivery_requested' },
        report.redeliveriesRequested,
      )
      if (report.checkpointAfter !== null) {
        metrics.catchUpCheckpoints.set(target.source, Date.parse(report.checkpointAfter) / 1000)
      }
      const fields = { source: target.source, runId: run.id, catchUp: report }
      if (report.windowExceeded) {
        this.#logger.error(
          fields,
          `catch-up checkpoint older than the provider's event log: ${report.warning}`,
        )
      } else if (report.warning !== undefined) {
        this.#logger.warn(
          fields,
          `catch-up checkpoint close to the end of the provider's event log: ${report.warning}`,
        )
      } else {
        this.#logger.info(fields, 'catch-up pass done')
      }
      return report
    } finally {
      await lock.release()
    }
  }

  /** Publishes one corrective event (also used by "accept remote"). */
  async publishCorrective(target: { source: string; topic: string }, event: LedgerEvent): Promise<void> {
    await this.options.publisher.publish(event, { topic: target.topic })
    this.options.metrics.repairs.inc({ source: target.source, entity_type: event.entityType })
  }

  #observe(target: ReconcileTarget, options: RunOptions, report: RunReport): void {
    this.options.metrics.runDuration.observe(
      { source: target.source, entity_type: options.entityType, status: report.status },
      report.durationSeconds,
    )
  }
}

/** A page's findings, before its checkpoint. */
interface Judged {
  compared: number
  drift: DriftKind[]
  repairs: { event: LedgerEvent; reason: DriftKind; remote: RemoteRecord; local: LocalRow | undefined }[]
  reviews: ReviewDraft[]
}

/** The state of one run in this process. */
class RunContext {
  #lastStats: RemoteStats
  #comparedHere = 0

  constructor(
    private readonly options: ReconcilerOptions,
    private readonly runs: RunStore,
    private readonly target: ReconcileTarget,
    private readonly run: RunRow,
    private readonly runOptions: RunOptions,
    private readonly startedMs: number,
    private readonly publish: (event: LedgerEvent) => Promise<void>,
  ) {
    this.#lastStats = target.remote.stats?.() ?? { requests: 0, throttleWaits: 0, throttleWaitMs: 0 }
  }

  async judge(records: readonly RemoteRecord[]): Promise<Judged> {
    const local = await this.options.local.projections(
      this.target.source,
      this.run.entityType,
      records.map((r) => r.entityId),
    )
    const judged: Judged = { compared: records.length, drift: [], repairs: [], reviews: [] }
    for (const remote of records) this.#judgeOne(remote, local.get(remote.entityId), judged)
    return judged
  }

  /** After a complete enumeration: projections the listing did not show, confirmed one by one. */
  async judgeUnseen(): Promise<void> {
    const unseen = await this.options.local.unseen(this.target.source, this.run.entityType, this.run.id)
    for (let i = 0; i < unseen.length; i += 100) {
      const chunk = unseen.slice(i, i + 100)
      const judged: Judged = { compared: 0, drift: [], repairs: [], reviews: [] }
      for (const local of chunk) {
        this.runOptions.signal?.throwIfAborted()
        if (isTombstone(local, this.target.comparison)) continue
        const remote = await this.target.remote.retrieve(this.run.entityType, local.entityId)
        if (remote === 'missing') {
          judged.drift.push('missing-remotely')
          judged.reviews.push(review(local.entityId, 'missing-remotely', local, undefined))
        } else {
          judged.compared++
          this.#judgeOne(remote, local, judged)
        }
      }
      await this.commit(judged, { cursor: null, enumerated: true, pagesDelta: 0, seen: [] })
    }
  }

  #judgeOne(remote: RemoteRecord, local: LocalRow | undefined, judged: Judged): void {
    const kind = classify(remote, local, this.target.comparison)
    if (kind === undefined) return
    judged.drift.push(kind)
    if (REPAIRABLE.has(kind)) {
      judged.repairs.push({ event: this.#corrective(remote), reason: kind, remote, local })
    } else {
      judged.reviews.push(review(remote.entityId, kind, local, remote))
    }
  }

  #corrective(remote: RemoteRecord): LedgerEvent {
    return buildEvent({
      source: this.target.source,
      providerEventId: correctiveProviderEventId(remote.entityType, remote.entityId, remote.version),
      type: RECONCILED_EVENT_TYPE,
      entityType: remote.entityType,
      entityId: remote.entityId,
      entityVersion: remote.version,
      rawBody: Buffer.from(JSON.stringify(remote.state)),
      // The run's ID is its correlation ID: a run outlives the request that started it (it is
      // resumed by later requests, the schedule, or after a restart), and its ID names it in every
      // log line, so the projector's lines for its repairs lead back to the run.
      correlationId: this.run.id,
      headers: { 'ledger-reconcile-run': this.run.id },
    })
  }

  /** Publishes what is not yet published, then commits the page's checkpoint. */
  async commit(
    judged: Judged,
    page: Pick<PageCommit, 'cursor' | 'enumerated' | 'pagesDelta' | 'seen'>,
  ): Promise<void> {
    const dryRun = this.run.dryRun
    const ids = judged.repairs.map((r) => r.event.eventId)
    const done = await this.runs.published(ids)
    const recorded = await this.options.local.inLedger(ids)
    for (const id of recorded) done.add(id)
    const fresh = judged.repairs.filter((r) => !done.has(r.event.eventId))
    // The ledger recorded this very correction, yet the projection still lacks it: the row was lost
    // or changed after the projector applied it. Another event with the same ID would be a
    // redelivery and change nothing; a person decides (projector:rebuild, or accept remote).
    const reviews = [...judged.reviews]
    for (const r of judged.repairs) {
      if (!recorded.has(r.event.eventId)) continue
      reviews.push({
        ...review(r.remote.entityId, r.reason, r.local, r.remote),
        detail: {
          ledgerHasCorrection: r.event.eventId,
          hint: 'the ledger holds this state but the projection lost it: run npm run projector:rebuild, or accept remote',
        },
      })
    }
    if (!dryRun) await Promise.all(fresh.map((r) => this.publish(r.event)))

    const stats = this.target.remote.stats?.() ?? this.#lastStats
    const counts: RunCounts = { ...this.run.counts, drift: { ...this.run.counts.drift } }
    counts.compared += judged.compared
    for (const kind of judged.drift) counts.drift[kind] = (counts.drift[kind] ?? 0) + 1
    counts.repairsPublished += dryRun ? 0 : fresh.length
    counts.repairsAlreadyPublished += judged.repairs.length - fresh.length
    counts.requests += stats.requests - this.#lastStats.requests
    counts.throttleWaits += stats.throttleWaits - this.#lastStats.throttleWaits
    counts.throttleWaitMs += stats.throttleWaitMs - this.#lastStats.throttleWaitMs
    this.#lastStats = stats
    await this.runs.commitPage(this.run, {
      ...page,
      counts,
      publications: dryRun
        ? []
        : fresh.map((r) => ({
            eventId: r.event.eventId,
            entityId: r.event.entityId,
            version: r.event.entityVersion,
            reason: r.reason,
          })),
      reviews: dryRun ? [] : reviews,
    })

    const labels = { source: this.target.source, entity_type: this.run.entityType }
    this.options.metrics.compared.inc(labels, judged.compared)
    for (const kind of judged.drift) this.options.metrics.drift.inc({ ...labels, kind })
    this.#comparedHere += judged.compared
    const elapsed = Math.max((Date.now() - this.startedMs) / 1000, 0.001)
    this.runOptions.onProgress?.({
      runId: this.run.id,
      pages: this.run.pages,
      compared: this.run.counts.compared,
      ratePerSecond: this.#comparedHere / elapsed,
    })
  }

  report(status: RunReport['status'], deletesChecked: boolean, error?: string): RunReport {
    const finished = new Date()
    return {
      ...this.run.counts,
      runId: this.run.id,
      source: this.run.source,
      entityType: this.run.entityType,
      since: this.run.since?.toISOString() ?? null,
      dryRun: this.run.dryRun,
      status,
      ...(error === undefined ? {} : { error }),
      startedBy: this.run.startedBy,
      startedAt: this.run.startedAt.toISOString(),
      finishedAt: finished.toISOString(),
      durationSeconds: (finished.getTime() - this.run.startedAt.getTime()) / 1000,
      pages: this.run.pages,
      resumed: this.run.resumed,
      deletesChecked,
      catchUp: this.run.catchUp,
    }
  }
}

function review(
  entityId: string,
  kind: DriftKind,
  local: LocalRow | undefined,
  remote: RemoteRecord | undefined,
): ReviewDraft {
  return {
    entityId,
    kind,
    localVersion: local?.version ?? null,
    remoteVersion: remote?.version ?? null,
    remoteState: remote?.state,
    detail: {},
  }
}
