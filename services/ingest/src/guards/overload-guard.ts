export interface OverloadGuardOptions {
  /** Most intake requests processed at once; more answer 503. */
  maxInFlight: number
  /** Event-loop lag above which new requests answer 503. */
  maxEventLoopDelayMs: number
  /**
   * Most request-body bytes held at once: each request's announced Content-Length, or what has
   * arrived of a body without one. Bounds memory however many senders send large bodies at once.
   * @default Infinity
   */
  maxInFlightBytes?: number
  /** @default 100 */
  sampleIntervalMs?: number
}

/**
 * Sheds load before the process falls over: too many requests in flight, too many body bytes held
 * in memory, or an event loop so late that accepted requests would miss their own deadlines. Shedding answers 503 with
 * Retry-After, which webhook senders treat as "retry later", so nothing is lost.
 */
export class OverloadGuard {
  readonly #options: OverloadGuardOptions
  #inFlight = 0
  #bytes = 0
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

  /** Body bytes reserved by requests in flight. */
  get bytesInFlight(): number {
    return this.#bytes
  }

  /** Holds `bytes` of body for an admitted request (release them when it ends) or returns why not. */
  reserveBytes(bytes: number): { ok: true } | { ok: false; reason: string } {
    const max = this.#options.maxInFlightBytes ?? Infinity
    if (bytes > 0 && this.#bytes + bytes > max) {
      return { ok: false, reason: `more than ${max} body bytes in flight` }
    }
    this.#bytes += bytes
    return { ok: true }
  }

  releaseBytes(bytes: number): void {
    this.#bytes -= bytes
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
