import {
  OutboundClient,
  type OutboundResult,
  derivePolicy,
  outboundErrorFor,
  stripePolicy,
} from '@ledger/outbound'
import type { Registry } from 'prom-client'
import type {
  EntityComparison,
  RemotePage,
  RemoteRecord,
  RemoteSource,
  RemoteStats,
} from './remote-source.js'

export interface StripeCustomersSourceOptions {
  /** `https://api.stripe.com`, or a fake's origin. */
  baseUrl: string
  secretKey: string
  registry: Registry
  /** @default 100 (Stripe's maximum) */
  pageSize?: number
}

/** How long the event log's versions are trusted within a run (a resumed run, retrieves). */
const VERSIONS_MAX_AGE_MS = 5 * 60_000

type StripeObject = Record<string, unknown> & { id: string; created: number }

interface StripeList {
  data: StripeObject[]
  has_more: boolean
}

/**
 * Stripe customers as a `RemoteSource`, over `@ledger/outbound`. GLUE: to be replaced by the
 * providers package's Stripe adapter (`packages/providers/src/stripe/api.ts`) once it lands.
 *
 * Entity: `customer` / the customer's `id`, as the webhook path (`extractStripe`) takes them.
 * Version: the webhook path uses the event's `created` (unix seconds), which a listed customer does
 * not carry (Stripe customers have `created` only, no `updated`). So the version of a customer is
 * the `created` of the newest `customer.*` event about it in `GET /v1/events` (the 30 days Stripe
 * keeps), read at a run's first page (again after five minutes), else the customer's own
 * `created` (its creation event's time). For a customer last changed more than 30 days ago by an
 * update, that fallback is lower than what its webhook gave, so it reads "local ahead" and goes to
 * review, never to an automatic repair.
 */
export class StripeCustomersSource implements RemoteSource {
  readonly #client: OutboundClient
  readonly #pageSize: number
  #latestEvent: Promise<Map<string, number>> | undefined
  #latestEventReadAt = 0
  readonly #stats: RemoteStats = { requests: 0, throttleWaits: 0, throttleWaitMs: 0 }

  constructor(options: StripeCustomersSourceOptions) {
    this.#client = new OutboundClient({
      policy: derivePolicy(stripePolicy, { baseUrl: options.baseUrl }),
      credentials: () => options.secretKey,
      registry: options.registry,
    })
    this.#pageSize = options.pageSize ?? 100
  }

  async listPage(
    entityType: string,
    cursor: string | undefined,
    options: { since?: Date; signal?: AbortSignal },
  ): Promise<RemotePage> {
    assertCustomer(entityType)
    // A run's first page reads the event log afresh: a long-lived service must not judge with the
    // versions of an earlier run.
    const versions = await this.#versions(cursor === undefined)
    const query: Record<string, string | number> = { limit: this.#pageSize }
    if (cursor !== undefined) query['starting_after'] = cursor
    if (options.since !== undefined) query['created[gte]'] = Math.floor(options.since.getTime() / 1000)
    const list = (await this.#get('customers.list', '/v1/customers', query, options.signal)) as StripeList
    const last = list.data.at(-1)
    return {
      records: list.data.map((c) => toRecord(c, versions)),
      ...(list.has_more && last !== undefined ? { nextCursor: last.id } : {}),
    }
  }

  async retrieve(entityType: string, entityId: string): Promise<RemoteRecord | 'missing'> {
    assertCustomer(entityType)
    const versions = await this.#versions()
    const result = await this.#client.send({
      credentialId: 'default',
      operation: 'customers.retrieve',
      path: `/v1/customers/${encodeURIComponent(entityId)}`,
    })
    this.#count(result.attempts)
    if (result.outcome.kind === 'rejected' && result.outcome.answer.status === 404) return 'missing'
    if (result.outcome.kind !== 'succeeded') throw outboundErrorFor(result)
    const customer = result.outcome.answer.body as StripeObject & { deleted?: boolean }
    return customer.deleted === true ? 'missing' : toRecord(customer, versions)
  }

  stats(): RemoteStats {
    return { ...this.#stats }
  }

  async close(): Promise<void> {
    await this.#client.close()
  }

  /** The event log's versions, read again when `fresh` or older than `VERSIONS_MAX_AGE_MS`. */
  #versions(fresh = false): Promise<Map<string, number>> {
    if (
      fresh ||
      this.#latestEvent === undefined ||
      Date.now() - this.#latestEventReadAt > VERSIONS_MAX_AGE_MS
    ) {
      this.#latestEventReadAt = Date.now()
      this.#latestEvent = this.#readEvents().catch((err: unknown) => {
        this.#latestEvent = undefined
        throw err
      })
    }
    return this.#latestEvent
  }

  /** customer ID → `created` of its newest `customer.*` event still listed. */
  async #readEvents(): Promise<Map<string, number>> {
    const latest = new Map<string, number>()
    let after: string | undefined
    for (;;) {
      const query: Record<string, string | number> = { limit: 100, type: 'customer.*' }
      if (after !== undefined) query['starting_after'] = after
      const list = (await this.#get('events.list', '/v1/events', query)) as StripeList
      for (const event of list.data) {
        const object = (event['data'] as { object?: { id?: unknown } } | undefined)?.object
        if (typeof object?.id !== 'string') continue
        latest.set(object.id, Math.max(latest.get(object.id) ?? 0, event.created))
      }
      const last = list.data.at(-1)
      if (!list.has_more || last === undefined) return latest
      after = last.id
    }
  }

  async #get(
    operation: string,
    path: string,
    query: Record<string, string | number>,
    signal?: AbortSignal,
  ): Promise<unknown> {
    const result = await this.#client.send({
      credentialId: 'default',
      operation,
      path,
      query,
      ...(signal === undefined ? {} : { signal }),
    })
    this.#count(result.attempts)
    if (result.outcome.kind === 'succeeded') return result.outcome.answer.body
    throw outboundErrorFor(result)
  }

  #count(attempts: OutboundResult['attempts']): void {
    for (const a of attempts) {
      if (a.sent) this.#stats.requests++
      const waited = a.throttleWaitMs + a.retryWaitMs
      if (waited > 0) {
        this.#stats.throttleWaits++
        this.#stats.throttleWaitMs += waited
      }
    }
  }
}

/**
 * Compared when versions agree: what a customer's owner changes. The local state is the Stripe
 * event the webhook delivered (`data.object`) or, after a repair, the customer itself.
 */
export const stripeCustomerComparison: EntityComparison = {
  fields: ['email', 'name', 'description', 'phone', 'address', 'metadata', 'delinquent', 'balance'],
  localObject(state) {
    if (state === null || typeof state !== 'object') return undefined
    const data = (state as { data?: { object?: unknown } }).data
    const inner = data?.object
    if (inner !== null && typeof inner === 'object') return inner as Record<string, unknown>
    return state as Record<string, unknown>
  },
}

function toRecord(customer: StripeObject, versions: Map<string, number>): RemoteRecord {
  return {
    entityType: 'customer',
    entityId: customer.id,
    version: Math.max(versions.get(customer.id) ?? 0, customer.created),
    state: customer,
  }
}

function assertCustomer(entityType: string): void {
  if (entityType !== 'customer') {
    throw new Error(`StripeCustomersSource lists customers only, not "${entityType}"`)
  }
}
