import { type Logger, describeError, findLedgerError } from '@integration-ledger/core'
import type { DlqOperations } from '@integration-ledger/dlq'
import type { KafkaTransport } from '@integration-ledger/sdk'
import type { PrometheusClient, PromAlert, Sample } from './prometheus.js'
import type { ReconcileRun, ReconcilerClient } from './reconciler.js'

/** Topics of a group's retry tiers (`<group>.retry.<tier>`), as the SDK's topology names them. */
const RETRY_TOPIC = '.*[.]retry[.].*'

/**
 * What the page shows, each as one instant query evaluated at the summary's `evaluatedAt`. The
 * counters are totals since each service started (summed over replicas), so they match the
 * services' own `/metrics`; the rates are the recording rules' 5-minute rates.
 */
export const QUERIES = {
  received: 'sum by (source) (ledger_ingest_received_total)',
  accepted: 'sum by (source) (ledger_ingest_accepted_total)',
  duplicates: 'sum by (source) (ledger_ingest_duplicates_total)',
  rejected: 'sum by (source, reason) (ledger_ingest_rejected_total)',
  quarantined: 'sum by (source, reason) (ledger_ingest_quarantined_total)',
  receivedRate: 'ledger:ingest_received:rate5m',
  badSignatureRate: 'ledger:ingest_bad_signatures:rate5m',
  consuming: 'max by (group) (ledger_consumer_consuming)',
  lag: `sum by (group) (ledger_consumer_lag{topic!~"${RETRY_TOPIC}"})`,
  oldestUnprocessed: `max by (group) (ledger:consumer_oldest_unprocessed_age_seconds:max{topic!~"${RETRY_TOPIC}"})`,
  oldestRetry: `max by (group) (ledger:consumer_oldest_unprocessed_age_seconds:max{topic=~"${RETRY_TOPIC}"})`,
  retryRate: 'sum by (group) (rate(ledger_consumer_retries_total[5m]))',
  paused: 'sum by (group, reason) (ledger_consumer_paused_partitions)',
  sinkBreakerOpen: 'max by (group) (ledger_consumer_sink_breaker_open)',
  deadLettered: 'sum by (group) (ledger_consumer_events_total{outcome="dead_lettered"})',
  dlqDepth: 'max by (group) (ledger_consumer_dlq_depth)',
  breakers: 'max by (provider) (ledger_outbound_breaker_state)',
} as const

type QueryName = keyof typeof QUERIES

/** `ledger_outbound_breaker_state` values (packages/outbound `BREAKER_STATE_VALUE`). */
const BREAKER_STATES = ['closed', 'open', 'half-open'] as const

export interface SourceHealth {
  source: string
  received: number
  accepted: number
  duplicates: number
  rejected: Record<string, number>
  quarantined: Record<string, number>
  /** Deliveries per second over 5 minutes. */
  receivedPerSecond: number | null
  badSignaturesPerSecond: number | null
}

export interface ConsumerHealth {
  group: string
  consuming: boolean | null
  lag: number | null
  oldestUnprocessedSeconds: number | null
  paused: Record<string, number>
  sinkBreakerOpen: boolean | null
  deadLettered: number | null
  retry: {
    /** Records in the group's retry topics it has not committed yet (read from Kafka now). */
    waiting: number | null
    oldestSeconds: number | null
    perSecond: number | null
    error?: string
  }
  dlq: {
    /** Records in the DLQ topic, replayed and discarded ones included. */
    depth: number | null
    /** Records neither replayed nor discarded (the DLQ index, brought up to date now). */
    pending: number | null
    oldestPendingSeconds: number | null
    error?: string
  }
}

export interface HealthSummary {
  /** Unix seconds every Prometheus query was evaluated at. */
  evaluatedAt: number
  /** How often the page asks again, in milliseconds (LEDGER_HEALTH_REFRESH_MS). */
  refreshMs: number
  prometheus: { ok: boolean; error?: string }
  sources: SourceHealth[]
  consumers: ConsumerHealth[]
  breakers: { provider: string; state: string }[]
  alerts: {
    name: string
    state: string
    severity: string
    summary: string
    labels: Record<string, string>
    activeAt: string
  }[]
  reconciliation: {
    configured: boolean
    error?: string
    /** The latest run per source and entity type. */
    runs: ReconcileRun[]
    /** Open review items (at most `OPEN_REVIEW_LIMIT`; `openReviewMore` when there are more). */
    openReview: number | null
    openReviewMore: boolean
  }
}

