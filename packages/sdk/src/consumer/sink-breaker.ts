/**
 * A circuit breaker on the consumer's sink. While it is open the consumer holds every partition
 * instead of handing records to a handler that would fail them into retry topics; after the
 * backoff the next batch is the probe. Each consecutive trip doubles the backoff up to the cap.
 */
export class SinkBreaker {
  readonly #initialBackoffMs: number
  readonly #maxBackoffMs: number
  #backoffMs: number
  #openUntil = 0
  #trips = 0

  constructor(initialBackoffMs: number, maxBackoffMs: number) {
    this.#initialBackoffMs = initialBackoffMs
    this.#maxBackoffMs = maxBackoffMs
    this.#backoffMs = initialBackoffMs
  }

  /** When the breaker lets a probe through, or undefined when it is closed. */
  openUntil(now: number): number | undefined {
    return this.#openUntil > now ? this.#openUntil : undefined
  }

  /** True after a trip until a batch succeeds again (the open and half-open states). */
  get tripped(): boolean {
    return this.#trips > 0
  }

  /** Records a sink failure; returns the time the next probe may run. */
  trip(now: number): number {
    // Several partitions failing on the same outage count as one trip.
    if (this.#openUntil > now) return this.#openUntil
    if (this.#trips > 0) this.#backoffMs = Math.min(this.#backoffMs * 2, this.#maxBackoffMs)
    this.#trips++
    this.#openUntil = now + this.#backoffMs
    return this.#openUntil
  }

  /** A batch went through: the sink is back. */
  succeed(): void {
    this.#trips = 0
    this.#backoffMs = this.#initialBackoffMs
    this.#openUntil = 0
  }
}
