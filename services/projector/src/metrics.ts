import { Counter, Histogram, type Registry } from 'prom-client'
import type { BatchOutcome } from './db/apply-batch.js'
import { OUTCOMES } from './db/migrate.js'

/** The projector's instruments, registered on the registry the service owns. */
export interface ProjectorMetrics {
  /** Records one applied batch. */
  observeBatch(outcome: BatchOutcome, size: number, seconds: number): void
  /** Records events set aside before the database because they can never apply. */
  observeRejected(count: number): void
}

export function createProjectorMetrics(registry: Registry): ProjectorMetrics {
  const events = new Counter({
    name: 'ledger_projector_events_total',
    help: 'Distinct events recorded in the ledger table, by outcome of the version rule.',
    labelNames: ['outcome'],
    registers: [registry],
  })
  for (const outcome of OUTCOMES) events.inc({ outcome }, 0)
  const redeliveries = new Counter({
    name: 'ledger_projector_redeliveries_total',
    help: 'Records whose event ID was already in the ledger (at-least-once redelivery); not appended again.',
    registers: [registry],
  })
  const rejected = new Counter({
    name: 'ledger_projector_rejected_total',
    help: 'Records that can never apply (invalid envelope or body), handed to the DLQ.',
    registers: [registry],
  })
  const batchSize = new Histogram({
    name: 'ledger_projector_batch_size',
    help: 'Records per applied batch.',
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
    registers: [registry],
  })
  const applySeconds = new Histogram({
    name: 'ledger_projector_apply_duration_seconds',
    help: 'Time to apply one batch to PostgreSQL (one statement, one transaction).',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  })
  return {
    observeBatch(outcome, size, seconds) {
      for (const name of OUTCOMES)
        if (outcome.counts[name] > 0) events.inc({ outcome: name }, outcome.counts[name])
      if (outcome.redelivered > 0) redeliveries.inc(outcome.redelivered)
      batchSize.observe(size)
      applySeconds.observe(seconds)
    },
    observeRejected(count) {
      if (count > 0) rejected.inc(count)
    },
  }
}
