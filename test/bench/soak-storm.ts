// The soak's events: an endless storm, generated window by window so a million events never sit in
// memory at once, with the same shape and oracle as the projector tests' storm (`stormEvent`).
import type { LedgerEvent } from '@integration-ledger/core'
import { seededRandom } from '@integration-ledger/testing'
import { stormEvent } from '../e2e/projector-support.js'

export interface SoakStormOptions {
  /** Events to emit in all, re-sends included. */
  events: number
  /** Accounts the events are spread over (round robin, one version each per round). */
  entities: number
  /** Share of emitted events that re-send an event of the same window (same event ID), e.g. 0.1. */
  duplicateRatio: number
  /** @default 42 */
  seed?: number
}

/**
 * Emits rounds of one new version per account; each window of three rounds is shuffled, so an
 * account's versions arrive out of order, and carries re-sends of its own events. The oracle is
 * kept as events are emitted: per account, the highest version emitted so far.
 */
export class SoakStorm {
  /** Account ID → the event with the highest version emitted. */
  readonly oracle = new Map<string, LedgerEvent>()
  #distinct = 0
  #emitted = 0
  #window: LedgerEvent[] = []
  #round = 0
  readonly #rand: () => number
  readonly #o: SoakStormOptions

  constructor(options: SoakStormOptions) {
    this.#o = options
    this.#rand = seededRandom(options.seed ?? 42)
  }

  /** Distinct events emitted so far (what the ledger must hold once the pipeline drained). */
  get distinct(): number {
    return this.#distinct
  }

  get emitted(): number {
    return this.#emitted
  }

  /** The next event to send, or undefined once `events` were emitted. */
  next(): LedgerEvent | undefined {
    if (this.#emitted >= this.#o.events) return undefined
    if (this.#window.length === 0) this.#fill()
    const event = this.#window.pop()!
    this.#emitted++
    const best = this.oracle.get(event.entityId)
    if (!best || best.entityVersion < event.entityVersion) this.oracle.set(event.entityId, event)
    return event
  }

  #fill(): void {
    const { entities, duplicateRatio } = this.#o
    const distinct: LedgerEvent[] = []
    for (let r = 0; r < 3; r++) {
      this.#round++
      for (let e = 0; e < entities; e++) {
        distinct.push(stormEvent(`ent_${e}`, this.#round, Math.floor(this.#rand() * 1_000_000)))
      }
    }
    const resends = Math.round((distinct.length * duplicateRatio) / (1 - duplicateRatio))
    const window = [...distinct]
    for (let i = 0; i < resends; i++) window.push(distinct[Math.floor(this.#rand() * distinct.length)]!)
    for (let i = window.length - 1; i > 0; i--) {
      const j = Math.floor(this.#rand() * (i + 1))
      ;[window[i], window[j]] = [window[j]!, window[i]!]
    }
    // The last window may be cut short: count as distinct only what will be emitted of it.
    const left = this.#o.events - this.#emitted
    this.#window = window.slice(Math.max(0, window.length - left))
    this.#distinct += new Set(this.#window.map((e) => e.eventId)).size
  }
}
