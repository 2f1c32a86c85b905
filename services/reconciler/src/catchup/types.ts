import type { Clock } from '@integration-ledger/core'
import type { LocalStore } from '../db/local-store.js'
import type { CatchUpStore } from './catch-up-store.js'

/** What one catch-up pass did, in the run's report (`catchUp`). */
export interface CatchUpReport {
  /** Which event log was read. */
  log: 'stripe-events' | 'github-deliveries'
  /** Where the pass started: the saved checkpoint (ISO), or null on the first pass. */
  checkpointBefore: string | null
  /** The checkpoint saved at the end (null when the pass did not finish, or in a dry run). */
  checkpointAfter: string | null
  /** How old the saved checkpoint was when the pass started (seconds), null without one. */
  checkpointAgeSeconds: number | null
  /** How far back the provider's log reaches (seconds), null when it does not say. */
  windowSeconds: number | null
  /** The checkpoint was older than the window: events in between may be lost; a full scan is needed. */
  windowExceeded: boolean
  /** Set when the checkpoint is close to, or past, the window: what to do. */
  warning?: string
  pages: number
  /** Log entries read. */
  listed: number
  /** Entries the ledger lacked (Stripe) or deliveries that failed and were never redelivered (GitHub). */
  missing: number
  /** Events ingest published for the first time. */
  published: number
  /** Events ingest already had (its webhook won the race, or a pass resumed after a kill). */
  duplicates: number
  /** GitHub: redeliveries requested in this pass. */
  redeliveriesRequested: number
  /** GitHub: failed deliveries whose redelivery was requested by an earlier pass and not repeated. */
  redeliveriesAlreadyRequested: number
}

/** What a pass is given. */
export interface CatchUpContext {
  source: string
  store: CatchUpStore
  local: LocalStore
  clock: Clock
  dryRun: boolean
  signal?: AbortSignal
  /** Called after every page whose progress was saved. */
  onPage?: (report: CatchUpReport) => void
}

/**
 * A provider's event log, read from the source's saved checkpoint to now: events the ledger lacks
 * are brought in under their own provider event IDs, so their webhooks arriving later are
 * duplicates. One pass per run, before the scan; progress is saved after every page.
 */
export interface CatchUp {
  readonly log: CatchUpReport['log']
  /** How far back the log reaches, for the age gauge and the alert. */
  readonly windowSeconds: number | null
  pass(ctx: CatchUpContext): Promise<CatchUpReport>
}

export const emptyCatchUpReport = (log: CatchUpReport['log']): CatchUpReport => ({
  log,
  checkpointBefore: null,
  checkpointAfter: null,
  checkpointAgeSeconds: null,
  windowSeconds: null,
  windowExceeded: false,
  pages: 0,
  listed: 0,
  missing: 0,
  published: 0,
  duplicates: 0,
  redeliveriesRequested: 0,
  redeliveriesAlreadyRequested: 0,
})

/** A committed checkpoint's time (unix seconds): every log's checkpoint is `{ since }`. */
export function checkpointSeconds(checkpoint: unknown): number | undefined {
  const since = (checkpoint as { since?: unknown } | null)?.since
  return typeof since === 'number' ? since : undefined
}
