import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleType } from 'cockatiel'
import type { CircuitBreakerPolicy } from 'cockatiel'
import type { BreakerSettings } from './policy.js'

/** The state of a provider's circuit breaker. */
export type BreakerState = 'closed' | 'open' | 'half-open'

/** An attempt whose outcome counts against the provider's health; carries that outcome through cockatiel. */
class UnhealthyAttempt<T> extends Error {
  constructor(readonly value: T) {
    super('unhealthy attempt')
  }
}

const STATES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  // Isolation is manual and unused here; to a caller it behaves as open.
  [CircuitState.Isolated]: 'open',
}

/** Returned by `ProviderBreaker.run` when the breaker refused the call without running it. */
export const BREAKER_OPEN = Symbol('breaker-open')

/**
 * One provider's circuit breaker: cockatiel's state machine (closed → open after N consecutive
 * unhealthy attempts → half-open after the cool-down, one probe → closed or open again), fed
 * with our classification of what is unhealthy, so a 4xx or a 429 never opens it.
 */
export class ProviderBreaker {
  readonly #policy: CircuitBreakerPolicy
  readonly #halfOpenAfterMs: number
  #openedAt = 0

  constructor(settings: BreakerSettings, onStateChange: (state: BreakerState) => void) {
    this.#halfOpenAfterMs = settings.halfOpenAfterMs
    this.#policy = circuitBreaker(handleType(UnhealthyAttempt), {
      halfOpenAfter: settings.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(settings.consecutiveFailures),
    })
    this.#policy.onStateChange((state) => {
      if (state === CircuitState.Open) this.#openedAt = Date.now()
      onStateChange(STATES[state])
    })
  }

  get state(): BreakerState {
    return STATES[this.#policy.state]
  }

  /** Milliseconds until the open breaker lets a probe through; 0 unless open. */
  get retryAfterMs(): number {
    if (this.state !== 'open') return 0
    return Math.max(0, this.#openedAt + this.#halfOpenAfterMs - Date.now())
  }

  /**
   * Runs one attempt. `fn` says whether its outcome was healthy; unhealthy outcomes are still
   * returned (not thrown) once counted. Returns `BREAKER_OPEN` when the breaker refused the call.
   */
  async run<T>(fn: () => Promise<{ healthy: boolean; value: T }>): Promise<T | typeof BREAKER_OPEN> {
    try {
      return await this.#policy.execute(async () => {
        const { healthy, value } = await fn()
        if (!healthy) throw new UnhealthyAttempt(value)
        return value
      })
    } catch (err) {
      if (err instanceof UnhealthyAttempt) return err.value as T
      if (err instanceof BrokenCircuitError) return BREAKER_OPEN
      throw err
    }
  }
}
