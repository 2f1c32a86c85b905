import { eventIdFor } from '@integration-ledger/core'
import { type GithubApi, type GithubDelivery, isFailedDelivery } from '@integration-ledger/providers'
import { DEFAULT_SETTLE_TIMEOUT_MS, settle } from './settle.js'
import { type CatchUp, type CatchUpContext, type CatchUpReport, emptyCatchUpReport } from './types.js'

/** Committed: deliveries at or after `since` (unix seconds) are read by the next pass. */
interface Checkpoint {
  since: number
}

/** A redelivery asked for and not seen in the log after this long is asked for again. */
const UNSEEN_REDELIVERY_MS = 10 * 60_000
/** Deliveries this long before a pass starts are read again by the next one (GitHub logs them late). */
const OVERLAP_MS = 10 * 60_000
/** GitHub's deliveries log reaches back about this far. */
const LOG_DAYS = 3

export interface GithubDeliveriesCatchUpOptions {
  api: GithubApi
  hookId: number
  /** Asks per failed delivery, in all (a redelivery that fails again is asked for again up to this). @default 3 */
  maxAttempts?: number
  /**
   * How long a pass waits for the redeliveries it asked for to be recorded by the projector
   * (GitHub sends them moments after answering 202) before the scan compares. @default 30000
   */
  settleTimeoutMs?: number
}

/**
 * GitHub keeps no event log to read events from, but it keeps the webhook's deliveries and
 * redelivers one on request, with its original `X-GitHub-Delivery` (the provider event ID): ingest
 * then takes it like any webhook, and a copy it already has is a duplicate there.
 *
 * A pass walks the deliveries log back to the checkpoint (all of it the first time), and for each
 * delivery GUID with no successful attempt asks for one redelivery of its latest attempt. The
 * request is written to `reconcile_redeliveries` BEFORE it is sent (GitHub takes no idempotency
 * key), so a pass killed at any point never asks twice; it asks again only when the log shows the
 * redelivery it asked for failed too, or no redelivery at all after ten minutes, up to
 * `maxAttempts`. The walk is read whole before anything is asked (a GUID's success may be on a
 * later page than its failure); the log is short (GitHub keeps about three days).
 *
 * A failed GUID the ledger already holds (ingest took it, but GitHub logged a timeout) is not
 * asked for: its redelivery would be a duplicate at ingest. After asking, the pass waits
 * (bounded) until the ledger holds what it asked for, so the scan does not repair it meanwhile.
 */
export class GithubDeliveriesCatchUp implements CatchUp {
  readonly log = 'github-deliveries' as const
  readonly windowSeconds = LOG_DAYS * 86_400
  readonly #maxAttempts: number

  constructor(private readonly options: GithubDeliveriesCatchUpOptions) {
    this.#maxAttempts = options.maxAttempts ?? 3
  }

  async pass(ctx: CatchUpContext): Promise<CatchUpReport> {
    const report: CatchUpReport = { ...emptyCatchUpReport(this.log), windowSeconds: this.windowSeconds }
    const nowMs = ctx.clock.now()
    const { checkpoint } = await ctx.store.load<Checkpoint, never>(ctx.source)
    if (checkpoint !== null) {
      report.checkpointBefore = new Date(checkpoint.since * 1000).toISOString()
      report.checkpointAgeSeconds = Math.floor(nowMs / 1000 - checkpoint.since)
      report.windowExceeded = report.checkpointAgeSeconds > this.windowSeconds
      if (report.windowExceeded) {
        report.warning = `The catch-up checkpoint (${report.checkpointBefore}) is older than GitHub's deliveries log: failed deliveries before it can no longer be redelivered. A full scan is needed.`
      }
    }
    // GUID → its newest attempt, and whether any attempt succeeded.
    const byGuid = new Map<string, { latest: GithubDelivery; ok: boolean; redeliveredAtMs: number[] }>()
    const walk = this.options.api.deliveries(
      this.options.hookId,
      ctx.signal === undefined ? {} : { signal: ctx.signal },
    )
    walking: for await (const page of walk) {
      report.pages++
      for (const delivery of page.items) {
        const at = Date.parse(delivery.delivered_at)
        if (checkpoint !== null && at < checkpoint.since * 1000) break walking
        report.listed++
        const seen = byGuid.get(delivery.guid) ?? { latest: delivery, ok: false, redeliveredAtMs: [] }
        if (!isFailedDelivery(delivery)) seen.ok = true
        else if (delivery.redelivery) seen.redeliveredAtMs.push(at)
        byGuid.set(delivery.guid, seen)
      }
      ctx.onPage?.(report)
    }
    const unanswered = [...byGuid.values()].filter((g) => !g.ok)
    const inLedger = await ctx.local.inLedger(unanswered.map((g) => eventIdFor(ctx.source, g.latest.guid)))
    const failed = unanswered.filter((g) => !inLedger.has(eventIdFor(ctx.source, g.latest.guid)))
    report.duplicates = unanswered.length - failed.length
    report.missing = failed.length
    const asked = await ctx.store.redeliveries(
      ctx.source,
      failed.map((g) => g.latest.guid),
    )
    // Deliveries that may still need asking: the next pass must read back to them.
    const open: number[] = []
    const requested: string[] = []
    for (const { latest, redeliveredAtMs } of failed) {
      ctx.signal?.throwIfAborted()
      const before = asked.get(latest.guid)
      // Kept in range only while GitHub still keeps it: a checkpoint held before the log's window
      // would report "events may be lost" for a delivery nothing can redeliver any more.
      const deliveredMs = Date.parse(latest.delivered_at)
      const inWindow = deliveredMs >= nowMs - this.windowSeconds * 1000
      if (inWindow && (before === undefined || before.attempts < this.#maxAttempts)) open.push(deliveredMs)
      if (before !== undefined) {
        const requestedMs = before.requestedAt.getTime()
        // GitHub stamps whole seconds; our clock may be a little ahead of its.
        const failedSince = redeliveredAtMs.some((at) => at >= requestedMs - 2000)
        const unseen = !failedSince && nowMs - requestedMs > UNSEEN_REDELIVERY_MS
        if ((!failedSince && !unseen) || before.attempts >= this.#maxAttempts) {
          report.redeliveriesAlreadyRequested++
          continue
        }
      }
      if (ctx.dryRun) continue
      // Stamped with the pass's clock, which judges the log's times above (not the database's).
      await ctx.store.recordRedelivery(ctx.source, latest.guid, latest.id, new Date(ctx.clock.now()))
      // An ambiguous answer (sent, no clear reply) counts as asked: the next pass reads the log.
      await this.options.api.redeliver(this.options.hookId, latest.id, ctx.signal)
      report.redeliveriesRequested++
      requested.push(eventIdFor(ctx.source, latest.guid))
    }
    await settle(ctx, requested, this.options.settleTimeoutMs ?? DEFAULT_SETTLE_TIMEOUT_MS)
    if (!ctx.dryRun) {
      const since = nowMs - OVERLAP_MS
      // A GUID still failing is kept in range, so a failed redelivery is seen by the next pass.
      const oldestOpen = Math.min(since, ...open)
      await ctx.store.complete(ctx.source, { since: Math.floor(oldestOpen / 1000) } satisfies Checkpoint)
      report.checkpointAfter = new Date(oldestOpen).toISOString()
    }
    return report
  }
}
