import type { Logger } from '@integration-ledger/core'
import type { Registry } from 'prom-client'
import type { Outcome, OutcomeKind } from './outcome.js'
import type { ProviderPolicy } from './policy.js'

/**
 * Returns the secret (API key, access token) of a credential. The client asks for it on every
 * call and keeps it only in the request's headers, so secrets never sit in options, logs or
 * errors; the encrypted store behind this function belongs to the caller.
 */
export type CredentialProvider = (credentialId: string) => string | Promise<string>

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** Query values; arrays repeat the key (name it `types[]` for Stripe's array parameters). */
export type QueryValue = string | number | boolean | readonly (string | number)[] | undefined

/** One logical call to a provider. */
export interface OutboundRequest {
  /** Which credential pays for the call: selects the secret and the token bucket. */
  credentialId: string
  /** Low-cardinality name for metrics and logs, e.g. `customers.list`. */
  operation: string
  /** @default 'GET' */
  method?: HttpMethod
  /** Path below the policy's `baseUrl`, starting with `/`; may carry a query string. */
  path: string
  query?: Readonly<Record<string, QueryValue>>
  /** JSON body (`application/json`). */
  json?: unknown
  /** Form body (`application/x-www-form-urlencoded`, as Stripe takes it). */
  form?: Readonly<Record<string, string | number | boolean>>
  /** Extra headers; the credential's headers are added by the policy and cannot be overridden here. */
  headers?: Readonly<Record<string, string>>
  /**
   * Whether sending the request twice has the effect of sending it once.
   * @default whether the policy's `idempotentMethods` include the method (GET, HEAD, PUT, DELETE,
   *   OPTIONS; and POST for GraphQL, whose mutations must say `idempotent: false`)
   */
  idempotent?: boolean
  /**
   * The idempotency key of this logical operation, for a non-idempotent request to a provider that
   * takes one. When absent the client generates one per call and reuses it on every retry; pass
   * your own (stored with the operation) to keep it across processes.
   */
  idempotencyKey?: string
  /** What the call costs in the provider's rate-limit units (GraphQL query cost). @default the policy's `limits.defaultCost`, else 1 */
  cost?: number
  /** Carried into the log lines of this call. */
  correlationId?: string
  /** Cancels the call, its waits included (service shutdown); the call then rejects with the signal's reason. */
  signal?: AbortSignal
}

/** One attempt of a call, as recorded in the result (what tests and logs read instead of the wall clock). */
export interface AttemptRecord {
  attempt: number
  /** Backoff or provider-signalled wait (Retry-After, window reset, GraphQL restore) before this attempt. */
  retryWaitMs: number
  /** Wait for the credential's token bucket before this attempt. */
  throttleWaitMs: number
  /** False when the client did not send it (breaker open, throttle wait beyond the budget). */
  sent: boolean
  outcome: OutcomeKind
  /** `ok`, `credentials`, `status-404`, `rate-limited`, `connection-lost`… */
  reason: string
  status?: number
  durationMs?: number
}

/** What became of a call: the last attempt's outcome and every attempt made. */
export interface OutboundResult {
  provider: string
  operation: string
  outcome: Outcome
  attempts: AttemptRecord[]
  /** The idempotency key sent with every attempt, if any. */
  idempotencyKey?: string
  /** Whether the call could be repeated without doing its effect twice (idempotent, or keyed). */
  safeToRepeat: boolean
  /** Total time spent waiting between and before attempts. */
  waitedMs: number
  /** When the call ended on a wait it would not take: how long the caller should wait before trying again. */
  retryAfterMs?: number
}

/** Options of `OutboundClient`. */
export interface OutboundClientOptions {
  policy: ProviderPolicy
  credentials: CredentialProvider
  /** Where the `ledger_outbound_*` metrics go; the service owns it. */
  registry: Registry
  /** @default silentLogger */
  logger?: Logger
  /**
   * Called with every call's result (its attempts, waits and outcome) before `send` returns, also
   * for calls made through `request` or an adapter: how a caller that only sees answers (a
   * reconciliation run's report) counts requests and throttle waits.
   */
  onResult?: (result: OutboundResult) => void
}
