import type { StripeApi, StripeItem, StripePage } from '@integration-ledger/providers'
import type { CallStats } from './call-stats.js'
import {
  type EntityComparison,
  type RemotePage,
  type RemoteRecord,
  type RemoteSource,
  type RemoteStats,
  providerObjectIn,
  remoteRecord,
} from './remote-source.js'

export interface StripeCustomersSourceOptions {
  api: StripeApi
  /** The calls of the API's client, for the run report. */
  calls: CallStats
  /** @default 100 (Stripe's maximum) */
  pageSize?: number
}

/** How long the event log's versions are trusted within a run (a resumed run, retrieves). */
const VERSIONS_MAX_AGE_MS = 5 * 60_000

/**
 * Stripe customers as a `RemoteSource`, over the providers package's `StripeApi` (entity type and
 * ID from `stripeEntityDraft`, the webhook path's own function).
 *
 * Version: the webhook path uses the event's `created` (unix seconds), which a listed customer does
 * not carry (Stripe customers have `created` only, no `updated`). The adapter's default, the second
 * before Stripe answered, would make every customer read as newer than its projection on every
 * scan; so this source passes `versionOf`: the `created` of the newest `customer.*` event about
 * the customer in `GET /v1/events` (the 30 days Stripe keeps), read at a run's first page (again
 * after five minutes), else the customer's own `created` (its creation event's time). For a
 * customer last changed more than 30 days ago by an update, that fallback is lower than what its
 * webhook gave, so it reads "local ahead" and goes to review, never to an automatic repair.
 */
export class StripeCustomersSource implements RemoteSource {
  readonly #api: StripeApi
  readonly #calls: CallStats
  readonly #pageSize: number
  #latestEvent: Promise<Map<string, number>> | undefined
  #latestEventReadAt = 0

  constructor(options: StripeCustomersSourceOptions) {
    this.#api = options.api
    this.#calls = options.calls
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
    const walk: AsyncGenerator<StripePage<StripeItem>> = this.#api.list('customer', {
      limit: this.#pageSize,
      ...(cursor === undefined ? {} : { startingAfter: cursor }),
      ...(options.since === undefined
        ? {}
        : { created: { gte: Math.floor(options.since.getTime() / 1000) } }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      versionOf: versionFrom(versions),
    })
    // One page per call: the engine saves its checkpoint between pages.
    const next = await walk.next()
    const page: StripePage<StripeItem> | undefined = next.done === true ? undefined : next.value
    await walk.return(undefined)
    if (page === undefined) return { records: [] }
    return {
      records: page.items.map(toRecord),
      ...(page.hasMore && page.cursor !== undefined ? { nextCursor: page.cursor } : {}),
    }
  }

  async retrieve(entityType: string, entityId: string): Promise<RemoteRecord | 'missing'> {
    assertCustomer(entityType)
    const versions = await this.#versions()
    const item = await this.#api.retrieve('customer', entityId, undefined, versionFrom(versions))
    return item === undefined || item.object['deleted'] === true ? 'missing' : toRecord(item)
  }

  stats(): RemoteStats {
    return this.#calls.snapshot()
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

  /** customer ID → `created` of its newest `customer.*` event still listed (its webhook's version). */
  async #readEvents(): Promise<Map<string, number>> {
    const latest = new Map<string, number>()
    for await (const page of this.#api.listEvents({ types: ['customer.*'] })) {
      for (const { entity } of page.items) {
        if (entity.entityType !== 'customer') continue
        latest.set(entity.entityId, Math.max(latest.get(entity.entityId) ?? 0, entity.entityVersion))
      }
    }
    return latest
  }
}

/** The webhook path's version of a customer's current state (see `StripeCustomersSource`). */
function versionFrom(versions: Map<string, number>) {
  return (customer: { id: string; created?: unknown }): number =>
    Math.max(versions.get(customer.id) ?? 0, typeof customer.created === 'number' ? customer.created : 0)
}

/**
 * Compared when versions agree: what a customer's owner changes. The local state is the Stripe
 * event the webhook delivered (`data.object`) or, after a repair, the customer itself.
 */
export const stripeCustomerComparison: EntityComparison = {
  fields: ['email', 'name', 'description', 'phone', 'address', 'metadata', 'delinquent', 'balance'],
  localObject: (state) => providerObjectIn(state, ['data', 'object']),
}

const toRecord = (item: StripeItem): RemoteRecord => remoteRecord(item.entity, item.object)

function assertCustomer(entityType: string): void {
  if (entityType !== 'customer') {
    throw new Error(`StripeCustomersSource lists customers only, not "${entityType}"`)
  }
}
