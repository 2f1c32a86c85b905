import type { AdminTransport } from '@integration-ledger/kafka'
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { HoldReason } from './due-scheduler.js'

/** Outcome of one record: handled by the handler, moved to a retry tier, or moved to the DLQ. */
export type EventOutcome = 'handled' | 'retried' | 'dead_lettered'

/** Returns the registry's metric of that name, creating it the first time (several subscriptions share a registry). */
function metric<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create()
}

interface DlqSource {
  admin: AdminTransport
  topic: string
}

/** DLQ topics per registry and group, read by the depth gauge when Prometheus scrapes. */
const dlqSources = new WeakMap<Registry, Map<string, DlqSource>>()

function registerDlqDepth(registry: Registry, group: string, source: DlqSource): void {
  let sources = dlqSources.get(registry)
  if (!sources) {
    const all = new Map<string, DlqSource>()
    sources = all
    dlqSources.set(registry, all)
    metric(
      registry,
      'ledger_consumer_dlq_depth',
      () =>
        new Gauge({
          name: 'ledger_consumer_dlq_depth',
          help: 'Records stored in the group DLQ topic, replayed and discarded ones included (ledger_dlq_pending_records counts what is left to act on).',
          labelNames: ['group'],
          registers: [registry],
          // Computed on scrape from the topic's watermarks: cheap, and right across restarts.
          async collect() {
            for (const [name, { admin, topic }] of all) {
              try {
                const offsets = await admin.topicOffsets(topic)
                this.set(
                  { group: name },
                  offsets.reduce((n, o) => n + Number(BigInt(o.high) - BigInt(o.low)), 0),
                )
              } catch {
                // Keep the last value: a scrape must not fail because the broker is briefly away.
              }
            }
          },
        }),
    )
  }
  sources.set(group, source)
}

/**
 * The `ledger_consumer_*` metrics of one subscription. Every series carries the `group` label, so
 * several subscriptions can share a registry.
 */
export class ConsumerMetrics {
  readonly #group: string
  readonly #lag: Gauge
  readonly #committedTimestamp: Gauge
  readonly #events: Counter
  readonly #retries: Counter
  readonly #batchSize: Histogram
  readonly #batchSeconds: Histogram
  readonly #paused: Gauge
  readonly #breakerOpen: Gauge
  readonly #consuming: Gauge
  readonly #crashes: Counter

