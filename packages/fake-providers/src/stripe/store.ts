import { type Clock, PermanentError } from '@integration-ledger/core'
import { SeededRandom, fakePerson } from '../random.js'
import type { RecordChangeOptions, RemoteRecords } from '../server/types.js'
import { StripeCollection, type StripeObject } from './collection.js'

/** The API version the fake's objects and events are shaped after. */
export const STRIPE_API_VERSION = '2024-06-20'

/** Stripe keeps events listable and retrievable for 30 days. */
export const EVENT_RETENTION_SECONDS = 30 * 24 * 3600

/** The object types the fake serves, with their list path, ID prefix and event names. */
export const STRIPE_TYPES = {
  customer: { path: 'customers', prefix: 'cus_', event: 'customer' },
  subscription: { path: 'subscriptions', prefix: 'sub_', event: 'customer.subscription' },
  invoice: { path: 'invoices', prefix: 'in_', event: 'invoice' },
  payment_intent: { path: 'payment_intents', prefix: 'pi_', event: 'payment_intent' },
  charge: { path: 'charges', prefix: 'ch_', event: 'charge' },
} as const

export type StripeType = keyof typeof STRIPE_TYPES

/** How many objects of each type are seeded. */
export interface StripeSizes {
  /** @default 1200 */
  customers?: number
  /** @default 1100 */
  subscriptions?: number
  /** @default 1500 */
  invoices?: number
  /** @default 1000 */
  paymentIntents?: number
  /** @default 1000 */
  charges?: number
}

/** Seeded objects are spread over this many days before "now"; about a tenth fall in the event window. */
const SEED_SPAN_DAYS = 365

/** Context of the API request that caused a change, copied into the event's `request`. */
export interface ChangeRequest {
  id: string
  idempotencyKey: string | undefined
}

/**
 * A Stripe account's objects and its event log. Every change appends an event whose
 * `data.object` is a snapshot of the object after the change, as Stripe's snapshot events do;
 * the webhook path takes the entity's version from that event's `created`.
 */
export class StripeStore implements RemoteRecords {
  readonly types = Object.keys(STRIPE_TYPES)
  readonly events: StripeCollection
  private readonly collections = new Map<StripeType, StripeCollection>()
  private readonly random: SeededRandom
  /**
   * Sends a new event's webhook; set by the handler while a webhook target is configured. The
   * event's `pending_webhooks` says whether it has been delivered.
   */
  deliver: ((event: StripeObject) => void) | undefined

  constructor(
    seed: number,
    sizes: StripeSizes,
    private readonly clock: Clock,
  ) {
    this.random = new SeededRandom(seed)
    const seeded = new Seeder(this.random, Math.floor(clock.now() / 1000)).run(sizes)
    for (const type of Object.keys(STRIPE_TYPES) as StripeType[]) {
      this.collections.set(type, new StripeCollection(seeded.objects.get(type) ?? []))
    }
    this.events = new StripeCollection(seeded.events)
  }

  collection(type: StripeType): StripeCollection {
    const collection = this.collections.get(type)
    if (collection === undefined) throw new Error(`no collection ${type}`)
    return collection
  }

  /** The type whose list path is `path` (`customers` → `customer`). */
  static typeForPath(path: string): StripeType | undefined {
    return (Object.keys(STRIPE_TYPES) as StripeType[]).find((t) => STRIPE_TYPES[t].path === path)
  }

  get(type: string, id: string): StripeObject | undefined {
    const collection = this.collections.get(checkType(type))
    if (collection === undefined) return undefined
    const object = collection.get(id)
    if (object === undefined) return undefined
    return collection.isDeleted(id)
      ? { id, object: object.object, deleted: true, created: object.created }
      : object
  }

  create(
    type: string,
    fields: Record<string, unknown> = {},
    options: RecordChangeOptions = {},
    request?: ChangeRequest,
  ): StripeObject {
    const t = checkType(type)
    const created = this.nowSeconds()
    const object = {
      ...buildObject(t, this.random, created, this.references()),
      ...fields,
      id: typeof fields['id'] === 'string' ? fields['id'] : newId(this.random, STRIPE_TYPES[t].prefix),
      object: t,
      created,
    }
    this.collection(t).insert(object)
    this.appendEvent(createdEventType(object), object, undefined, options, request)
    return object
  }

  update(
    type: string,
    id: string,
    patch: Record<string, unknown> = { metadata: { touched: String(this.clock.now()) } },
    options: RecordChangeOptions = {},
    request?: ChangeRequest,
  ): StripeObject {
    const t = checkType(type)
    const object = this.live(t, id)
    const previous: Record<string, unknown> = {}
    for (const key of Object.keys(patch)) previous[key] = object[key] ?? null
    Object.assign(object, patch, { id: object.id, object: object.object, created: object.created })
    this.appendEvent(updatedEventType(t, object), object, previous, options, request)
    return object
  }

