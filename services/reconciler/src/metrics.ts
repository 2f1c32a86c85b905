import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

/** The reconciler's own series (`ledger_reconcile_*`). */
export class ReconcilerMetrics {
  readonly drift: Counter<'source' | 'entity_type' | 'kind'>
  readonly repairs: Counter<'source' | 'entity_type'>
  readonly reviewOpen: Gauge
  readonly runDuration: Histogram<'source' | 'entity_type' | 'status'>
  readonly compared: Counter<'source' | 'entity_type'>
  readonly lastSuccess: Gauge<'source' | 'entity_type'>
  readonly interval: Gauge<'source' | 'entity_type'>
  readonly catchUpEvents: Counter<'source' | 'outcome'>
  readonly catchUpWindow: Gauge<'source'>
  /** Source → unix seconds of its committed catch-up checkpoint; the age gauge reads it at scrape time. */
  readonly catchUpCheckpoints = new Map<string, number>()

  constructor(registry: Registry, now: () => number = Date.now) {
    const registers = [registry]
    this.drift = new Counter({
      name: 'ledger_reconcile_drift_total',
      help: 'Disagreements found between projections and provider records, by kind',
      labelNames: ['source', 'entity_type', 'kind'],
      registers,
    })
    this.repairs = new Counter({
      name: 'ledger_reconcile_repairs_total',
      help: 'Corrective events published into the ledger (automatic repairs and accepted reviews)',
      labelNames: ['source', 'entity_type'],
      registers,
    })
    this.reviewOpen = new Gauge({
      name: 'ledger_reconcile_review_open',
      help: 'Review items waiting for a person (set after every run and resolution)',
      registers,
    })
    this.runDuration = new Histogram({
      name: 'ledger_reconcile_run_duration_seconds',
      help: 'Wall time of reconciliation runs (this process; a resumed run counts from its resume)',
      labelNames: ['source', 'entity_type', 'status'],
      buckets: [1, 5, 15, 60, 300, 900, 3600, 14_400],
      registers,
    })
    this.compared = new Counter({
      name: 'ledger_reconcile_records_compared_total',
      help: 'Remote records compared with their projection; rate() gives records per second',
      labelNames: ['source', 'entity_type'],
      registers,
    })
    this.lastSuccess = new Gauge({
      name: 'ledger_reconcile_last_success_timestamp_seconds',
      help: 'Unix time of the last run that enumerated everything and finished, for alerting',
      labelNames: ['source', 'entity_type'],
      registers,
    })
    this.interval = new Gauge({
      name: 'ledger_reconcile_interval_seconds',
      help: 'Seconds between scheduled runs, per scheduled source and entity type (none: not scheduled)',
      labelNames: ['source', 'entity_type'],
      registers,
    })
    this.catchUpEvents = new Counter({
      name: 'ledger_reconcile_catchup_events_total',
      help: 'Catch-up outcomes: events recovered into the ledger (published), already there (duplicate), redeliveries requested',
      labelNames: ['source', 'outcome'],
      registers,
    })
    this.catchUpWindow = new Gauge({
      name: 'ledger_reconcile_catchup_window_seconds',
      help: "How far back the source's provider event log reaches (Stripe: 30 days), for the checkpoint age alert",
      labelNames: ['source'],
      registers,
    })
    const checkpoints = this.catchUpCheckpoints
    new Gauge({
      name: 'ledger_reconcile_catchup_checkpoint_age_seconds',
      help: "Age of the source's committed catch-up checkpoint; past ledger_reconcile_catchup_window_seconds, events are lost",
      labelNames: ['source'],
      registers,
      // Computed when scraped: a value set at the last pass would stop ageing between runs.
      collect() {
        this.reset()
        for (const [source, at] of checkpoints) this.set({ source }, Math.max(0, now() / 1000 - at))
      },
    })
  }
}
