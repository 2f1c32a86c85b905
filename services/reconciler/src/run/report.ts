import type { CatchUpReport } from '../catchup/types.js'
import type { DriftKind } from './classify.js'

/** Running totals of a run, saved with every page (the checkpoint's progress). */
export interface RunCounts {
  compared: number
  drift: Partial<Record<DriftKind, number>>
  repairsPublished: number
  /** Repairs found again whose corrective event was already published (a resumed or repeated run). */
  repairsAlreadyPublished: number
  reviewNew: number
  reviewExisting: number
  requests: number
  throttleWaits: number
  throttleWaitMs: number
}

export const emptyCounts = (): RunCounts => ({
  compared: 0,
  drift: {},
  repairsPublished: 0,
  repairsAlreadyPublished: 0,
  reviewNew: 0,
  reviewExisting: 0,
  requests: 0,
  throttleWaits: 0,
  throttleWaitMs: 0,
})

/** The JSON report of a finished (or failed) run, stored in `reconcile_runs.report`. */
export interface RunReport extends RunCounts {
  runId: string
  source: string
  entityType: string
  since: string | null
  dryRun: boolean
  status: 'succeeded' | 'failed'
  error?: string
  startedBy: string
  startedAt: string
  finishedAt: string
  durationSeconds: number
  pages: number
  /** Times the run was resumed from its checkpoint. */
  resumed: number
  /** Whether deletes were judged: only after a complete enumeration without `since`. */
  deletesChecked: boolean
  /**
   * The catch-up phase (the provider's event log from the source's checkpoint), or null when the
   * source has none, it was skipped, or another run of the source was catching up.
   */
  catchUp: CatchUpReport | null
}

/** A few lines for a terminal. */
export function summarise(report: RunReport): string {
  const drift = Object.entries(report.drift)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ')
  const lines = [
    `run ${report.runId} ${report.source}/${report.entityType}: ${report.status}${report.error === undefined ? '' : ` (${report.error})`}${report.dryRun ? ' [dry run]' : ''}`,
    `  compared ${report.compared} records in ${report.pages} pages, ${report.durationSeconds.toFixed(1)} s; requests ${report.requests}, throttle waits ${report.throttleWaits} (${(report.throttleWaitMs / 1000).toFixed(1)} s)`,
    `  drift: ${drift === '' ? 'none' : drift}${report.deletesChecked ? '' : ' (deletes not checked: incomplete or windowed listing)'}`,
    `  repairs published ${report.repairsPublished} (already published ${report.repairsAlreadyPublished}); review new ${report.reviewNew}, already open ${report.reviewExisting}`,
  ]
  const c = report.catchUp
  if (c !== null) {
    const age =
      c.checkpointAgeSeconds === null
        ? 'first pass'
        : `checkpoint ${(c.checkpointAgeSeconds / 86_400).toFixed(1)} days old`
    lines.push(
      `  catch-up (${c.log}, ${age}): ${c.listed} read in ${c.pages} pages, ${c.missing} missing; published ${c.published}, already in the ledger ${c.duplicates}, redeliveries requested ${c.redeliveriesRequested} (asked before ${c.redeliveriesAlreadyRequested})`,
    )
    if (c.warning !== undefined)
      lines.push(`  ${c.windowExceeded ? 'EVENTS MAY BE LOST' : 'WARNING'}: ${c.warning}`)
  }
  return lines.join('\n')
}