  /**
   * Customers become `{ id, object, deleted: true }` stubs (Stripe keeps them retrievable) and
   * subscriptions are cancelled; other types vanish, so retrieving them answers 404.
   */
  remove(type: string, id: string, options: RecordChangeOptions = {}): void {
    const t = checkType(type)
    const object = this.live(t, id)
    if (t === 'subscription') {
      const now = this.nowSeconds()
      Object.assign(object, { status: 'canceled', canceled_at: now, ended_at: now })
      this.appendEvent('customer.subscription.deleted', object, undefined, options, undefined)
      return
    }
    if (t === 'customer' || t === 'invoice') {
      this.appendEvent(
        `${STRIPE_TYPES[t].event}.deleted`,
        { ...object, deleted: true },
        undefined,
        options,
        undefined,
      )
    }
    if (t === 'customer') this.collection(t).markDeleted(id)
    else this.collection(t).purge(id)
  }

  private live(type: StripeType, id: string): StripeObject {
    const object = this.collection(type).get(id)
    if (object === undefined || this.collection(type).isDeleted(id)) {
      throw new PermanentError('NOT_FOUND', `The fake Stripe account has no live ${type} ${id}.`)
    }
    return object
  }

  private appendEvent(
    type: string,
    object: StripeObject,
    previous: Record<string, unknown> | undefined,
    options: RecordChangeOptions,
    request: ChangeRequest | undefined,
  ): void {
    const delivered = options.webhookDelivered ?? true
    const event = eventFor(this.random, type, this.nowSeconds(), object, previous, delivered, request)
    this.events.insert(event)
    if (delivered) this.deliver?.(event)
  }

  private references(): References {
    const ids = (t: StripeType): string[] =>
      this.collection(t)
        .live()
        .slice(0, 50)
        .map((o) => o.id)
    return {
      customers: ids('customer'),
      subscriptions: ids('subscription'),
      paymentIntents: ids('payment_intent'),
    }
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now() / 1000)
  }
}

function checkType(type: string): StripeType {
  if (type in STRIPE_TYPES) return type as StripeType
  throw new PermanentError(
    'VALIDATION_FAILED',
    `The fake Stripe has no type "${type}"; use one of ${Object.keys(STRIPE_TYPES).join(', ')}.`,
  )
}

function newId(random: SeededRandom, prefix: string): string {
  return `${prefix}${random.alphanumeric(14)}`
}

function createdEventType(object: StripeObject): string {
  if (object.object === 'charge')
    return `charge.${object['status'] === 'failed' ? 'failed' : object['status'] === 'pending' ? 'pending' : 'succeeded'}`
  return `${STRIPE_TYPES[object.object as StripeType].event}.created`
}

/** Payment intents have no `.updated` event: Stripe names the state reached. */
function updatedEventType(type: StripeType, object: StripeObject): string {
  if (type !== 'payment_intent') return `${STRIPE_TYPES[type].event}.updated`
  const byStatus: Record<string, string> = {
    succeeded: 'payment_intent.succeeded',
    canceled: 'payment_intent.canceled',
    requires_payment_method: 'payment_intent.payment_failed',
  }
  return byStatus[String(object['status'])] ?? 'payment_intent.processing'
}

function eventFor(
  random: SeededRandom,
  type: string,
  created: number,
  object: StripeObject,
  previous: Record<string, unknown> | undefined,
  delivered: boolean,
  request: ChangeRequest | undefined,
): StripeObject {
  return {
    id: `evt_${random.alphanumeric(24)}`,
    object: 'event',
    api_version: STRIPE_API_VERSION,
    created,
    data:
      previous === undefined
        ? { object: structuredClone(object) }
        : { object: structuredClone(object), previous_attributes: previous },
    livemode: false,
    pending_webhooks: delivered ? 0 : 1,
    request: { id: request?.id ?? null, idempotency_key: request?.idempotencyKey ?? null },
    type,
  }
}

interface References {
  customers: string[]
  subscriptions: string[]
  paymentIntents: string[]
}

