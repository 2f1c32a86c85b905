import {
  type OutboundClient,
  type OutboundRequest,
  type ProviderPolicy,
  STRIPE_LIMITS,
  type Answer,
  derivePolicy,
  outboundErrorFor,
  stripePolicy,
} from '@integration-ledger/outbound'
import { z } from 'zod'
import { entityRefOf } from '../api/entity.js'
import { parseAnswer } from '../api/errors.js'
import type { EntityRef } from '../extraction/extraction-result.js'
import { stripeEntityDraft } from './extract.js'

/** The object types the adapter lists, by their `object` name, with their list path. */
export const STRIPE_LIST_PATHS = {
  customer: '/v1/customers',
  subscription: '/v1/subscriptions',
  invoice: '/v1/invoices',
  payment_intent: '/v1/payment_intents',
  charge: '/v1/charges',
} as const

/** A Stripe object type the adapter can list and retrieve. */
export type StripeListType = keyof typeof STRIPE_LIST_PATHS

/** How far back `GET /v1/events` reaches: Stripe keeps events for 30 days. */
export const STRIPE_EVENTS_WINDOW_SECONDS = 30 * 24 * 60 * 60

const objectSchema = z.looseObject({ id: z.string().min(1), object: z.string().min(1) })
const listSchema = z.object({ object: z.literal('list'), data: z.array(objectSchema), has_more: z.boolean() })
const eventSchema = z.looseObject({
  id: z.string().min(1),
  object: z.literal('event'),
  type: z.string().min(1),
  created: z.number().int().positive(),
  data: z.looseObject({ object: z.record(z.string(), z.unknown()) }),
})
const eventListSchema = z.object({
  object: z.literal('list'),
  data: z.array(eventSchema),
  has_more: z.boolean(),
})

/** A Stripe object as the API answered it (every field kept), with its projection entity. */
export interface StripeItem {
  object: StripeObject
  entity: EntityRef
}

/** A Stripe event as listed, with the entity the webhook path gives the same event. */
export interface StripeEventItem {
  event: z.output<typeof eventSchema>
  entity: EntityRef
}

/** One page of a list walk. */
export interface StripePage<T> {
  items: T[]
  /**
   * Where the walk stands after this page: pass it as `startingAfter` to resume with the next page
   * (the last item's ID; on an empty page, the cursor the page was read from).
   */
  cursor: string | undefined
  /** Stripe's `has_more`: whether another page follows. */
  hasMore: boolean
}

/** Options of a list walk. */
export interface StripeListOptions {
  /** Page size, 1 to 100. @default 100 */
  limit?: number
  /** Resume after this object (a page's `cursor`). */
  startingAfter?: string
  /** Only objects created in this range (unix seconds). */
  created?: { gt?: number; gte?: number; lt?: number; lte?: number }
  signal?: AbortSignal
  /**
   * The version of each listed object, when the caller knows a better one than the default (the
   * second before Stripe answered, see `StripeApi`). A reconciler comparing with projections passes
   * the webhook path's own version of the object's state (the `created` of its newest event):
   * with the answer's second, every object would read as newer than its projection on every scan.
   * Return `undefined` to keep the default for an object.
   */
  versionOf?: (object: StripeObject) => number | undefined
}

/** A Stripe object as listed or retrieved: its `id` and `object`, every other field kept. */
export type StripeObject = z.output<typeof objectSchema>

/** Options of an events walk. */
export interface StripeEventListOptions extends StripeListOptions {
  /** Event types (`types[]`, at most 20; Stripe takes `*` wildcards such as `customer.*`). */
  types?: readonly string[]
  /** `false`: only events whose webhooks have not all been delivered (`pending_webhooks > 0`). */
  deliverySuccess?: boolean
}

/** Options of `StripeApi`. */
export interface StripeApiOptions {
  /** A client built on `stripeApiPolicy(...)`. */
  client: OutboundClient
  /** Which stored credential (account key) pays for the calls. */
  credentialId: string
}

/**
 * Stripe's policy for an adapter: the account's mode decides the documented limits the client's
 * bucket is sized from (25/s for test keys, 100/s live); `baseUrl` points it elsewhere (a fake).
 * @param options.baseUrl @default 'https://api.stripe.com'
 */
export function stripeApiPolicy(options: { mode: 'live' | 'test'; baseUrl?: string }): ProviderPolicy {
  return derivePolicy(stripePolicy, {
    limits: STRIPE_LIMITS[options.mode],
    ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
  })
}

/**
 * Reads a Stripe account through the outbound client: list walks with
 * `limit`/`starting_after`/`has_more` (newest first, Stripe's order), retrieval of one object, and
 * the events list. Every answer is validated at this boundary (`ProviderAnswerInvalidError`), and
 * every object carries the entity the webhook path would give it.
 *
 * **Entity mapping.** Type and ID come from the object's `object` and `id` through the same
 * function as the webhook path (`stripeEntityDraft`), so they always agree. The webhook's version
 * is the event's `created`; a Stripe object has no version of its own (no `updated` field), so a
 * listed or retrieved object takes **the second before Stripe answered** (its `Date` header, on
 * Stripe's clock like `created`; the local clock when absent). The state read includes every change
 * made before that second, so the webhook of such a change never overwrites it; the webhook of a
 * change made in the answer's second or later has a higher version and wins. (Taking the answer's
 * own second instead would tie with a change made later in that second, and a tie keeps the first
 * applied.) Listed events take the webhook's version exactly (their `created`).
 *
 * A walk that runs while objects are created does not see the new ones (they are ahead of its
 * cursor); read them from the events or with `created[gte]`.
 */
