import { type LedgerError, TransientError, defer, findLedgerError } from '@integration-ledger/core'
import { recordTooLargeError } from './errors.js'
import { MAX_RECORD_BATCH_BYTES, batchBytes, recordBytes } from './limits.js'
import type { OutgoingRecord, ProducerTransport, RecordOutcome } from './types.js'

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
  /**
   * Most bytes in one produce request (records as `recordBytes` counts them, plus the batch
   * header). A partition's record batch is part of one request, so this bounds every partition's
   * batch too, which the broker refuses above the topic's `max.message.bytes`; a record that alone
   * exceeds it is refused at once (`RECORD_TOO_LARGE`), never sent.
   * @default MAX_RECORD_BATCH_BYTES (8 MiB, the ledger topics' max.message.bytes)
   */
  maxBatchBytes?: number
  /**
   * Told about every produce request, for metrics: `ok` when the broker answered it (records it
   * refused count in `refused`), false when the producer closed before it did.
   */
  onBatch?: (info: {
    records: number
    bytes: number
    refused: number
    durationMs: number
    ok: boolean
  }) => void
  /**
   * How long `close()` waits for records already sent (a broker that is down never answers)
   * before it disconnects and reports their outcome as `unknown`.
   * @default 10000
   */
  closeTimeoutMs?: number
}

/**
 * What finally became of a record: `acked` (stored, acks=all), `failed` (refused for good: by the
 * broker, or too large to ever be stored), `withdrawn` (its caller's timeout passed while it was
 * still queued: never sent) or `unknown` (sent, but the producer was closed before the broker
 * answered: it may be stored or not).
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
   * tracks delivery state (deduplication) must learn that rather than guess. `error` says why a
   * record was not acked.
   */
  onOutcome?: (outcome: ProduceOutcome, error?: LedgerError) => void
}

interface Pending {
  record: OutgoingRecord
  /** `recordBytes(record)`, counted once. */
  bytes: number
  resolve(): void
  reject(err: Error): void
  /** The caller's promise has been settled (ack, failure or timeout). */
  settled: boolean
  /** Sent in a request: the timeout can no longer withdraw it. */
  sent: boolean
  onOutcome: ProduceOptions['onOutcome']
}

/**
 * Collects concurrent `produce` calls into one batch (a "produce request" below), so throughput
 * does not collapse to one broker round trip per record. Each caller's promise resolves only after
 * its own record is acknowledged (acks=all by the transport). One batch is in flight at a time, so
 * each partition has one request in flight (the kafkajs transport sends every partition's part of
 * a batch as a request of its own, to the partition's leader), which is what the idempotent
 * producer needs to keep its sequence numbers ordered, on one broker or several. Batches are
 * bounded by record count and by bytes; a record the broker refuses fails alone, its batch-mates
 * are stored, each exactly once, and each caller is told what became of its own record (the
 * transport's `sendEach`).
 */
export class BatchingProducer {
  readonly #transport: ProducerTransport
  readonly #lingerMs: number
  readonly #maxBatchRecords: number
  readonly #maxBatchBytes: number
  readonly #onBatch: BatchingProducerOptions['onBatch']
  readonly #closeTimeoutMs: number
  #queue: Pending[] = []
  /** Bytes of the records in `#queue`. */
  #queuedBytes = 0
  #inFlight: Promise<void> | undefined
  /** When the request in flight was sent (`performance.now()`). */
  #sentAt: number | undefined
  #cancelLinger: (() => void) | undefined
  #lastSendOk = true
  #closed = false
  /** close() gave up waiting and disconnected: what fails from now on has an unknown outcome. */
  #abandoned = false

  constructor(transport: ProducerTransport, options: BatchingProducerOptions = {}) {
    this.#transport = transport
    this.#lingerMs = options.lingerMs ?? 0
    this.#maxBatchRecords = options.maxBatchRecords ?? 1000
    this.#maxBatchBytes = options.maxBatchBytes ?? MAX_RECORD_BATCH_BYTES
    this.#onBatch = options.onBatch
    this.#closeTimeoutMs = options.closeTimeoutMs ?? 10_000
  }

