import { Counter, Histogram, type Registry } from 'prom-client'
import type { BatchOutcome } from './db/apply-batch.js'
import { OUTCOMES } from './db/migrate.js'

/** The projector's instruments, registered on the registry the service owns. */
export interface ProjectorMetrics {
  /** Records one applied batch. */
  observeBatch(outcome: BatchOutcome, size: number, seconds: number): void
  /** Records events set aside before the database because they can never apply. */
  observeRejected(count: number): void
  /**
   * Records where a batch's first deliveries spent their time, on this machine's clock: from the
   * Kafka record's timestamp (set by the producer) until the handler got it, and from ingest's
   * receipt (`receivedAt`) until the batch's transaction committed. Epoch milliseconds.
   */
  observeLatency(
    events: readonly { producedAtMs: number; receivedAtMs: number }[],
    handledAtMs: number,
    committedAtMs: number,
  ): void
}

/**
 * Seconds, fine where the latency target sits (tens of milliseconds), up to redeliveries after
 * an outage.
 */
const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1,
  2.5, 5, 10, 60,
]

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
  const fetchDelay = new Histogram({
    name: 'ledger_projector_fetch_delay_seconds',
    help: 'From the Kafka record timestamp (when ingest produced it) until the projector handled it: broker ack, fetch wait, decoding, batches queued ahead. First deliveries only.',
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  })
  const receiptToCommit = new Histogram({
    name: 'ledger_projector_receipt_to_commit_seconds',
    help: 'From ingest receiving the delivery (receivedAt) until the projection of its batch committed: the end-to-end latency of the ledger. First deliveries only, not retries.',
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  })
  return {
    observeLatency(events, handledAtMs, committedAtMs) {
      for (const e of events) {
        fetchDelay.observe(Math.max(0, handledAtMs - e.producedAtMs) / 1000)
        receiptToCommit.observe(Math.max(0, committedAtMs - e.receivedAtMs) / 1000)
      }
    },
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
