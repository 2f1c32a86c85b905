import { eventIdFor } from '@integration-ledger/core'
import { STRIPE_EVENTS_WINDOW_SECONDS, type StripeApi } from '@integration-ledger/providers'
import type { IngestRecovery } from './ingest-recovery.js'
import { DEFAULT_SETTLE_TIMEOUT_MS, settle } from './settle.js'
import { type CatchUp, type CatchUpContext, type CatchUpReport, emptyCatchUpReport } from './types.js'

/** Committed: events created at or after `since` (unix seconds) are read by the next pass. */
interface Checkpoint {
  since: number
}

/** In progress: the range being walked (newest first) and the last event ID done. */
interface Pass {
  floor: number
  /** The checkpoint this pass commits when it completes. */
  next: number
  cursor?: string
}

/**
 * Events created this long before a pass starts are read again by the next one: an event is
 * listable a moment after its `created` second, and reading a few twice costs a ledger lookup.
 */
const OVERLAP_SECONDS = 300

export interface StripeEventsCatchUpOptions {
  api: StripeApi
  recovery: IngestRecovery
  /** Page size. @default 100 */
  pageSize?: number
  /** Warn when the checkpoint is older than this (seconds). @default 20 days (10 before the window) */
  warnAfterSeconds?: number
  /**
   * How long a pass waits for the projector to record what it published before the run's scan
   * compares (else the scan would repair, with a corrective event, what catch-up just brought).
   * @default 30000
   */
  settleTimeoutMs?: number
}

/**
 * Stripe's `GET /v1/events` from the saved checkpoint: every event the ledger lacks is handed to
 * ingest (`POST /recovered/:source`), which keys it exactly as its webhook (`extractStripe`: the
 * event's `id`, entity from `data.object`, version its `created`) and claims it in the webhook's
 * dedup row. All events are read, not only `delivery_success=false` ones: a webhook Stripe counts
 * as delivered can still be missing here (answered by something else, a restored database), and
 * what decides is the ledger.
 *
 * Stripe keeps events for 30 days (`STRIPE_EVENTS_WINDOW_SECONDS`). A checkpoint older than that
 * has lost events for good: the pass says so (`windowExceeded`, an error log line, the report's
 * `warning`) and reads what is left; the scan that follows in the same run finds what the lost
 * events changed.
 */
export class StripeEventsCatchUp implements CatchUp {
  readonly log = 'stripe-events' as const
  readonly windowSeconds = STRIPE_EVENTS_WINDOW_SECONDS
  readonly #warnAfter: number

  constructor(private readonly options: StripeEventsCatchUpOptions) {
    this.#warnAfter = options.warnAfterSeconds ?? 20 * 86_400
  }

  async pass(ctx: CatchUpContext): Promise<CatchUpReport> {
    const report: CatchUpReport = { ...emptyCatchUpReport(this.log), windowSeconds: this.windowSeconds }
    const nowSeconds = Math.floor(ctx.clock.now() / 1000)
    const windowFloor = nowSeconds - this.windowSeconds
    const state = await ctx.store.load<Checkpoint, Pass>(ctx.source)
    const { checkpoint } = state
    if (checkpoint !== null) {
      report.checkpointBefore = new Date(checkpoint.since * 1000).toISOString()
      report.checkpointAgeSeconds = nowSeconds - checkpoint.since
      report.windowExceeded = checkpoint.since < windowFloor
      if (report.windowExceeded) {
        report.warning = `The catch-up checkpoint (${report.checkpointBefore}) is older than Stripe's ${this.windowSeconds / 86_400}-day event window: events between it and ${new Date(windowFloor * 1000).toISOString()} are gone from GET /v1/events and may be lost. A full scan (a run without --since) is needed; run catch-up more often.`
      } else if (report.checkpointAgeSeconds > this.#warnAfter) {
        report.warning = `The catch-up checkpoint is ${(report.checkpointAgeSeconds / 86_400).toFixed(1)} days old; Stripe lists events for ${this.windowSeconds / 86_400} days. Run the reconciler for this source before ${new Date((checkpoint.since + this.windowSeconds) * 1000).toISOString()}, or events will be lost.`
      }
    }
    const pass: Pass = state.pass ?? {
      floor: checkpoint?.since ?? windowFloor,
      next: nowSeconds - OVERLAP_SECONDS,
    }
    const walk = this.options.api.listEvents({
      limit: this.options.pageSize ?? 100,
      created: { gte: Math.max(pass.floor, windowFloor) },
      ...(pass.cursor === undefined ? {} : { startingAfter: pass.cursor }),
      ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
    })
    const published: string[] = []
    for await (const page of walk) {
      ctx.signal?.throwIfAborted()
      report.pages++
      report.listed += page.items.length
      const ids = page.items.map((item) => eventIdFor(ctx.source, item.event.id))
      const recorded = await ctx.local.inLedger(ids)
      const missing = page.items.filter((_, i) => !recorded.has(ids[i]!))
      report.missing += missing.length
      if (!ctx.dryRun) {
        // One at a time: each is a claim and a Kafka ack at ingest; a page holds at most 100.
        for (const item of missing) {
          const { duplicate } = await this.options.recovery.submit(ctx.source, item.event, ctx.signal)
          if (duplicate) report.duplicates++
          else report.published++
          published.push(eventIdFor(ctx.source, item.event.id))
        }
        if (page.cursor !== undefined) pass.cursor = page.cursor
        await ctx.store.savePass(ctx.source, pass)
      }
      ctx.onPage?.(report)
    }
    await settle(ctx, published, this.options.settleTimeoutMs ?? DEFAULT_SETTLE_TIMEOUT_MS)
    if (!ctx.dryRun) {
      await ctx.store.complete(ctx.source, { since: pass.next } satisfies Checkpoint)
      report.checkpointAfter = new Date(pass.next * 1000).toISOString()
    }
    return report
  }
}
