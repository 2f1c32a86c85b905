import { TransientError, defer } from '@ledger/core'
import type { OutgoingRecord, ProducerTransport } from './types.js'

export interface BatchingProducerOptions {
  /**
   * How long the first record of a batch waits for company before the batch is sent. Records that
   * arrive while a batch is in flight are sent together as soon as it is acknowledged.
   * 0 waits only for the current turn of the event loop, which under load already
   * gathers every request that arrived meanwhile; a longer linger trades latency for fewer requests.
   * @default 0
   */
  lingerMs?: number
  /** Most records in one produce request. @default 1000 */
  maxBatchRecords?: number
  /** Told about every produce request, for metrics. */
  onBatch?: (info: { records: number; durationMs: number; ok: boolean }) => void
  /**
   * How long `close()` waits for records already sent (a broker that is down never answers)
   * before it disconnects and reports their outcome as `unknown`.
   * @default 10000
   */
  closeTimeoutMs?: number
}

/**
 * What finally became of a record: `acked` (stored, acks=all), `failed` (the broker refused the
 * request holding it), `withdrawn` (its caller's timeout passed while it was still queued: never
 * sent) or `unknown` (sent, but the producer was closed before the broker answered: it may be
 * stored or not).
 */
export type ProduceOutcome = 'acked' | 'failed' | 'withdrawn' | 'unknown'

export interface ProduceOptions {
  /**
   * Longest wait for the broker's acknowledgement. When it passes, the promise rejects with a
   * transient `BROKER_TIMEOUT`; a record still queued is withdrawn, one already sent may yet land.
   */
  timeoutMs?: number
  /**
   * Called exactly once with the record's final outcome, even after `timeoutMs` rejected the
   * promise: a record already sent when its caller gave up may still be acknowledged, and whoever
   * tracks delivery state (deduplication) must learn that rather than guess.
   */
  onOutcome?: (outcome: ProduceOutcome) => void
}

interface Pending {
  record: OutgoingRecord
  resolve(): void
  reject(err: Error): void
  /** The caller's promise has been settled (ack, failure or timeout). */
  settled: boolean
  /** Sent in a request: the timeout can no longer withdraw it. */
  sent: boolean
  onOutcome: ((outcome: ProduceOutcome) => void) | undefined
}

/**
 * Collects concurrent `produce` calls into one produce request, so throughput does not collapse to
 * one broker round trip per record. Each caller's promise resolves only after the batch holding
 * its own record is acknowledged (acks=all by the transport). One request is in flight at a time,
 * which is what the idempotent producer needs to keep its sequence numbers ordered.
 */
export class BatchingProducer {
  readonly #transport: ProducerTransport
  readonly #lingerMs: number
  readonly #maxBatchRecords: number
  readonly #onBatch: BatchingProducerOptions['onBatch']
  readonly #closeTimeoutMs: number
  #queue: Pending[] = []
  #inFlight: Promise<void> | undefined
  #cancelLinger: (() => void) | undefined
  #lastSendOk = true
  #closed = false
  /** close() gave up waiting and disconnected: what fails from now on has an unknown outcome. */
  #abandoned = false

  constructor(transport: ProducerTransport, options: BatchingProducerOptions = {}) {
    this.#transport = transport
    this.#lingerMs = options.lingerMs ?? 0
    this.#maxBatchRecords = options.maxBatchRecords ?? 1000
    this.#onBatch = options.onBatch
    this.#closeTimeoutMs = options.closeTimeoutMs ?? 10_000
  }

  /**
   * Whether the last produce request succeeded. The transport resends what the broker may have
   * stored, so a failure here means the broker refused the records (too large, topic missing), not
   * that it is down: ask the broker (a metadata probe) for that.
   */
  get brokerAvailable(): boolean {
    return this.#lastSendOk
  }

  /** Records waiting for a produce request (not yet sent). */
  get queued(): number {
    return this.#queue.length
  }

