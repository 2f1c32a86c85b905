export interface OverloadGuardOptions {
  /** Most intake requests processed at once; more answer 503. */
  maxInFlight: number
  /** Event-loop lag above which new requests answer 503. */
  maxEventLoopDelayMs: number
  /** @default 100 */
  sampleIntervalMs?: number
}

/**
 * Sheds load before the process falls over: too many requests in flight, or an event loop so
 * late that accepted requests would miss their own deadlines. Shedding answers 503 with
 * Retry-After, which webhook senders treat as "retry later", so nothing is lost.
 */
export class OverloadGuard {
  readonly #options: OverloadGuardOptions
  #inFlight = 0
  #lagMs = 0
  readonly #timer: NodeJS.Timeout

  constructor(options: OverloadGuardOptions) {
    this.#options = options
    const interval = options.sampleIntervalMs ?? 100
    let expected = performance.now() + interval
    // A timer that fires late by X ms means the loop was blocked for about X ms.
    this.#timer = setInterval(() => {
      const now = performance.now()
      this.#lagMs = Math.max(0, now - expected)
      expected = now + interval
    }, interval)
    this.#timer.unref()
  }

  get inFlight(): number {
    return this.#inFlight
  }

  /** Admits a request (call `leave` when it ends) or returns why not. */
  enter(): { ok: true } | { ok: false; reason: string } {
    if (this.#inFlight >= this.#options.maxInFlight) {
      return { ok: false, reason: `more than ${this.#options.maxInFlight} requests in flight` }
    }
    if (this.#lagMs > this.#options.maxEventLoopDelayMs) {
      return { ok: false, reason: `event loop ${Math.round(this.#lagMs)} ms behind` }
    }
    this.#inFlight++
    return { ok: true }
  }

  leave(): void {
    this.#inFlight--
  }

  close(): void {
    clearInterval(this.#timer)
  }
}
