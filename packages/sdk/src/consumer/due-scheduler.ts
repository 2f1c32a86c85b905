import type { ConsumerTransport, TopicPartitions } from '@integration-ledger/kafka'

/** Why a partition is held: a retry record not yet due, or the sink breaker being open. */
export type HoldReason = 'due' | 'breaker'

interface Hold {
  topic: string
  partition: number
  reasons: Map<HoldReason, NodeJS.Timeout>
}

/**
 * Holds partitions without blocking the others: `hold` seeks the partition back to the first
 * record not handled, pauses it, and resumes it by itself at the given time. Nothing sleeps in
 * the batch handler, so other partitions keep flowing while one waits for its due time.
 */
export class DueScheduler {
  readonly #consumer: Pick<ConsumerTransport, 'pause' | 'resume' | 'seek'>
  readonly #holds = new Map<string, Hold>()
  readonly #onChange: (counts: Record<HoldReason, number>) => void
  #closed = false

  constructor(
    consumer: Pick<ConsumerTransport, 'pause' | 'resume' | 'seek'>,
    onChange: (counts: Record<HoldReason, number>) => void = () => {},
  ) {
    this.#consumer = consumer
    this.#onChange = onChange
  }

  /** Re-reads `topic`/`partition` from `offset` once `until` (epoch ms) has passed. */
  hold(topic: string, partition: number, offset: string, until: number, reason: HoldReason): void {
    if (this.#closed) return
    const key = `${topic}\0${partition}`
    let entry = this.#holds.get(key)
    if (!entry) {
      entry = { topic, partition, reasons: new Map() }
      this.#holds.set(key, entry)
    }
    this.#consumer.seek({ topic, partition, offset })
    this.#consumer.pause([{ topic, partitions: [partition] }])
    clearTimeout(entry.reasons.get(reason))
    const held = entry
    const timer = setTimeout(() => this.#release(key, held, reason), Math.max(0, until - Date.now()))
    timer.unref()
    entry.reasons.set(reason, timer)
    this.#report()
  }

  /** Forgets holds on partitions this member no longer owns (after a rebalance). */
  retain(assignment: readonly TopicPartitions[]): void {
    const owned = new Set(assignment.flatMap((a) => (a.partitions ?? []).map((p) => `${a.topic}\0${p}`)))
    for (const [key, entry] of this.#holds) {
      if (owned.has(key)) continue
      for (const timer of entry.reasons.values()) clearTimeout(timer)
      this.#holds.delete(key)
      // The next owner reads from the committed offset; should this member get the partition
      // back, it must not stay paused with no timer left to resume it.
      this.#consumer.resume([{ topic: entry.topic, partitions: [entry.partition] }])
    }
    this.#report()
  }

  /** Partitions currently held, per reason. */
  counts(): Record<HoldReason, number> {
    const counts: Record<HoldReason, number> = { due: 0, breaker: 0 }
    for (const entry of this.#holds.values()) for (const reason of entry.reasons.keys()) counts[reason]++
    return counts
  }

  /** Cancels every scheduled resume (shutdown). */
  close(): void {
    this.#closed = true
    for (const entry of this.#holds.values()) for (const timer of entry.reasons.values()) clearTimeout(timer)
    this.#holds.clear()
  }

  #release(key: string, entry: Hold, reason: HoldReason): void {
    entry.reasons.delete(reason)
    if (entry.reasons.size === 0 && this.#holds.get(key) === entry) {
      this.#holds.delete(key)
      if (!this.#closed) this.#consumer.resume([{ topic: entry.topic, partitions: [entry.partition] }])
    }
    this.#report()
  }

  #report(): void {
    this.#onChange(this.counts())
  }
}