export class StripeApi {
  readonly #client: OutboundClient
  readonly #credentialId: string

  constructor(options: StripeApiOptions) {
    this.#client = options.client
    this.#credentialId = options.credentialId
  }

  /** Walks every object of a type, one page per iteration; subscriptions with `status=all`. */
  async *list(type: StripeListType, options: StripeListOptions = {}): AsyncGenerator<StripePage<StripeItem>> {
    const operation = `${STRIPE_LIST_PATHS[type].slice(4)}.list`
    const extra = type === 'subscription' ? { status: 'all' } : {}
    for await (const { answer, cursor } of this.#walk(STRIPE_LIST_PATHS[type], operation, options, extra)) {
      const list = parseAnswer(listSchema, answer.body, this.#call(operation))
      const version = answerVersion(answer)
      yield page(
        list.data.map((object) => this.#item(object, options.versionOf?.(object) ?? version, operation)),
        list.has_more,
        cursor,
        list.data.at(-1)?.id,
      )
      if (!list.has_more) return
    }
  }

  /**
   * One object, or `undefined` when Stripe does not know it (404). A deleted customer is answered
   * as `{ id, object, deleted: true }` and returned as it is: its entity is that of the customer.
   */
  async retrieve(
    type: StripeListType,
    id: string,
    signal?: AbortSignal,
    versionOf?: StripeListOptions['versionOf'],
  ): Promise<StripeItem | undefined> {
    const operation = `${STRIPE_LIST_PATHS[type].slice(4)}.retrieve`
    const result = await this.#client.send(
      this.#request(operation, `${STRIPE_LIST_PATHS[type]}/${encodeURIComponent(id)}`, {}, signal),
    )
    if (result.outcome.kind === 'rejected' && result.outcome.answer.status === 404) return undefined
    if (result.outcome.kind !== 'succeeded') throw outboundErrorFor(result)
    const object = parseAnswer(objectSchema, result.outcome.answer.body, this.#call(operation))
    return this.#item(object, versionOf?.(object) ?? answerVersion(result.outcome.answer), operation)
  }

  /**
   * Walks the account's events, newest first. Stripe only lists events of the last 30 days
   * (`STRIPE_EVENTS_WINDOW_SECONDS`): older changes are only visible in the objects themselves.
   * Each event's entity is exactly the one the webhook path gives the same event.
   */
  async *listEvents(options: StripeEventListOptions = {}): AsyncGenerator<StripePage<StripeEventItem>> {
    const operation = 'events.list'
    const extra = {
      ...(options.types === undefined ? {} : { 'types[]': options.types }),
      ...(options.deliverySuccess === undefined ? {} : { delivery_success: options.deliverySuccess }),
    }
    for await (const { answer, cursor } of this.#walk('/v1/events', operation, options, extra)) {
      const list = parseAnswer(eventListSchema, answer.body, this.#call(operation))
      const items = list.data.map((event) => ({
        event,
        entity: entityRefOf(
          stripeEntityDraft(event.data.object, { value: event.created, from: '/created' }, '/data/object'),
          this.#call(operation),
        ),
      }))
      yield page(items, list.has_more, cursor, list.data.at(-1)?.id)
      if (!list.has_more) return
    }
  }

  async *#walk(
    path: string,
    operation: string,
    options: StripeListOptions,
    extra: OutboundRequest['query'],
  ): AsyncGenerator<{ answer: Answer; cursor: string | undefined }> {
    let cursor = options.startingAfter
    const created = Object.fromEntries(
      Object.entries(options.created ?? {}).map(([bound, value]) => [`created[${bound}]`, value]),
    )
    for (;;) {
      const query = {
        limit: options.limit ?? 100,
        ...created,
        ...extra,
        ...(cursor === undefined ? {} : { starting_after: cursor }),
      }
      const answer = await this.#client.request(this.#request(operation, path, query, options.signal))
      const last = (answer.body as { data?: { id?: unknown }[] } | undefined)?.data?.at(-1)?.id
      yield { answer, cursor }
      if (typeof last !== 'string') return
      cursor = last
    }
  }

  #item(object: StripeObject, version: number, operation: string): StripeItem {
    const entity = entityRefOf(
      stripeEntityDraft(object, { value: version, from: 'the version of the listed object' }, ''),
      this.#call(operation),
    )
    return { object, entity }
  }

  #request(
    operation: string,
    path: string,
    query: OutboundRequest['query'],
    signal: AbortSignal | undefined,
  ): OutboundRequest {
    return {
      credentialId: this.#credentialId,
      operation,
      path,
      ...(query === undefined ? {} : { query }),
      ...(signal === undefined ? {} : { signal }),
    }
  }

  #call(operation: string) {
    return { provider: this.#client.policy.name, operation }
  }
}

function page<T>(items: T[], hasMore: boolean, previous: string | undefined, last: string | undefined) {
  return { items, hasMore, cursor: last ?? previous }
}

/** The second before Stripe answered (see `StripeApi`), from its `Date` header. */
function answerVersion(answer: Answer): number {
  const dated = Date.parse(answer.headers['date'] ?? '')
  const atMs = Number.isFinite(dated) ? dated : Date.now()
  return Math.max(0, Math.floor(atMs / 1000) - 1)
}
