import { LedgerError } from '@integration-ledger/core'
import type { ReconcilerMetrics } from './metrics.js'
import type { ConfiguredTarget } from './targets.js'
import type { Reconciler } from './run/reconciler.js'

interface Logger {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

/**
 * Starts a run per entity type of every source that has an API key and an `intervalSeconds`.
 * A run still going (here or on another replica: CONFLICT) is simply skipped this time. Sets
 * `ledger_reconcile_interval_seconds` of each scheduled (source, entity type), which the overdue
 * alert compares the last success with. Returns a function that stops the timers.
 */
export function startSchedule(
  targets: Iterable<ConfiguredTarget>,
  reconciler: Reconciler,
  logger: Logger,
  metrics: ReconcilerMetrics,
): () => void {
  const timers: NodeJS.Timeout[] = []
  for (const target of targets) {
    const interval = target.config.intervalSeconds
    if (interval === undefined) continue
    for (const entityType of target.config.entityTypes) {
      metrics.interval.set({ source: target.source, entity_type: entityType }, interval)
    }
    const tick = () => {
      for (const entityType of target.config.entityTypes) {
        reconciler.start(target, { entityType, actor: 'schedule' }).then(
          ({ runId, finished }) => {
            logger.info({ runId, source: target.source, entityType }, 'scheduled reconciliation started')
            finished.then(
              (report) => logger.info({ report }, 'scheduled reconciliation finished'),
              (err: unknown) =>
                logger.warn(
                  { err, runId },
                  'scheduled reconciliation failed; the next one resumes from its checkpoint',
                ),
            )
          },
          (err: unknown) => {
            if (err instanceof LedgerError && err.code === 'CONFLICT') return
            logger.warn(
              { err, source: target.source, entityType },
              'scheduled reconciliation could not start',
            )
          },
        )
      }
    }
    const timer = setInterval(tick, interval * 1000)
    timer.unref()
    timers.push(timer)
  }
  return () => timers.forEach(clearInterval)
}