/** Fields of a new object of `type`; IDs of related objects are picked from `refs`. */
function buildObject(
  type: StripeType,
  random: SeededRandom,
  created: number,
  refs: References,
): StripeObject {
  const customer = refs.customers.length > 0 ? random.pick(refs.customers) : null
  const base = { id: '', object: type, created, livemode: false, metadata: {} }
  const amount = random.int(5, 500) * 100
  switch (type) {
    case 'customer': {
      const person = fakePerson(random, random.int(1, 1_000_000))
      return {
        ...base,
        address: null,
        balance: 0,
        currency: 'usd',
        default_source: null,
        delinquent: random.chance(0.05),
        description: null,
        discount: null,
        email: person.email,
        invoice_prefix: random.alphanumeric(8).toUpperCase(),
        name: `${person.first} ${person.last}`,
        phone: null,
        preferred_locales: [],
        shipping: null,
        tax_exempt: 'none',
        test_clock: null,
      }
    }
    case 'subscription': {
      const status = random.pick([
        'active',
        'active',
        'active',
        'trialing',
        'past_due',
        'canceled',
        'unpaid',
      ] as const)
      const periodStart = created + random.int(0, 11) * 30 * 86400
      return {
        ...base,
        cancel_at_period_end: false,
        canceled_at: status === 'canceled' ? periodStart : null,
        currency: 'usd',
        current_period_end: periodStart + 30 * 86400,
        current_period_start: periodStart,
        customer,
        ended_at: status === 'canceled' ? periodStart : null,
        items: {
          object: 'list',
          data: [
            {
              id: `si_${random.alphanumeric(14)}`,
              object: 'subscription_item',
              price: {
                id: `price_${random.alphanumeric(14)}`,
                object: 'price',
                currency: 'usd',
                recurring: { interval: 'month', interval_count: 1 },
                unit_amount: amount,
              },
              quantity: random.int(1, 5),
            },
          ],
          has_more: false,
          url: '/v1/subscription_items',
        },
        latest_invoice: null,
        start_date: created,
        status,
      }
    }
    case 'invoice': {
      const status = random.pick(['paid', 'paid', 'paid', 'open', 'draft', 'void', 'uncollectible'] as const)
      return {
        ...base,
        amount_due: amount,
        amount_paid: status === 'paid' ? amount : 0,
        amount_remaining: status === 'paid' ? 0 : amount,
        currency: 'usd',
        customer,
        number: status === 'draft' ? null : `${random.alphanumeric(8).toUpperCase()}-${random.int(1, 9999)}`,
        period_end: created,
        period_start: created - 30 * 86400,
        status,
        subscription: refs.subscriptions.length > 0 ? random.pick(refs.subscriptions) : null,
        total: amount,
      }
    }
    case 'payment_intent': {
      const status = random.pick([
        'succeeded',
        'succeeded',
        'succeeded',
        'processing',
        'requires_payment_method',
        'canceled',
      ] as const)
      return {
        ...base,
        amount,
        amount_received: status === 'succeeded' ? amount : 0,
        capture_method: 'automatic',
        currency: 'usd',
        customer,
        latest_charge: null,
        payment_method_types: ['card'],
        status,
      }
    }
    case 'charge': {
      const status = random.pick(['succeeded', 'succeeded', 'succeeded', 'failed', 'pending'] as const)
      const refunded = status === 'succeeded' && random.chance(0.05)
      return {
        ...base,
        amount,
        amount_captured: status === 'succeeded' ? amount : 0,
        amount_refunded: refunded ? amount : 0,
        balance_transaction: status === 'succeeded' ? `txn_${random.alphanumeric(14)}` : null,
        captured: status === 'succeeded',
        currency: 'usd',
        customer,
        paid: status === 'succeeded',
        payment_intent: refs.paymentIntents.length > 0 ? random.pick(refs.paymentIntents) : null,
        refunded,
        status,
      }
    }
  }
}

/** Generates the seeded account: objects in creation order, each with its creation event. */
class Seeder {
  readonly objects = new Map<StripeType, StripeObject[]>()
  readonly events: StripeObject[] = []

  constructor(
    private readonly random: SeededRandom,
    private readonly nowSeconds: number,
  ) {}

  run(sizes: StripeSizes): this {
    this.make('customer', sizes.customers ?? 1200)
    this.make('subscription', sizes.subscriptions ?? 1100)
    this.make('invoice', sizes.invoices ?? 1500)
    this.make('payment_intent', sizes.paymentIntents ?? 1000)
    this.make('charge', sizes.charges ?? 1000)
    return this
  }

  private make(type: StripeType, count: number): void {
    const span = SEED_SPAN_DAYS * 86400
    const refs: References = {
      customers: (this.objects.get('customer') ?? []).map((o) => o.id),
      subscriptions: (this.objects.get('subscription') ?? []).map((o) => o.id),
      paymentIntents: (this.objects.get('payment_intent') ?? []).map((o) => o.id),
    }
    const list: StripeObject[] = []
    for (let i = 0; i < count; i++) {
      // Evenly spread, oldest first, with jitter so that some share a second as real data does.
      const created = this.nowSeconds - span + Math.floor(((i + this.random.next()) * span) / count) - 60
      const object: StripeObject = {
        ...buildObject(type, this.random, created, refs),
        id: newId(this.random, STRIPE_TYPES[type].prefix),
      }
      list.push(object)
      this.events.push(
        eventFor(this.random, createdEventType(object), created, object, undefined, true, undefined),
      )
      // Some objects changed again inside the event window; a few of those webhooks were never delivered.
      if (created > this.nowSeconds - EVENT_RETENTION_SECONDS && this.random.chance(0.2)) {
        const at = Math.min(this.nowSeconds - 1, created + this.random.int(60, 5 * 86400))
        const previous = { metadata: {} }
        object.metadata = { segment: this.random.pick(['smb', 'mid', 'enterprise']) }
        const delivered = !this.random.chance(0.15)
        this.events.push(
          eventFor(this.random, updatedEventType(type, object), at, object, previous, delivered, undefined),
        )
      }
    }
    this.objects.set(type, list)
  }
}
