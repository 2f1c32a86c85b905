import type { Logger } from '@integration-ledger/core'
import { createKafkajsTransport } from '@integration-ledger/sdk'

export interface BrokerHealthOptions {
  /** Resolves when the broker answers a cheap request (metadata); rejects or hangs otherwise. */
  probe(): Promise<void>
  /** @default 2000 */
  intervalMs?: number
  /** A probe slower than this counts as a failure. @default 2000 */
  timeoutMs?: number
  logger: Logger
  /** Told every change, for the broker availability gauge. */
  onChange?: (available: boolean) => void
  /** How long the producer's request in flight has waited for the broker (0 when none is). */
  producerWaitMs?: () => number
  /**
   * A produce request unanswered this long counts as Kafka unavailable, even while metadata
   * answers: everything queued waits behind it (a partition that takes no writes, such as one
   * short of in-sync replicas), so nothing can be accepted meanwhile. @default 5000
   */
  maxProducerWaitMs?: number
}

/**
 * Whether Kafka is usable, as /readyz and the fast-fail path see it. Probed on a timer, so an
 * outage is noticed within a probe interval and readiness recovers when the broker returns even
 * with no traffic; an acknowledged produce request also reports it back. A broker that answers
 * metadata but leaves the producer's request unanswered counts as unavailable too.
 */
export class BrokerHealth {
  readonly #options: BrokerHealthOptions
  #available = true
  #timer: NodeJS.Timeout | undefined
  #probing = false
  /** The underlying probe, kept across timeouts so a hung one is awaited again, not duplicated. */
  #inFlight: Promise<void> | undefined

  constructor(options: BrokerHealthOptions) {
    this.#options = options
  }

  get available(): boolean {
    return this.#available
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.probeNow(), this.#options.intervalMs ?? 2000)
    this.#timer.unref()
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** Runs one probe unless one is still running (a hung probe must not pile up). */
  async probeNow(): Promise<void> {
    if (this.#probing) return
    this.#probing = true
    const timeoutMs = this.#options.timeoutMs ?? 2000
    let timer: NodeJS.Timeout | undefined
    try {
      if (this.#inFlight === undefined) {
        const probe = this.#options.probe().finally(() => {
          this.#inFlight = undefined
        })
        probe.catch(() => {}) // observed through the race; a late rejection must not go unhandled
        this.#inFlight = probe
      }
      await Promise.race([
        this.#inFlight,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
        }),
      ])
      const waitedMs = this.#options.producerWaitMs?.() ?? 0
      if (waitedMs > (this.#options.maxProducerWaitMs ?? 5000)) {
        throw new Error(
          `Kafka answers metadata but has left a produce request unanswered for ${Math.round(waitedMs)} ms (a partition taking no writes?)`,
        )
      }
      this.report(true)
    } catch (err) {
      if (this.#available)
        this.#options.logger.warn({ err }, 'Kafka probe failed; answering 503 until it recovers')
      this.report(false)
    } finally {
      clearTimeout(timer)
      this.#probing = false
    }
  }

  /** Records an observation (probe or produce result). */
  report(available: boolean): void {
    if (available === this.#available) return
    this.#available = available
    if (available) this.#options.logger.info({}, 'Kafka is reachable again; accepting deliveries')
    this.#options.onChange?.(available)
  }
}

/**
 * A metadata request (list topics) on a client of its own with short timeouts, so a probe neither
 * waits behind produce requests nor hangs for the producer's long retry schedule.
 */
export function kafkaProbe(brokers: string[]): { run(): Promise<void>; close(): Promise<void> } {
  const admin = createKafkajsTransport({
    brokers,
    clientId: 'ledger-ingest-probe',
    connectionTimeoutMs: 1000,
    requestTimeoutMs: 2000,
  }).admin()
  return {
    async run() {
      try {
        await admin.connect()
        await admin.listTopics()
      } catch (err) {
        // Reconnect from scratch next time: a failed client keeps its broken connections.
        await admin.disconnect().catch(() => {})
        throw err
      }
    },
    close: () => admin.disconnect().catch(() => {}),
  }
}
