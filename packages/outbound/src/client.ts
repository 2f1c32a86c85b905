import { randomUUID } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import { silentLogger, type Logger } from '@integration-ledger/core'
import {
  ExponentialBackoff,
  TimeoutStrategy,
  fullJitterGenerator,
  timeout,
  type TimeoutPolicy,
} from 'cockatiel'
import { BREAKER_OPEN, ProviderBreaker, type BreakerState } from './breaker.js'
import { outboundErrorFor } from './errors.js'
import { OutboundMetrics } from './metrics.js'
import {
  classifyAnswer,
  classifyTransportError,
  outcomeReason,
  statusClass,
  type Answer,
  type Outcome,
} from './outcome.js'
import type { ProviderPolicy, RateLimitReading } from './policy.js'
import { redactUrl } from './redact.js'
import { parseRetryAfter } from './retry-after.js'
import { TokenBucket } from './token-bucket.js'
import { Transport, type WireRequest } from './transport.js'
import type {
  AttemptRecord,
  CredentialProvider,
  OutboundClientOptions,
  OutboundRequest,
  OutboundResult,
} from './types.js'

/** Waits `ms`; a caller's abort rejects with the signal's reason, as an aborted attempt does. */
async function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await delay(ms, undefined, signal === undefined ? undefined : { signal })
  } catch (err) {
    throw signal?.aborted ? (signal.reason as unknown) : err
  }
}

/** What to do after an attempt: stop, or retry after a wait the provider named (or the backoff's). */
type RetryDecision = { retry: false } | { retry: true; signalledWaitMs?: number }

const STOP: RetryDecision = { retry: false }

/** Outcomes that say the provider is unwell (they count towards opening its breaker). */
function unhealthy(outcome: Outcome): boolean {
  if (outcome.kind === 'ambiguous') return true
  return (
    outcome.kind === 'failed-before-processing' &&
    (outcome.reason === 'connection-refused' ||
      outcome.reason === 'connect-timeout' ||
      outcome.reason === 'dns')
  )
}

/**
 * The one client every call to a provider goes through. One instance per provider policy (its
 * connection pool and circuit breaker); one token bucket per credential inside it.
 *
 * A call: the secret is fetched from the credential provider; the credential's token bucket is
 * waited on; the attempt runs inside the provider's circuit breaker and a whole-attempt deadline;
 * the answer is classified (succeeded, failed before processing, rejected, ambiguous) with the
 * policy's reading of its rate-limit headers or body; retryable outcomes are retried with full
 * jitter or after the wait the provider named, within the attempt and waiting budgets, and only
 * when repeating is safe: a non-idempotent request is repeated after an ambiguous outcome only
 * with its idempotency key, which is generated once per call and sent with every attempt.
 */
export class OutboundClient {
  /** The policy this client applies. */
  readonly policy: ProviderPolicy
  readonly #credentials: CredentialProvider
  readonly #log: Logger
  readonly #metrics: OutboundMetrics
  readonly #transport: Transport
  readonly #breaker: ProviderBreaker
  readonly #deadline: TimeoutPolicy
  readonly #buckets = new Map<string, TokenBucket>()

  readonly #onResult: ((result: OutboundResult) => void) | undefined