  /**
   * Whether the broker answered the last produce request (storing or refusing its records). The
   * transport resends through outages, so this turns false only when the producer was closed
   * before an answer came: ask the broker (a metadata probe) whether it is up.
   */
  get brokerAvailable(): boolean {
    return this.#lastSendOk
  }

  /**
   * How long the request in flight has waited for the broker (0 when none is). Everything queued
   * waits behind it, so a request that stays unanswered (a partition that takes no writes) holds
   * up every record: whoever reports readiness should say so.
   */
  get unansweredMs(): number {
    return this.#sentAt === undefined ? 0 : performance.now() - this.#sentAt
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
    const bytes = recordBytes(record)
    if (batchBytes(bytes) > this.#maxBatchBytes) {
      const err = recordTooLargeError(record.topic, batchBytes(bytes), this.#maxBatchBytes)
      options.onOutcome?.('failed', err)
      return Promise.reject(err)
    }
    return new Promise<void>((resolve, reject) => {
      const pending: Pending = {
        record,
        bytes,
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
          this.#queuedBytes -= pending.bytes
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
      this.#queuedBytes += bytes
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
    if (this.#queue.length >= this.#maxBatchRecords || batchBytes(this.#queuedBytes) >= this.#maxBatchBytes) {
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
      this.#queuedBytes = 0
      return
    }
    const batch = this.#takeBatch()
    if (batch.length === 0) return
    for (const p of batch) p.sent = true
    const bytes = batchBytes(batch.reduce((sum, p) => sum + p.bytes, 0))
    const started = performance.now()
    this.#sentAt = started
    this.#inFlight = this.#transport
      .sendEach(batch.map((p) => p.record))
      .then(
        (outcomes) => {
          this.#lastSendOk = true
          const refused = outcomes.filter((o) => o.status === 'refused').length
          const durationMs = performance.now() - started
          this.#onBatch?.({ records: batch.length, bytes, refused, durationMs, ok: true })
          batch.forEach((p, i) => this.#settle(p, outcomes[i]))
        },
        (err: unknown) => {
          this.#lastSendOk = false
          const durationMs = performance.now() - started
          this.#onBatch?.({ records: batch.length, bytes, refused: 0, durationMs, ok: false })
          const error =
            findLedgerError(err) ??
            new TransientError('BROKER_UNAVAILABLE', 'Kafka produce failed; retry later.', { cause: err })
          for (const p of batch) this.#settle(p, { status: 'unknown', error })
        },
      )
      .finally(() => {
        this.#inFlight = undefined
        this.#sentAt = undefined
        // Whatever queued up meanwhile goes out at once: it has already waited one round trip.
        if (this.#queue.length > 0) this.#sendNext()
      })
  }

  /**
   * The next request's records, in queue order: up to `maxBatchRecords` and `maxBatchBytes`
   * (always at least one; produce() refused any record that alone is over the byte bound).
   */
  #takeBatch(): Pending[] {
    let count = 0
    let bytes = 0
    for (const p of this.#queue) {
      if (count === this.#maxBatchRecords || (count > 0 && batchBytes(bytes + p.bytes) > this.#maxBatchBytes))
        break
      count++
      bytes += p.bytes
    }
    this.#queuedBytes -= bytes
    return this.#queue.splice(0, count).filter((p) => !p.settled)
  }

  /** Tells the caller of a record taken out of the queue, never sent, why it was. */
  #withdraw(pending: Pending, err: LedgerError): void {
    pending.settled = true
    pending.onOutcome?.('withdrawn', err)
    pending.reject(err)
  }

  #settle(pending: Pending, outcome: RecordOutcome | undefined): void {
    if (outcome?.status === 'stored') {
      pending.onOutcome?.('acked')
      if (pending.settled) return
      pending.settled = true
      pending.resolve()
      return
    }
    const error =
      outcome?.error ??
      new TransientError('BROKER_UNAVAILABLE', 'Kafka gave no answer for this record; retry later.')
    // Refused is certain (not stored); anything else without an answer may be stored or not.
    pending.onOutcome?.(outcome?.status === 'refused' ? 'failed' : 'unknown', error)
    if (pending.settled) return
    pending.settled = true
    pending.reject(error)
  }
}
