import { setTimeout as sleep } from 'node:timers/promises'
import {
  type BackoffPolicy,
  PermanentError,
  backoffDelayMs,
  TransientError,
  type LedgerError,
  type LedgerEvent,
  type Logger,
} from '@integration-ledger/core'
import type { LedgerPublisher } from '@integration-ledger/sdk'
import type { BrokerHealth } from '../broker-health.js'
import type { DeliveryKey, DeliveryStore } from '../dedup/delivery-store.js'
import type { IngestMetrics } from '../metrics.js'

/** One delivery to publish exactly once. */
export interface IntakeRequest extends DeliveryKey {
  event: LedgerEvent
  topic: string
  /** Hash of the request body; when given, a reuse of the key with another body is refused. */
  requestHash?: string
}

/** `duplicate`: the delivery had already been accepted; nothing was published this time. */
export interface IntakeResult {
  eventId: string
  duplicate: boolean
}

export interface IntakeOptions {
  store: DeliveryStore
  publisher: LedgerPublisher
  broker: BrokerHealth
  metrics: IngestMetrics
  logger: Logger
  /** Longest wait for the broker's acknowledgement before answering 503. */
  produceTimeoutMs: number
  /** Retry-After for broker outages. */
  retryAfterMs: number
  /** How long a claim holds; in-flight claims are renewed at a third of it. */
  leaseMs: number
}

/** A delivery being published by this process, from claim until its record's fate is known. */
interface Flight {
  key: DeliveryKey
  requestHash: string | undefined
  /** Settles once the outcome is final and recorded in PostgreSQL. */
  done: Promise<IntakeResult>
  claimed: boolean
}

/** How the outcome write is retried while PostgreSQL is away. */
const OUTCOME_RETRY: BackoffPolicy = { baseMs: 250, maxMs: 5000 }

const flightId = (k: DeliveryKey) => `${k.scope}\u0000${k.key}`

/**
 * Publishes each delivery at most once and answers only after Kafka acknowledged it.
 *
 * Concurrent requests for one delivery in this process share one flight (single-flight); across
 * processes the PostgreSQL claim decides. A flight ends only when its record's final outcome is
 * known, not when its HTTP request times out: a record sent before a 503 may still be acked, and
 * until then a retry must neither publish it again (double) nor be told it is lost.
 */
export class Intake {
  readonly #options: IntakeOptions
  readonly #flights = new Map<string, Flight>()
  readonly #renewTimer: NodeJS.Timeout
  #closed = false

  constructor(options: IntakeOptions) {
    this.#options = options
    this.#renewTimer = setInterval(() => void this.#renewLeases(), Math.max(100, options.leaseMs / 3))
    this.#renewTimer.unref()
  }

  /** Deliveries whose outcome is not final yet (for shutdown and tests). */
  get pending(): number {
    return this.#flights.size
  }

  /**
   * Publishes the delivery unless it was accepted before.
   * @throws TransientError BROKER_UNAVAILABLE / BROKER_TIMEOUT / DATABASE_UNAVAILABLE (503),
   *   CONFLICT with Retry-After while another process publishes it (409),
   *   PermanentError CONFLICT when an Idempotency-Key is reused with another body (409).
   */
  async submit(request: IntakeRequest): Promise<IntakeResult> {
    const existing = this.#flights.get(flightId(request))
    if (existing) {
      assertSameBody(existing.requestHash ?? null, request)
      const result = await this.#bounded(existing.done)
      return { eventId: result.eventId, duplicate: true }
    }
    this.assertBrokerAvailable()
    let resolveDone!: (r: IntakeResult) => void
    let rejectDone!: (err: unknown) => void
    const flight: Flight = {
      key: { scope: request.scope, key: request.key },
      requestHash: request.requestHash,
      claimed: false,
      done: new Promise<IntakeResult>((resolve, reject) => {
        resolveDone = resolve
        rejectDone = reject
      }),
    }
    this.#flights.set(flightId(request), flight)
    // Joiners observe `done`; the catch keeps a failure nobody joined from being unhandled. A
    // claimed flight leaves the map only once its outcome is recorded (#recordOutcome).
    void flight.done
      .catch(() => {})
      .finally(() => {
        if (!flight.claimed) this.#flights.delete(flightId(request))
      })
    return this.#fly(request, flight, resolveDone, rejectDone)
  }

