import type { OutboundResult } from '@integration-ledger/outbound'
import type { RemoteStats } from './remote-source.js'

/** Requests and throttle waits of every call an outbound client made (its `onResult`). */
export class CallStats {
  readonly #stats: RemoteStats = { requests: 0, throttleWaits: 0, throttleWaitMs: 0 }

  readonly record = (result: OutboundResult): void => {
    for (const a of result.attempts) {
      if (a.sent) this.#stats.requests++
      const waited = a.throttleWaitMs + a.retryWaitMs
      if (waited > 0) {
        this.#stats.throttleWaits++
        this.#stats.throttleWaitMs += waited
      }
    }
  }

  snapshot(): RemoteStats {
    return { ...this.#stats }
  }
}