  produce(record: OutgoingRecord, options: ProduceOptions = {}): Promise<void> {
    if (this.#closed) {
      options.onOutcome?.('withdrawn')
      return Promise.reject(
        new TransientError(
          'BROKER_UNAVAILABLE',
          'The producer is shutting down; retry against another instance.',
        ),
      )
    }
    return new Promise<void>((resolve, reject) => {
      const pending: Pending = {
        record,
        resolve,
        reject,
        settled: false,
        sent: false,
        onOutcome: options.onOutcome,
      }
      if (options.timeoutMs !== undefined) {
        const timer = setTimeout(() => {
          if (pending.settled) return
          const err = new TransientError(
            'BROKER_TIMEOUT',
            `Kafka did not acknowledge the record within ${options.timeoutMs} ms; retry later.`,
            { retryAfterMs: 1000 },
          )
          if (pending.sent) {
            // Already in a request: its outcome comes with the broker's answer.
            pending.settled = true
            reject(err)
            return
          }
          this.#queue = this.#queue.filter((p) => p !== pending)
          this.#withdraw(pending, err)
        }, options.timeoutMs)
        pending.resolve = () => {
          clearTimeout(timer)
          resolve()
        }
        pending.reject = (err) => {
          clearTimeout(timer)
          reject(err)
        }
      }
      this.#queue.push(pending)
      this.#schedule()
    })
  }

  /** Sends everything queued and waits for it. */
  async flush(): Promise<void> {
    this.#cancelLinger?.()
    this.#cancelLinger = undefined
    while (this.#inFlight || this.#queue.length > 0) {
      if (this.#inFlight) await this.#inFlight
      else this.#sendNext()
    }
  }

  /**
   * Stops taking records, sends what is queued, and disconnects the transport. Waits at most
   * `closeTimeoutMs` for the broker; records still unanswered then get the outcome `unknown`.
   */
  async close(): Promise<void> {
    this.#closed = true
    const flushed = this.flush()
    let timer: NodeJS.Timeout | undefined
    const inTime = await Promise.race([
      flushed.then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), this.#closeTimeoutMs))),
    ])
    clearTimeout(timer)
    this.#abandoned = !inTime
    await this.#transport.disconnect()
    await flushed
  }

  #schedule(): void {
    if (this.#inFlight || this.#cancelLinger) return
    if (this.#queue.length >= this.#maxBatchRecords) {
      this.#sendNext()
      return
    }
    this.#cancelLinger = defer(() => {
      this.#cancelLinger = undefined
      this.#sendNext()
    }, this.#lingerMs)
  }

  #sendNext(): void {
    if (this.#inFlight) return
    if (this.#abandoned) {
      // close() gave up on the broker: what was never sent is withdrawn, not left waiting.
      const err = new TransientError(
        'BROKER_UNAVAILABLE',
        'The producer closed before this record was sent; retry against another instance.',
      )
      for (const pending of this.#queue.splice(0)) this.#withdraw(pending, err)
      return
    }
    const batch = this.#queue.splice(0, this.#maxBatchRecords).filter((p) => !p.settled)
    if (batch.length === 0) return
    for (const p of batch) p.sent = true
    const started = performance.now()
    this.#inFlight = this.#transport
      .send(batch.map((p) => p.record))
      .then(
        () => {
          this.#lastSendOk = true
          this.#onBatch?.({ records: batch.length, durationMs: performance.now() - started, ok: true })
          for (const p of batch) this.#settle(p, null)
        },
        (err: unknown) => {
          this.#lastSendOk = false
          this.#onBatch?.({ records: batch.length, durationMs: performance.now() - started, ok: false })
          for (const p of batch) this.#settle(p, err)
        },
      )
      .finally(() => {
        this.#inFlight = undefined
        // Whatever queued up meanwhile goes out at once: it has already waited one round trip.
        if (this.#queue.length > 0) this.#sendNext()
      })
  }

  /** Tells the caller of a record taken out of the queue, never sent, why it was. */
  #withdraw(pending: Pending, err: Error): void {
    pending.settled = true
    pending.onOutcome?.('withdrawn')
    pending.reject(err)
  }

  #settle(pending: Pending, err: unknown): void {
    pending.onOutcome?.(err === null ? 'acked' : this.#abandoned ? 'unknown' : 'failed')
    if (pending.settled) return
    pending.settled = true
    if (err === null) pending.resolve()
    else pending.reject(err instanceof Error ? err : new Error('produce failed', { cause: err }))
  }
}
