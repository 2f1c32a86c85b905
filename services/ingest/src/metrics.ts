import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

/** Label used for requests naming no configured source, so random URLs cannot grow the series. */
export const UNKNOWN_SOURCE_LABEL = '(unknown)'

/** Latency buckets in seconds: sub-millisecond HMAC checks up to multi-second broker stalls. */
const LATENCY_BUCKETS = [
  0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]

/** The ingest service's metrics, registered on the registry the service owns. */
export class IngestMetrics {
  readonly received: Counter<'source'>
  readonly accepted: Counter<'source'>
  readonly duplicates: Counter<'source'>
  readonly quarantined: Counter<'source' | 'reason'>
  readonly rejected: Counter<'source' | 'reason'>
  readonly verifySeconds: Histogram<'source'>
  readonly produceSeconds: Histogram
  readonly claimSeconds: Histogram
  readonly inFlight: Gauge
  readonly inFlightBodyBytes: Gauge
  readonly batchRecords: Histogram
  readonly brokerAvailable: Gauge
  readonly sourcesListening: Gauge
  readonly lastAccepted: Gauge<'source'>
  readonly httpResponses: Counter<'route' | 'code'>

  constructor(registry: Registry) {
    const registers = [registry]
    this.received = new Counter({
      name: 'ledger_ingest_received_total',
      help: 'Deliveries received (webhooks and POST /events), before any check.',
      labelNames: ['source'],
      registers,
    })
    this.accepted = new Counter({
      name: 'ledger_ingest_accepted_total',
      help: 'Deliveries published and acknowledged by Kafka.',
      labelNames: ['source'],
      registers,
    })
    this.duplicates = new Counter({
      name: 'ledger_ingest_duplicates_total',
      help: 'Deliveries answered as duplicates of an accepted one; not published again.',
      labelNames: ['source'],
      registers,
    })
    this.quarantined = new Counter({
      name: 'ledger_ingest_quarantined_total',
      help: 'Correctly signed deliveries that cannot be used, kept in the quarantine topic.',
      labelNames: ['source', 'reason'],
      registers,
    })
    this.rejected = new Counter({
      name: 'ledger_ingest_rejected_total',
      help: 'Deliveries refused, by reason (signature reasons, rate_limited, overloaded, broker_unavailable, ...).',
      labelNames: ['source', 'reason'],
      registers,
    })
    this.verifySeconds = new Histogram({
      name: 'ledger_ingest_verification_seconds',
      help: 'Time to verify a delivery signature.',
      labelNames: ['source'],
      buckets: LATENCY_BUCKETS,
      registers,
    })
    this.produceSeconds = new Histogram({
      name: 'ledger_ingest_produce_seconds',
      help: 'Time from handing an event to the producer until Kafka acknowledged it (or gave up).',
      buckets: LATENCY_BUCKETS,
      registers,
    })
    this.claimSeconds = new Histogram({
      name: 'ledger_ingest_claim_seconds',
      help: 'Time to claim a delivery in PostgreSQL (deduplication), including the wait for its micro-batch.',
      buckets: LATENCY_BUCKETS,
      registers,
    })
    this.inFlight = new Gauge({
      name: 'ledger_ingest_in_flight_requests',
      help: 'Intake requests being processed.',
      registers,
    })
    this.inFlightBodyBytes = new Gauge({
      name: 'ledger_ingest_in_flight_body_bytes',
      help: 'Request-body bytes held for intake requests in progress (INGEST_MAX_IN_FLIGHT_BYTES bounds it).',
      registers,
    })
    this.batchRecords = new Histogram({
      name: 'ledger_ingest_producer_batch_records',
      help: 'Records per Kafka produce request.',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      registers,
    })
    this.brokerAvailable = new Gauge({
      name: 'ledger_ingest_broker_available',
      help: '1 while Kafka is reachable (probe and produce results), else 0.',
      registers,
    })
    this.brokerAvailable.set(1)
    this.sourcesListening = new Gauge({
      name: 'ledger_ingest_sources_listening',
      help: '1 while ingest LISTENs for admin source changes; 0 while it reconnects (polling meanwhile) or when LEDGER_MASTER_KEYS is unset.',
      registers,
    })
    this.lastAccepted = new Gauge({
      name: 'ledger_ingest_last_accepted_timestamp_seconds',
      help: 'Unix time of the last delivery Kafka acknowledged, per source (absent until the first one since start).',
      labelNames: ['source'],
      registers,
    })
    this.httpResponses = new Counter({
      name: 'ledger_ingest_http_responses_total',
      help: 'HTTP answers by route pattern ("(unmatched)" for unknown URLs) and status code.',
      labelNames: ['route', 'code'],
      registers,
    })
  }

  /** Counts a delivery Kafka acknowledged and stamps the source's last-accepted time (silent-source alerts read it). */
  accept(source: string, nowMs = Date.now()): void {
    this.accepted.inc({ source })
    this.lastAccepted.set({ source }, nowMs / 1000)
  }
}