/** Open items counted per summary; more are shown as "500+". */
const OPEN_REVIEW_LIMIT = 500

export interface SummaryOptions {
  prometheus: PrometheusClient
  reconciler: ReconcilerClient | undefined
  dlq: DlqOperations
  transport: KafkaTransport
  refreshMs: number
  logger: Logger
  now?: () => number
}

/**
 * Builds the health page's summary from Prometheus (rates, counters, lag, breakers, alerts), the
 * DLQ index (pending records), Kafka (retry backlog) and the reconciler's API (runs, review). A
 * part that cannot be read is reported as such and the rest is still shown: the page is most
 * needed when something is down.
 */
export class HealthSummaryBuilder {
  readonly #o: SummaryOptions
  #admin: ReturnType<KafkaTransport['admin']> | undefined
  #adminConnected: Promise<void> | undefined

  constructor(options: SummaryOptions) {
    this.#o = options
  }

  async build(): Promise<HealthSummary> {
    const evaluatedAt = Math.floor((this.#o.now ?? Date.now)() / 1000)
    const [metrics, alerts, reconciliation] = await Promise.all([
      this.#queryAll(evaluatedAt),
      this.#o.prometheus.alerts().catch((err: unknown) => this.#failed('reading alerts', err)),
      this.#reconciliation(),
    ])
    const prometheus = 'error' in metrics ? { ok: false, error: metrics.error } : { ok: true }
    const results = 'error' in metrics ? undefined : metrics.results
    const groups = results
      ? labelValues(results, 'group', ['consuming', 'lag', 'dlqDepth', 'deadLettered'])
      : []
    return {
      evaluatedAt,
      refreshMs: this.#o.refreshMs,
      prometheus,
      sources: results ? sources(results) : [],
      consumers: results ? await Promise.all(groups.map((g) => this.#consumer(g, results))) : [],
      breakers: results
        ? results.breakers.map((s) => ({
            provider: s.labels.provider ?? '',
            state: BREAKER_STATES[s.value] ?? String(s.value),
          }))
        : [],
      alerts: Array.isArray(alerts) ? alerts.map(toAlert) : [],
      reconciliation,
    }
  }

  async close(): Promise<void> {
    if (this.#adminConnected) await this.#admin?.disconnect()
  }

  async #queryAll(time: number): Promise<{ results: Record<QueryName, Sample[]> } | { error: string }> {
    try {
      const names = Object.keys(QUERIES) as QueryName[]
      const answers = await Promise.all(names.map((n) => this.#o.prometheus.query(QUERIES[n], time)))
      return {
        results: Object.fromEntries(names.map((n, i) => [n, answers[i]!])) as Record<QueryName, Sample[]>,
      }
    } catch (err) {
      return this.#failed('querying Prometheus', err)
    }
  }

  async #consumer(group: string, r: Record<QueryName, Sample[]>): Promise<ConsumerHealth> {
    const one = (name: QueryName) => r[name].find((s) => s.labels.group === group)?.value ?? null
    const [retry, dlq] = await Promise.all([this.#retryBacklog(group), this.#dlqPending(group)])
    const consuming = one('consuming')
    const sinkBreakerOpen = one('sinkBreakerOpen')
    return {
      group,
      consuming: consuming === null ? null : consuming === 1,
      lag: one('lag'),
      oldestUnprocessedSeconds: one('oldestUnprocessed'),
      paused: Object.fromEntries(
        r.paused.filter((s) => s.labels.group === group).map((s) => [s.labels.reason ?? '', s.value]),
      ),
      sinkBreakerOpen: sinkBreakerOpen === null ? null : sinkBreakerOpen === 1,
      deadLettered: one('deadLettered'),
      retry: { ...retry, oldestSeconds: one('oldestRetry'), perSecond: one('retryRate') },
      dlq: { depth: one('dlqDepth'), ...dlq },
    }
  }

  /** Records the group's retry topics hold past its committed offsets, read from Kafka now. */
  async #retryBacklog(group: string): Promise<{ waiting: number | null; error?: string }> {
    try {
      const admin = await this.#kafkaAdmin()
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${group}.retry.`))
      let waiting = 0n
      for (const topic of topics) {
        const [ends, committed] = await Promise.all([
          admin.topicOffsets(topic),
          admin.groupOffsets(group, topic),
        ])
        const at = new Map(committed.map((c) => [c.partition, BigInt(c.offset)]))
        for (const { partition, low, high } of ends) {
          const from = at.get(partition) ?? -1n
          const start = from < BigInt(low) ? BigInt(low) : from
          if (BigInt(high) > start) waiting += BigInt(high) - start
        }
      }
      return { waiting: Number(waiting) }
    } catch (err) {
      return { waiting: null, ...this.#failed(`reading the retry topics of ${group}`, err) }
    }
  }

  async #dlqPending(
    group: string,
  ): Promise<{ pending: number | null; oldestPendingSeconds: number | null; error?: string }> {
    try {
      const { count, oldest } = await this.#o.dlq.pending(group)
      const now = (this.#o.now ?? Date.now)()
      return {
        pending: count,
        oldestPendingSeconds: oldest ? Math.max(0, (now - oldest.getTime()) / 1000) : null,
      }
    } catch (err) {
      if (findLedgerError(err)?.code === 'NOT_FOUND')
        return { pending: null, oldestPendingSeconds: null, error: 'this group has no DLQ topic' }
      return {
        pending: null,
        oldestPendingSeconds: null,
        ...this.#failed(`reading the DLQ of ${group}`, err),
      }
    }
  }

  async #reconciliation(): Promise<HealthSummary['reconciliation']> {
    const none = { runs: [], openReview: null, openReviewMore: false }
    const reconciler = this.#o.reconciler
    if (!reconciler) {
      return {
        configured: false,
        ...none,
        error: 'LEDGER_RECONCILER_TOKEN is not set, so the reconciler is not asked.',
      }
    }
    try {
      const [runs, review] = await Promise.all([
        reconciler.latestRuns(),
        reconciler.request<{ items: unknown[]; next?: number }>(
          'GET',
          `/review?status=open&limit=${OPEN_REVIEW_LIMIT}`,
        ),
      ])
      const latest = new Map<string, ReconcileRun>()
      for (const run of runs) {
        const key = `${run.source}\u0000${run.entityType}`
        const seen = latest.get(key)
        if (!seen || seen.startedAt < run.startedAt) latest.set(key, run)
      }
      return {
        configured: true,
        runs: [...latest.values()],
        openReview: review.items.length,
        openReviewMore: review.next !== undefined,
      }
    } catch (err) {
      return { configured: true, ...none, ...this.#failed('asking the reconciler', err) }
    }
  }

  #kafkaAdmin(): Promise<ReturnType<KafkaTransport['admin']>> {
    this.#admin ??= this.#o.transport.admin()
    const admin = this.#admin
    this.#adminConnected ??= admin.connect().catch((err: unknown) => {
      this.#adminConnected = undefined
      throw err
    })
    return this.#adminConnected.then(() => admin)
  }

  /** Logs the failure in full and returns what the page may show of it. */
  #failed(doing: string, err: unknown): { error: string } {
    this.#o.logger.warn({ err }, `health summary: ${doing} failed; the page shows that part as unavailable`)
    const known = findLedgerError(err)
    return { error: known ? known.message : `${doing} failed: ${describeError(err).errorClass}` }
  }
}

function labelValues(results: Record<QueryName, Sample[]>, label: string, names: QueryName[]): string[] {
  const values = new Set<string>()
  for (const name of names) for (const s of results[name]) if (s.labels[label]) values.add(s.labels[label])
  return [...values].sort()
}

function sources(r: Record<QueryName, Sample[]>): SourceHealth[] {
  const names = labelValues(r, 'source', ['received', 'rejected', 'quarantined', 'duplicates', 'accepted'])
  const total = (name: QueryName, source: string) =>
    r[name].find((s) => s.labels.source === source)?.value ?? 0
  const rate = (name: QueryName, source: string) =>
    r[name].find((s) => s.labels.source === source)?.value ?? null
  const byReason = (name: QueryName, source: string) =>
    Object.fromEntries(
      r[name].filter((s) => s.labels.source === source).map((s) => [s.labels.reason ?? '', s.value]),
    )
  return names.map((source) => ({
    source,
    received: total('received', source),
    accepted: total('accepted', source),
    duplicates: total('duplicates', source),
    rejected: byReason('rejected', source),
    quarantined: byReason('quarantined', source),
    receivedPerSecond: rate('receivedRate', source),
    badSignaturesPerSecond: rate('badSignatureRate', source),
  }))
}

function toAlert(a: PromAlert): HealthSummary['alerts'][number] {
  const { alertname = '', severity = '', ...labels } = a.labels
  return {
    name: alertname,
    state: a.state,
    severity,
    summary: a.annotations.summary ?? '',
    labels,
    activeAt: a.activeAt,
  }
}
