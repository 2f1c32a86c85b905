import { defer } from '@integration-ledger/core'

export interface MicroBatcherOptions<I, O> {
  /** Runs one batch; returns one result per item, in the same order. */
  run(items: readonly I[]): Promise<O[]>
  /**
   * How long the first item of a batch waits for company. 0 waits only for the current turn of the
   * event loop: under load the batch still fills, since items queue while earlier batches run.
   * @default 0
   */
  lingerMs?: number
  /** Most items in one batch. @default 500 */
  maxBatch?: number
  /** Batches running at once (one database connection each). @default 4 */
  maxConcurrent?: number
}

/** A submitted item and how to answer its caller. */
export interface Queued<I, O> {
  item: I
  resolve: (value: O) => void
  reject: (err: unknown) => void
}

/**
 * Turns concurrent single-item calls into few multi-item calls, so per-request database work costs
 * one round trip per batch instead of one per request. A failed batch fails each of its callers.
 */
export class MicroBatcher<I, O> {
  readonly #run: (items: readonly I[]) => Promise<O[]>
  readonly #lingerMs: number
  readonly #maxBatch: number
  readonly #maxConcurrent: number
  #queue: Queued<I, O>[] = []
  #running = 0
  #cancelLinger: (() => void) | undefined

  constructor(options: MicroBatcherOptions<I, O>) {
    this.#run = (items) => options.run(items)
    this.#lingerMs = options.lingerMs ?? 0
    this.#maxBatch = options.maxBatch ?? 500
    this.#maxConcurrent = options.maxConcurrent ?? 4
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject })
      if (this.#queue.length >= this.#maxBatch) this.#drain()
      else this.#cancelLinger ??= defer(() => this.#drain(), this.#lingerMs)
    })
  }

  /**
   * Removes queued items so that another statement can carry them along (one round trip for two
   * kinds of work under load); the caller must resolve or reject each one.
   */
  takeQueued(): Queued<I, O>[] {
    const taken = this.#queue.splice(0, this.#maxBatch)
    if (this.#queue.length === 0) {
      this.#cancelLinger?.()
      this.#cancelLinger = undefined
    }
    return taken
  }

  #drain(): void {
    this.#cancelLinger?.()
    this.#cancelLinger = undefined
    while (this.#queue.length > 0 && this.#running < this.#maxConcurrent) {
      const batch = this.#queue.splice(0, this.#maxBatch)
      this.#running++
      void this.#execute(batch).finally(() => {
        this.#running--
        // Whatever queued while every slot was busy goes at once: it has already waited.
        if (this.#queue.length > 0) this.#drain()
      })
    }
  }

  async #execute(batch: Queued<I, O>[]): Promise<void> {
    try {
      const results = await this.#run(batch.map((w) => w.item))
      batch.forEach((w, i) => w.resolve(results[i] as O))
    } catch (err) {
      for (const w of batch) w.reject(err)
    }
  }
}