  constructor(registry: Registry, group: string, dlq?: { admin: AdminTransport; topic: string }) {
    this.#group = group
    const registers = [registry]
    this.#lag = metric(
      registry,
      'ledger_consumer_lag',
      () =>
        new Gauge({
          name: 'ledger_consumer_lag',
          help: 'Records behind the end of the partition (high watermark minus committed offset).',
          labelNames: ['group', 'topic', 'partition'],
          registers,
        }),
    )
    this.#committedTimestamp = metric(
      registry,
      'ledger_consumer_committed_record_timestamp_seconds',
      () =>
        new Gauge({
          name: 'ledger_consumer_committed_record_timestamp_seconds',
          help: 'Kafka timestamp of the last record committed per partition; while lag > 0, now minus it bounds the age of the oldest unprocessed record.',
          labelNames: ['group', 'topic', 'partition'],
          registers,
        }),
    )
    this.#events = metric(
      registry,
      'ledger_consumer_events_total',
      () =>
        new Counter({
          name: 'ledger_consumer_events_total',
          help: 'Records by outcome: handled, retried (moved to a retry tier), dead_lettered (moved to the DLQ).',
          labelNames: ['group', 'outcome'],
          registers,
        }),
    )
    this.#retries = metric(
      registry,
      'ledger_consumer_retries_total',
      () =>
        new Counter({
          name: 'ledger_consumer_retries_total',
          help: 'Records moved to a retry tier, per tier.',
          labelNames: ['group', 'tier'],
          registers,
        }),
    )
    this.#batchSize = metric(
      registry,
      'ledger_consumer_batch_size',
      () =>
        new Histogram({
          name: 'ledger_consumer_batch_size',
          help: 'Records per handled partition batch.',
          labelNames: ['group'],
          buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000],
          registers,
        }),
    )
    this.#batchSeconds = metric(
      registry,
      'ledger_consumer_batch_duration_seconds',
      () =>
        new Histogram({
          name: 'ledger_consumer_batch_duration_seconds',
          help: 'Time to handle one partition batch, including routing failures and committing.',
          labelNames: ['group'],
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
          registers,
        }),
    )
    this.#paused = metric(
      registry,
      'ledger_consumer_paused_partitions',
      () =>
        new Gauge({
          name: 'ledger_consumer_paused_partitions',
          help: 'Partitions paused by the consumer, by reason: due (retry record not yet due) or breaker (sink down).',
          labelNames: ['group', 'reason'],
          registers,
        }),
    )
    this.#breakerOpen = metric(
      registry,
      'ledger_consumer_sink_breaker_open',
      () =>
        new Gauge({
          name: 'ledger_consumer_sink_breaker_open',
          help: '1 while the sink circuit breaker holds consumption because the sink is down.',
          labelNames: ['group'],
          registers,
        }),
    )
    this.#consuming = metric(
      registry,
      'ledger_consumer_consuming',
      () =>
        new Gauge({
          name: 'ledger_consumer_consuming',
          help: '1 while the group member is joined and consuming; 0 while it restarts, is recreated, failed or closed.',
          labelNames: ['group'],
          registers,
        }),
    )
    this.#crashes = metric(
      registry,
      'ledger_consumer_crashes_total',
      () =>
        new Counter({
          name: 'ledger_consumer_crashes_total',
          help: 'Consumer crashes, by recovery: client (the Kafka client restarts it), recreate (the SDK builds a new consumer), fail (the subscription gave up).',
          labelNames: ['group', 'recovery'],
          registers,
        }),
    )
    if (dlq) registerDlqDepth(registry, group, dlq)
    this.#breakerOpen.set({ group }, 0)
    this.#consuming.set({ group }, 0)
  }

  batch(size: number, seconds: number): void {
    this.#batchSize.observe({ group: this.#group }, size)
    this.#batchSeconds.observe({ group: this.#group }, seconds)
  }

  outcome(outcome: EventOutcome, count = 1): void {
    if (count > 0) this.#events.inc({ group: this.#group, outcome }, count)
  }

  retried(tier: string): void {
    this.#retries.inc({ group: this.#group, tier })
  }

  /** Records a commit: the lag behind the high watermark and the Kafka timestamp (ms) of the last committed record. */
  lag(
    topic: string,
    partition: number,
    highWatermark: string,
    nextOffset: string,
    committedTimestampMs?: number,
  ): void {
    const lag = BigInt(highWatermark) - BigInt(nextOffset)
    const labels = { group: this.#group, topic, partition: String(partition) }
    this.#lag.set(labels, Number(lag > 0n ? lag : 0n))
    if (committedTimestampMs !== undefined) this.#committedTimestamp.set(labels, committedTimestampMs / 1000)
  }

  paused(counts: Record<HoldReason, number>): void {
    for (const [reason, n] of Object.entries(counts)) this.#paused.set({ group: this.#group, reason }, n)
  }

  /** Stops reading this group's DLQ depth (the subscription closed its admin connection). */
  close(registry: Registry): void {
    dlqSources.get(registry)?.delete(this.#group)
  }

  breakerOpen(open: boolean): void {
    this.#breakerOpen.set({ group: this.#group }, open ? 1 : 0)
  }

  consuming(consuming: boolean): void {
    this.#consuming.set({ group: this.#group }, consuming ? 1 : 0)
  }

  crashed(recovery: 'client' | 'recreate' | 'fail'): void {
    this.#crashes.inc({ group: this.#group, recovery })
  }
}
