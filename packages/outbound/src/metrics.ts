import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { BreakerState } from './breaker.js'

/** The registry's metric of that name, created the first time (several clients share a registry). */
function metric<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create()
}

/** Values of `ledger_outbound_breaker_state`. */
export const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, open: 1, 'half-open': 2 }

/** The `ledger_outbound_*` metrics of one provider's client; every series carries `provider`. */
export class OutboundMetrics {
  readonly #provider: string
  readonly #requests: Counter
  readonly #retries: Counter
  readonly #throttleWait: Histogram
  readonly #duration: Histogram
  readonly #breaker: Gauge
  readonly #remaining: Gauge

  constructor(registry: Registry, provider: string) {
    this.#provider = provider
    const registers = [registry]
    this.#requests = metric(
      registry,
      'ledger_outbound_requests_total',
      () =>
        new Counter({
          name: 'ledger_outbound_requests_total',
          help: 'Attempts of calls to a provider, by outcome (succeeded, failed-before-processing, rejected, ambiguous) and status class (2xx…5xx; none without an answer, including attempts not sent because the breaker was open or the throttle wait exceeded the budget).',
          labelNames: ['provider', 'operation', 'outcome', 'status_class'],
          registers,
        }),
    )
    this.#retries = metric(
      registry,
      'ledger_outbound_retries_total',
      () =>
        new Counter({
          name: 'ledger_outbound_retries_total',
          help: 'Attempts repeated after a retryable outcome, by the reason of the outcome retried.',
          labelNames: ['provider', 'operation', 'reason'],
          registers,
        }),
    )
    this.#throttleWait = metric(
      registry,
      'ledger_outbound_throttle_wait_seconds',
      () =>
        new Histogram({
          name: 'ledger_outbound_throttle_wait_seconds',
          help: "Time an attempt waited before it was sent: the credential's token bucket and rate-limit holds (Retry-After, window reset), backoff excluded.",
          labelNames: ['provider'],
          buckets: [0, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60],
          registers,
        }),
    )
    this.#duration = metric(
      registry,
      'ledger_outbound_request_duration_seconds',
      () =>
        new Histogram({
          name: 'ledger_outbound_request_duration_seconds',
          help: 'Duration of one HTTP attempt, connect to last byte of the answer.',
          labelNames: ['provider', 'operation'],
          buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
          registers,
        }),
    )
    this.#breaker = metric(
      registry,
      'ledger_outbound_breaker_state',
      () =>
        new Gauge({
          name: 'ledger_outbound_breaker_state',
          help: "State of the provider's circuit breaker: 0 closed, 1 open (calls fail fast), 2 half-open (one probe).",
          labelNames: ['provider'],
          registers,
        }),
    )
    this.#remaining = metric(
      registry,
      'ledger_outbound_rate_limit_remaining',
      () =>
        new Gauge({
          name: 'ledger_outbound_rate_limit_remaining',
          help: 'Requests (or cost points) the provider last said are left in its rate-limit window or bucket.',
          labelNames: ['provider'],
          registers,
        }),
    )
    this.#breaker.set({ provider }, 0)
  }

  attempt(operation: string, outcome: string, statusClass: string, seconds: number | undefined): void {
    this.#requests.inc({ provider: this.#provider, operation, outcome, status_class: statusClass })
    if (seconds !== undefined) this.#duration.observe({ provider: this.#provider, operation }, seconds)
  }

  retry(operation: string, reason: string): void {
    this.#retries.inc({ provider: this.#provider, operation, reason })
  }

  throttleWait(seconds: number): void {
    this.#throttleWait.observe({ provider: this.#provider }, seconds)
  }

  breakerState(state: BreakerState): void {
    this.#breaker.set({ provider: this.#provider }, BREAKER_STATE_VALUE[state])
  }

  rateLimitRemaining(remaining: number): void {
    this.#remaining.set({ provider: this.#provider }, remaining)
  }
}
