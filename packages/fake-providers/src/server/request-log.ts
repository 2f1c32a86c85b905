import type { IncomingHttpHeaders } from 'node:http'
import type { FaultAction } from './faults.js'
import type { ProviderName } from './types.js'

/** Header values the log never keeps: the fakes' credentials stand in for real ones. */
const SECRET_HEADERS = new Set(['authorization', 'x-shopify-access-token', 'cookie'])

/** One request a fake received, and what became of it. */
export interface LoggedRequest {
  /** Order of arrival across this fake, from 1. */
  seq: number
  provider: ProviderName
  method: string
  /** Path and query string as sent. */
  path: string
  /** Lower-case names; credentials replaced by `[redacted]`. */
  headers: Record<string, string>
  /** The `Idempotency-Key` header, when sent. */
  idempotencyKey: string | undefined
  /** The status answered; undefined while in progress or when the connection was dropped. */
  status: number | undefined
  /** `answered`, or how the fake broke the connection. */
  outcome: 'in-progress' | 'answered' | 'dropped-after-processing' | 'dropped-before-processing'
  /** The injected fault applied, if any. */
  fault: FaultAction['kind'] | undefined
  /** Set when the request changed remote state (see `FakeReply.operation`). */
  operation: string | undefined
  /** True when a stored answer was replayed for a reused idempotency key. */
  replayed: boolean
  /** Arrival time, ms since the epoch (the fake's clock). */
  at: number
}

/** What `requests()` and `operations()` can filter on. */
export interface RequestFilter {
  method?: string
  /** Path prefix, matched against the path without its query string. */
  path?: string
}

/** The log keeps this many entries; older ones are dropped so a long-running demo stays small. */
export const REQUEST_LOG_LIMIT = 100_000

/** The requests one fake received, in order of arrival (the last `REQUEST_LOG_LIMIT`). */
export class RequestLog {
  private readonly entries: LoggedRequest[] = []
  private seq = 0

  constructor(private readonly provider: ProviderName) {}

  start(method: string, path: string, headers: IncomingHttpHeaders, at: number): LoggedRequest {
    const kept: Record<string, string> = {}
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined) continue
      kept[name] = SECRET_HEADERS.has(name) ? '[redacted]' : Array.isArray(value) ? value.join(', ') : value
    }
    const key = headers['idempotency-key']
    const entry: LoggedRequest = {
      seq: ++this.seq,
      provider: this.provider,
      method,
      path,
      headers: kept,
      idempotencyKey: Array.isArray(key) ? key[0] : key,
      status: undefined,
      outcome: 'in-progress',
      fault: undefined,
      operation: undefined,
      replayed: false,
      at,
    }
    this.entries.push(entry)
    if (this.entries.length > REQUEST_LOG_LIMIT)
      this.entries.splice(0, this.entries.length - REQUEST_LOG_LIMIT)
    return entry
  }

  /** Requests received, oldest first. */
  requests(filter: RequestFilter = {}): LoggedRequest[] {
    return this.entries.filter((entry) => matches(entry, filter))
  }

  /** Requests that changed remote state: replays and faults answered before processing are not among them. */
  operations(filter: RequestFilter = {}): LoggedRequest[] {
    return this.requests(filter).filter((entry) => entry.operation !== undefined)
  }

  clear(): void {
    this.entries.length = 0
  }
}

function matches(entry: LoggedRequest, filter: RequestFilter): boolean {
  if (filter.method !== undefined && filter.method.toUpperCase() !== entry.method) return false
  if (filter.path !== undefined && !(entry.path.split('?')[0] ?? '').startsWith(filter.path)) return false
  return true
}
