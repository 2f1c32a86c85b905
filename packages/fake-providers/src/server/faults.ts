import type { Clock } from '@integration-ledger/core'
import type { FakeRequest } from './types.js'

/** How a scripted `Retry-After` is written: delta seconds (`2`) or an HTTP date (RFC 9110 §10.2.3). */
export interface RetryAfterSpec {
  seconds: number
  /** @default 'seconds' */
  format?: 'seconds' | 'http-date'
}

/** What an injected fault does to a matching request. */
export type FaultAction =
  /** Answer `status` with the provider's own error body, without processing the request. */
  | {
      kind: 'status'
      status: number
      retryAfter?: RetryAfterSpec
      /** Extra headers, e.g. `{ 'Stripe-Should-Retry': 'true' }`. */
      headers?: Record<string, string>
    }
  /** The provider's own over-the-limit answer (Stripe 429, GitHub secondary-limit 403, Shopify THROTTLED). */
  | { kind: 'rate-limited'; retryAfter?: RetryAfterSpec }
  /** Answer late: hold the status line and headers, or send them and hold the body. */
  | { kind: 'delay'; ms: number; phase?: 'headers' | 'body' }
  /** Process the request (the operation happens and is recorded), then destroy the socket unanswered. */
  | { kind: 'drop-after-processing' }
  /** Destroy the socket before the request is processed: nothing happened remotely. */
  | { kind: 'drop-before-processing' }

/** Which requests a fault applies to, and for how long. */
export interface FaultRule {
  /** HTTP method, case-insensitive; any when absent. */
  method?: string
  /** A path prefix (`/v1/customers`) or a pattern tested against the path; any when absent. */
  path?: string | RegExp
  /** Apply to the next `times` matching requests. */
  times?: number
  /** Apply to every matching request for this long, from when the rule is added. */
  durationMs?: number
  action: FaultAction
}

/** A fault that has been added; `remove()` takes it back. */
export interface FaultHandle {
  readonly id: number
  /** How many requests it has been applied to. */
  readonly applied: number
  remove(): void
}

interface ActiveFault {
  id: number
  rule: FaultRule
  remaining: number
  until: number
  applied: number
}

/**
 * The faults scripted for one provider. A request gets at most one: the first active rule that
 * matches, in the order they were added. A rule with neither `times` nor `durationMs` stays until
 * removed or cleared.
 */
export class FaultSchedule {
  private readonly active: ActiveFault[] = []
  private nextId = 1

  constructor(private readonly clock: Clock) {}

  add(rule: FaultRule): FaultHandle {
    if (rule.times !== undefined && (!Number.isInteger(rule.times) || rule.times < 1)) {
      throw new RangeError(`A fault's times must be a positive integer, got ${rule.times}.`)
    }
    const fault: ActiveFault = {
      id: this.nextId++,
      rule,
      remaining: rule.times ?? Number.POSITIVE_INFINITY,
      until: rule.durationMs === undefined ? Number.POSITIVE_INFINITY : this.clock.now() + rule.durationMs,
      applied: 0,
    }
    this.active.push(fault)
    const remove = (): void => {
      const at = this.active.indexOf(fault)
      if (at >= 0) this.active.splice(at, 1)
    }
    return {
      id: fault.id,
      get applied() {
        return fault.applied
      },
      remove,
    }
  }

  clear(): void {
    this.active.length = 0
  }

  /** The fault to apply to `req`, counting it as used. */
  take(req: FakeRequest): FaultAction | undefined {
    const now = this.clock.now()
    for (let i = 0; i < this.active.length; i++) {
      const fault = this.active[i]
      if (fault === undefined) continue
      if (fault.remaining <= 0 || fault.until <= now) {
        this.active.splice(i--, 1)
        continue
      }
      if (!matches(fault.rule, req)) continue
      fault.remaining--
      fault.applied++
      return fault.rule.action
    }
    return undefined
  }
}

function matches(rule: FaultRule, req: FakeRequest): boolean {
  if (rule.method !== undefined && rule.method.toUpperCase() !== req.method) return false
  const path = req.url.pathname
  if (rule.path === undefined) return true
  return typeof rule.path === 'string' ? path.startsWith(rule.path) : rule.path.test(path)
}

/**
 * The `Retry-After` header value for a spec, relative to `nowMs`. An HTTP date has whole-second
 * resolution, so it is rounded up: a client that waits until that date waits at least `seconds`.
 */
export function retryAfterValue(spec: RetryAfterSpec, nowMs: number): string {
  if (spec.format === 'http-date')
    return new Date(Math.ceil((nowMs + spec.seconds * 1000) / 1000) * 1000).toUTCString()
  return String(spec.seconds)
}