  constructor(options: OutboundClientOptions) {
    this.policy = options.policy
    this.#credentials = options.credentials
    this.#onResult = options.onResult
    this.#log = (options.logger ?? silentLogger).child({ provider: options.policy.name })
    this.#metrics = new OutboundMetrics(options.registry, options.policy.name)
    this.#transport = new Transport(options.policy.timeouts)
    this.#deadline = timeout(options.policy.timeouts.attemptMs, {
      strategy: TimeoutStrategy.Cooperative,
      // The signal tells afterwards whether the deadline fired, so it must stay unaborted on return.
      abortOnReturn: false,
    })
    this.#breaker = new ProviderBreaker(options.policy.breaker, (state) => {
      this.#metrics.breakerState(state)
      const log = state === 'closed' ? this.#log.info.bind(this.#log) : this.#log.warn.bind(this.#log)
      log(
        { breaker: state },
        state === 'open'
          ? `calls to ${this.policy.name} fail fast for ${this.policy.breaker.halfOpenAfterMs} ms: it failed ${this.policy.breaker.consecutiveFailures} times in a row`
          : state === 'half-open'
            ? `one probe call to ${this.policy.name} is let through to see whether it recovered`
            : `${this.policy.name} answers again; calls flow normally`,
      )
    })
  }

  /** The provider's circuit breaker state. */
  get breakerState(): BreakerState {
    return this.#breaker.state
  }

  /** Units left in a credential's token bucket (negative while calls queue for it). */
  throttleAvailable(credentialId: string): number {
    return this.#bucket(credentialId).available
  }

  /** Sends a call and returns its typed answer, or throws the `OutboundError` that says what happened. */
  async request(request: OutboundRequest): Promise<Answer> {
    const result = await this.send(request)
    if (result.outcome.kind === 'succeeded') return result.outcome.answer
    throw outboundErrorFor(result)
  }

  /**
   * Sends a call and returns what became of it, whatever that is: the caller reads `outcome.kind`.
   * Rejects only when the call cannot be made at all (a path without a leading `/`, a failing
   * credential provider) or when the caller's `signal` aborts it (with the signal's reason).
   */
  async send(request: OutboundRequest): Promise<OutboundResult> {
    const { policy } = this
    const method = request.method ?? 'GET'
    const idempotent = request.idempotent ?? policy.idempotentMethods.includes(method)
    const keyHeader = policy.idempotencyKeyHeader
    const idempotencyKey =
      keyHeader === undefined || idempotent ? undefined : (request.idempotencyKey ?? randomUUID())
    const safeToRepeat = idempotent || idempotencyKey !== undefined
    const url = this.#url(request)
    const log = this.#log.child({
      operation: request.operation,
      ...(request.correlationId === undefined ? {} : { correlationId: request.correlationId }),
    })
    const wire = await this.#wire(request, method, url, idempotencyKey)
    const bucket = this.#bucket(request.credentialId)
    const cost = request.cost ?? policy.limits.defaultCost ?? 1
    let backoff = new ExponentialBackoff({
      generator: fullJitterGenerator,
      initialDelay: policy.retry.baseDelayMs,
      maxDelay: policy.retry.maxDelayMs,
    }).next()
    const attempts: AttemptRecord[] = []
    let waitedMs = 0
    let retryWaitMs = 0
    let retryAfterMs: number | undefined
    let outcome: Outcome
    for (let attempt = 1; ; attempt++) {
      const throttleWaitMs = bucket.reserve(cost)
      if (waitedMs + throttleWaitMs > policy.retry.maxTotalWaitMs) {
        bucket.refund(cost)
        outcome = { kind: 'failed-before-processing', reason: 'throttle-wait-too-long' }
        retryAfterMs = throttleWaitMs
        attempts.push({
          attempt,
          retryWaitMs,
          throttleWaitMs: 0,
          sent: false,
          outcome: outcome.kind,
          reason: outcome.reason,
        })
        this.#metrics.attempt(request.operation, outcome.kind, 'none', undefined)
        break
      }
      this.#metrics.throttleWait(throttleWaitMs / 1000)
      if (throttleWaitMs > 0) {
        try {
          await sleep(throttleWaitMs, request.signal)
        } catch (err) {
          bucket.refund(cost)
          throw err
        }
      }
      waitedMs += throttleWaitMs

      const started = performance.now()
      const ran = await this.#breaker.run(async () => {
        const value = await this.#attempt(wire, request.signal)
        return { healthy: !unhealthy(value.outcome), value }
      })
      if (ran === BREAKER_OPEN) {
        bucket.refund(cost)
        outcome = { kind: 'failed-before-processing', reason: 'circuit-open' }
        retryAfterMs = this.#breaker.retryAfterMs
        attempts.push({
          attempt,
          retryWaitMs,
          throttleWaitMs,
          sent: false,
          outcome: outcome.kind,
          reason: outcome.reason,
        })
        this.#metrics.attempt(request.operation, outcome.kind, 'none', undefined)
        break
      }
      const durationMs = performance.now() - started
      outcome = ran.outcome
      const { reading } = ran
      bucket.observe(reading)
      if (reading.remaining !== undefined) this.#metrics.rateLimitRemaining(reading.remaining)
      const reason = outcomeReason(outcome)
      const status = outcome.answer?.status
      attempts.push({
        attempt,
        retryWaitMs,
        throttleWaitMs,
        sent: true,
        outcome: outcome.kind,
        reason,
        ...(status === undefined ? {} : { status }),
        durationMs: Math.round(durationMs),
      })
      this.#metrics.attempt(request.operation, outcome.kind, statusClass(outcome), durationMs / 1000)

      const decision = this.#decide(outcome, reading, safeToRepeat)
      if (!decision.retry) break
      const signalled = decision.signalledWaitMs
      // A rate limit applies to the credential: every call on it waits, not only this one, and
      // also when this call retries no more.
      if (signalled !== undefined && outcome.kind === 'failed-before-processing') {
        bucket.holdUntil(Date.now() + signalled)
      }
      if (signalled === undefined) backoff = backoff.next(undefined)
      const waitMs = signalled ?? backoff.duration
      const overBudget = waitedMs + waitMs > policy.retry.maxTotalWaitMs
      if (attempt >= policy.retry.maxAttempts || overBudget) {
        if (signalled !== undefined || overBudget) retryAfterMs = waitMs
        break
      }
      this.#metrics.retry(request.operation, reason)
      log.info(
        { attempt, reason, status, waitMs, url: redactUrl(url) },
        `provider call will be retried in ${waitMs} ms: attempt ${attempt} ended ${outcome.kind} (${reason})`,
      )
      await sleep(waitMs, request.signal)
      // Taken out of the bucket's hold above, which now has passed; recorded here, counted once.
      waitedMs += waitMs
      retryWaitMs = waitMs
    }
    const result: OutboundResult = {
      provider: policy.name,
      operation: request.operation,
      outcome,
      attempts,
      safeToRepeat,
      waitedMs,
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    }
    if (outcome.kind !== 'succeeded') {
      log.warn(
        {
          outcome: outcome.kind,
          reason: attempts.at(-1)?.reason,
          status: outcome.answer?.status,
          attempts: attempts.length,
          url: redactUrl(url),
        },
        `provider call ended ${outcome.kind} after ${attempts.length} attempt(s)`,
      )
    }
    this.#onResult?.(result)
    return result
  }

  /** Closes the connection pool. */
  async close(): Promise<void> {
    await this.#transport.close()
  }

  async #attempt(
    wire: WireRequest,
    cancel: AbortSignal | undefined,
  ): Promise<{ outcome: Outcome; reading: RateLimitReading }> {
    let signal: AbortSignal | undefined
    try {
      const answer = await this.#deadline.execute((_context, attemptSignal) => {
        signal = attemptSignal
        return this.#transport.send(wire, attemptSignal)
      }, cancel)
      const reading = this.policy.readRateLimit(answer)
      return { outcome: classifyAnswer(answer, reading), reading }
    } catch (err) {
      // Cancelled by the caller: not an outcome of the provider's, and not counted against it.
      if (cancel?.aborted) throw cancel.reason as unknown
      return { outcome: classifyTransportError(err, signal?.aborted === true), reading: {} }
    }
  }

  #decide(outcome: Outcome, reading: RateLimitReading, safeToRepeat: boolean): RetryDecision {
    const { policy } = this
    const answer = outcome.answer
    const hint =
      policy.shouldRetryHeader === undefined ? undefined : answer?.headers[policy.shouldRetryHeader]
    if (hint === 'false') return STOP
    const retryable = answer === undefined || policy.retryableStatuses.includes(answer.status)
    switch (outcome.kind) {
      case 'succeeded':
        return STOP
      case 'rejected':
        return hint === 'true' && safeToRepeat ? { retry: true } : STOP
      case 'ambiguous':
        if (!safeToRepeat || !(retryable || hint === 'true')) return STOP
        return this.#withSignalledWait(reading, answer, false)
      case 'failed-before-processing':
        switch (outcome.reason) {
          case 'rate-limited':
            if (!(retryable || reading.throttled)) return STOP
            return this.#withSignalledWait(reading, answer, true)
          case 'request-timeout':
            return retryable ? this.#withSignalledWait(reading, answer, false) : STOP
          case 'connection-refused':
          case 'connect-timeout':
          case 'dns':
            return { retry: true }
          default:
            return STOP
        }
    }
  }

  /** The wait the provider named (Retry-After, GraphQL restore time, window reset), if any. */
  #withSignalledWait(
    reading: RateLimitReading,
    answer: Answer | undefined,
    throttled: boolean,
  ): RetryDecision {
    const now = Date.now()
    const waits: number[] = []
    const retryAfter = parseRetryAfter(answer?.headers['retry-after'], now)
    if (retryAfter !== undefined) waits.push(retryAfter)
    if (reading.waitMs !== undefined) waits.push(reading.waitMs)
    if (
      throttled &&
      reading.remaining !== undefined &&
      reading.remaining <= 0 &&
      reading.resetAtMs !== undefined
    ) {
      waits.push(Math.max(0, reading.resetAtMs - now))
    }
    if (waits.length === 0 && throttled && this.policy.retry.unknownThrottleWaitMs !== undefined) {
      waits.push(this.policy.retry.unknownThrottleWaitMs)
    }
    return waits.length === 0 ? { retry: true } : { retry: true, signalledWaitMs: Math.max(...waits) }
  }

  #bucket(credentialId: string): TokenBucket {
    let bucket = this.#buckets.get(credentialId)
    if (!bucket) {
      bucket = new TokenBucket(this.policy.limits, this.policy.headroom)
      this.#buckets.set(credentialId, bucket)
    }
    return bucket
  }

  #url(request: OutboundRequest): URL {
    if (!request.path.startsWith('/')) {
      throw new TypeError(
        `Outbound path ${JSON.stringify(request.path)} must start with "/" (it is relative to the policy's baseUrl).`,
      )
    }
    // Appended to the base URL, not resolved against it: a path cannot change the origin the
    // credential's headers go to, and a base path such as `/admin/api/2025-01` is kept.
    const url = new URL(`${this.policy.baseUrl.replace(/\/+$/, '')}${request.path}`)
    for (const [name, value] of Object.entries(request.query ?? {})) {
      if (value === undefined) continue
      if (Array.isArray(value)) for (const item of value) url.searchParams.append(name, String(item))
      else url.searchParams.append(name, String(value))
    }
    return url
  }

  async #wire(
    request: OutboundRequest,
    method: string,
    url: URL,
    idempotencyKey: string | undefined,
  ): Promise<WireRequest> {
    const headers: Record<string, string> = { ...this.policy.defaultHeaders }
    for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value
    let body: string | undefined
    if (request.json !== undefined) {
      body = JSON.stringify(request.json)
      headers['content-type'] = 'application/json'
    } else if (request.form !== undefined) {
      body = new URLSearchParams(
        Object.entries(request.form).map(([k, v]): [string, string] => [k, String(v)]),
      ).toString()
      headers['content-type'] = 'application/x-www-form-urlencoded'
    }
    if (idempotencyKey !== undefined && this.policy.idempotencyKeyHeader !== undefined) {
      headers[this.policy.idempotencyKeyHeader] = idempotencyKey
    }
    const secret = await this.#credentials(request.credentialId)
    Object.assign(headers, this.policy.authorize(secret))
    return { url, method, headers, ...(body === undefined ? {} : { body }) }
  }
}