  /**
   * Fails fast while the broker is known to be down, instead of making every sender wait out the
   * produce timeout; the periodic probe lifts it when the broker returns.
   * @throws TransientError BROKER_UNAVAILABLE with Retry-After.
   */
  assertBrokerAvailable(): void {
    if (!this.#options.broker.available) {
      throw new TransientError(
        'BROKER_UNAVAILABLE',
        'Kafka is unreachable or takes no writes, so nothing can be accepted now; the delivery was not accepted, retry later.',
        { retryAfterMs: this.#options.retryAfterMs },
      )
    }
  }

  /** Stops renewing leases; flights still pending keep their claims until the lease runs out. */
  close(): void {
    this.#closed = true
    clearInterval(this.#renewTimer)
  }

  /** Returns the requester's answer; settles `done` when the outcome is final. */
  async #fly(
    request: IntakeRequest,
    flight: Flight,
    resolveDone: (r: IntakeResult) => void,
    rejectDone: (err: unknown) => void,
  ): Promise<IntakeResult> {
    const { store, publisher, metrics } = this.#options
    let claim
    const claimStarted = performance.now()
    try {
      claim = await store.claim({
        scope: request.scope,
        key: request.key,
        eventId: request.event.eventId,
        ...(request.requestHash === undefined ? {} : { requestHash: request.requestHash }),
      })
    } catch (err) {
      rejectDone(err)
      throw err
    } finally {
      metrics.claimSeconds.observe((performance.now() - claimStarted) / 1000)
    }
    if (claim.status !== 'claimed') {
      try {
        assertSameBody(claim.requestHash, request)
        if (claim.status === 'busy') {
          throw new TransientError(
            'CONFLICT',
            'This delivery is being published by another request right now; retry shortly to get its result.',
            { retryAfterMs: 1000 },
          )
        }
      } catch (err) {
        rejectDone(err)
        throw err
      }
      const result = { eventId: claim.eventId, duplicate: true }
      resolveDone(result)
      return result
    }

    flight.claimed = true
    const started = performance.now()
    const published = publisher.publish(request.event, {
      topic: request.topic,
      timeoutMs: this.#options.produceTimeoutMs,
      onOutcome: (outcome, error) => {
        const acked = outcome === 'acked'
        // Kafka's verdict is final, so whoever joined this flight learns it now; the flight itself
        // stays (answering this process's duplicates, its lease renewed) until PostgreSQL knows.
        if (acked) resolveDone({ eventId: request.event.eventId, duplicate: false })
        else rejectDone(lostError(outcome, error))
        if (outcome === 'unknown') {
          // Shutting down with the record sent but unanswered: releasing the claim would invite a
          // second copy; leaving it lets the lease run out first, so a redelivery publishes again
          // only then (the event ID is the same, so consumers see a duplicate, not a new event).
          this.#options.logger.warn(
            { scope: request.scope, eventId: request.event.eventId },
            'shutting down before Kafka answered for this delivery; its claim stays until the lease runs out',
          )
          this.#flights.delete(flightId(request))
          return
        }
        void this.#recordOutcome(request, acked).finally(() => this.#flights.delete(flightId(request)))
      },
    })
    try {
      await published
    } finally {
      metrics.produceSeconds.observe((performance.now() - started) / 1000)
    }
    // Not waiting for the `accepted` mark: Kafka has the event, and until the mark is written the
    // flight stays in the map (this process answers duplicates) and the row stays pending (other
    // replicas answer 409 retry-later). Saves a database round trip per request.
    return { eventId: request.event.eventId, duplicate: false }
  }

  /**
   * Writes the delivery's outcome, retrying while PostgreSQL is away: a lost `accepted` mark would
   * let the claim expire and a redelivery publish the event a second time.
   */
  async #recordOutcome(request: IntakeRequest, acked: boolean): Promise<void> {
    const { store, logger } = this.#options
    const key = { scope: request.scope, key: request.key }
    for (let attempt = 0; ; attempt++) {
      try {
        await (acked ? store.accept(key) : store.release(key))
        return
      } catch (err) {
        const fields = { err, scope: request.scope, eventId: request.event.eventId, attempt }
        if (this.#closed) {
          logger.error(
            fields,
            'shutting down before the delivery outcome reached PostgreSQL; a redelivery after the lease may publish it again',
          )
          return
        }
        if (attempt === 0)
          logger.warn(
            fields,
            'could not record the delivery outcome in PostgreSQL; retrying until it answers',
          )
        await sleep(backoffDelayMs(attempt, OUTCOME_RETRY))
      }
    }
  }

  async #bounded(done: Promise<IntakeResult>): Promise<IntakeResult> {
    let timer: NodeJS.Timeout | undefined
    try {
      return await Promise.race([
        done,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new TransientError(
                  'BROKER_TIMEOUT',
                  'An earlier request for this delivery is still waiting for Kafka; retry later.',
                  { retryAfterMs: this.#options.retryAfterMs },
                ),
              ),
            this.#options.produceTimeoutMs,
          )
        }),
      ])
    } finally {
      clearTimeout(timer)
    }
  }

  async #renewLeases(): Promise<void> {
    const keys = [...this.#flights.values()].filter((f) => f.claimed).map((f) => f.key)
    try {
      await this.#options.store.renew(keys)
    } catch (err) {
      this.#options.logger.warn({ err, claims: keys.length }, 'could not renew delivery leases; will retry')
    }
  }
}

function assertSameBody(storedHash: string | null, request: IntakeRequest): void {
  if (request.requestHash !== undefined && storedHash !== null && storedHash !== request.requestHash) {
    throw new PermanentError(
      'CONFLICT',
      `Idempotency-Key "${request.key}" was already used with a different request body; use a new key for a different event, or resend the original body.`,
    )
  }
}

function lostError(outcome: string, error: LedgerError | undefined): LedgerError {
  // Refused for good (too large): the sender is told so, never 503 with Retry-After.
  if (error && !error.retryable && outcome === 'failed') return error
  return new TransientError(
    'BROKER_UNAVAILABLE',
    outcome === 'unknown'
      ? 'Ingest shut down before Kafka answered; the event may be stored. Retry: if it was, the retry is answered as a duplicate.'
      : `Kafka did not store the event (${outcome}); it was not accepted, retry later.`,
    { retryAfterMs: 1000 },
  )
}
