import { type Clock, PermanentError } from '@integration-ledger/core'
import { SeededRandom, fakePerson } from '../random.js'
import type { RemoteRecords } from '../server/types.js'
import type { PageableRecord } from './connection.js'

/** How many records of each type are seeded. */
export interface ShopifySizes {
  /** @default 1200 */
  orders?: number
  /** @default 300 */
  products?: number
  /** @default 500 */
  customers?: number
}

/** A stored Shopify record, shaped as the GraphQL type it is served as (`__typename` included). */
export interface ShopifyRecord extends PageableRecord {
  __typename: 'Order' | 'Product' | 'Customer'
  id: string
  createdAt: string
  updatedAt: string
}

const TYPES = { order: 'Order', product: 'Product', customer: 'Customer' } as const
type RecordType = keyof typeof TYPES

/** Seeded records are spread over this many days before "now". */
const SEED_SPAN_DAYS = 365

/**
 * Shopify's `DateTime`: ISO 8601 in UTC with whole seconds, as the Admin API returns it; the
 * webhook path reads the same instant from the payload's `updated_at`.
 */
export function shopifyTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z')
}

/**
 * A shop's orders, products and customers. IDs are 13-digit numbers as on current shops; a
 * record's gid is `gid://shopify/<Type>/<id>`, whose tail is the entity ID the webhook path uses.
 * Every change moves `updatedAt` on by at least one second, so the version the webhook path reads
 * from `updated_at` always grows.
 */
export class ShopifyStore implements RemoteRecords {
  readonly types = Object.keys(TYPES)
  private readonly byType = new Map<RecordType, ShopifyRecord[]>()
  private readonly random: SeededRandom
  private nextId = new Map<RecordType, bigint>()

  constructor(
    seed: number,
    sizes: ShopifySizes,
    private readonly clock: Clock,
  ) {
    this.random = new SeededRandom(seed ^ 0x5409)
    const now = this.nowSeconds()
    this.nextId.set('customer', 6_100_000_000_000n)
    this.nextId.set('product', 7_200_000_000_000n)
    this.nextId.set('order', 5_500_000_000_000n)
    for (const [type, count] of [
      ['customer', sizes.customers ?? 500],
      ['product', sizes.products ?? 300],
      ['order', sizes.orders ?? 1200],
    ] as const) {
      const list: ShopifyRecord[] = []
      const span = SEED_SPAN_DAYS * 86400
      for (let i = 0; i < count; i++) {
        const created = now - span + Math.floor(((i + this.random.next()) * span) / count) - 60
        const updated = this.random.chance(0.4)
          ? created + Math.floor(this.random.next() * Math.min(30 * 86400, now - created))
          : created
        list.push(this.build(type, created, updated, list.length + 1))
      }
      this.byType.set(type, list)
    }
  }

  /** Records of `type` in ID order (the order `sortKey: ID` serves). */
  list(type: RecordType): readonly ShopifyRecord[] {
    return this.byType.get(type) ?? []
  }

  /** By gid (`gid://shopify/Order/…`) or by numeric ID with `type`. */
  find(gid: string): ShopifyRecord | undefined {
    const match = /^gid:\/\/shopify\/(Order|Product|Customer)\/(\d+)$/.exec(gid)
    if (match === null) return undefined
    const type = (Object.keys(TYPES) as RecordType[]).find((t) => TYPES[t] === match[1])
    return type === undefined ? undefined : this.list(type).find((r) => r.legacyResourceId === match[2])
  }

  get(type: string, id: string): ShopifyRecord | undefined {
    const t = checkType(type)
    return this.find(id.startsWith('gid://') ? id : `gid://shopify/${TYPES[t]}/${id}`)
  }

  create(type: string, fields: Record<string, unknown> = {}): ShopifyRecord {
    const t = checkType(type)
    const now = this.nowSeconds()
    const list = this.byType.get(t) ?? []
    const record: ShopifyRecord = { ...this.build(t, now, now, list.length + 1), ...fields }
    list.push(record)
    return record
  }

  update(type: string, id: string, patch: Record<string, unknown> = {}): ShopifyRecord {
    const record = this.live(type, id)
    const previous = Math.floor(Date.parse(record.updatedAt) / 1000)
    Object.assign(record, patch, {
      __typename: record.__typename,
      id: record.id,
      legacyResourceId: record.legacyResourceId,
      updatedAt: shopifyTime(Math.max(this.nowSeconds(), previous + 1)),
    })
    if (Object.keys(patch).length === 0) record.tags = [...(record.tags as string[]), `touched-${previous}`]
    return record
  }

  remove(type: string, id: string): void {
    const record = this.live(type, id)
    const list = this.byType.get(checkType(type)) ?? []
    list.splice(list.indexOf(record), 1)
  }

  private live(type: string, id: string): ShopifyRecord {
    const record = this.get(type, id)
    if (record === undefined)
      throw new PermanentError('NOT_FOUND', `The fake Shopify shop has no ${type} ${id}.`)
    return record
  }

  private newId(type: RecordType): string {
    const next = (this.nextId.get(type) ?? 1n) + BigInt(this.random.int(1, 5000))
    this.nextId.set(type, next)
    return String(next)
  }

  private build(type: RecordType, created: number, updated: number, n: number): ShopifyRecord {
    const id = this.newId(type)
    const base = {
      __typename: TYPES[type],
      id: `gid://shopify/${TYPES[type]}/${id}`,
      legacyResourceId: id,
      createdAt: shopifyTime(created),
      updatedAt: shopifyTime(updated),
      tags: this.random.chance(0.3) ? [this.random.pick(['vip', 'wholesale', 'gift', 'returning'])] : [],
    }
    const random = this.random
    switch (type) {
      case 'customer': {
        const person = fakePerson(random, n)
        return {
          ...base,
          firstName: person.first,
          lastName: person.last,
          displayName: `${person.first} ${person.last}`,
          email: person.email,
          verifiedEmail: random.chance(0.9),
          state: random.pick(['ENABLED', 'ENABLED', 'DISABLED', 'INVITED']),
          numberOfOrders: String(random.int(0, 12)),
        }
      }
      case 'product': {
        const noun = random.pick(['Mug', 'Shirt', 'Poster', 'Sticker', 'Notebook', 'Cap'])
        const adjective = random.pick(['Classic', 'Vintage', 'Minimal', 'Bold', 'Eco'])
        return {
          ...base,
          title: `${adjective} ${noun} ${n}`,
          handle: `${adjective}-${noun}-${n}`.toLowerCase(),
          status: random.pick(['ACTIVE', 'ACTIVE', 'ACTIVE', 'DRAFT', 'ARCHIVED']),
          vendor: random.pick(['Acme', 'Globex', 'Initech']),
          productType: noun,
          totalInventory: random.int(0, 500),
          publishedAt: shopifyTime(created),
          price: `${random.int(5, 80)}.00`,
        }
      }
      case 'order': {
        const products = this.list('product')
        const customers = this.list('customer')
        const lines = random.int(1, 4)
        const lineItems = []
        let total = 0
        for (let i = 0; i < lines; i++) {
          const product = products.length > 0 ? random.pick(products) : undefined
          const price = product === undefined ? '10.00' : String(product['price'])
          const quantity = random.int(1, 3)
          total += Number(price) * quantity
          lineItems.push({
            __typename: 'LineItem',
            id: `gid://shopify/LineItem/${this.newId('order')}`,
            legacyResourceId: String(i + 1),
            name: product === undefined ? 'Item' : String(product['title']),
            title: product === undefined ? 'Item' : String(product['title']),
            quantity,
            sku: `SKU-${random.int(1000, 9999)}`,
            originalUnitPriceSet: money(price),
          })
        }
        const cancelled = random.chance(0.04)
        return {
          ...base,
          name: `#${1000 + n}`,
          email: customers.length > 0 ? String(random.pick(customers)['email']) : null,
          customerId: customers.length > 0 ? random.pick(customers).id : null,
          processedAt: shopifyTime(created),
          cancelledAt: cancelled ? shopifyTime(updated) : null,
          closed: cancelled || random.chance(0.6),
          test: false,
          currencyCode: 'USD',
          displayFinancialStatus: random.pick([
            'PAID',
            'PAID',
            'PAID',
            'PENDING',
            'REFUNDED',
            'PARTIALLY_REFUNDED',
          ]),
          displayFulfillmentStatus: random.pick([
            'FULFILLED',
            'FULFILLED',
            'UNFULFILLED',
            'PARTIALLY_FULFILLED',
          ]),
          totalPriceSet: money(total.toFixed(2)),
          subtotalPriceSet: money(total.toFixed(2)),
          lineItems,
        }
      }
    }
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now() / 1000)
  }
}

function money(amount: string): unknown {
  const value = { amount, currencyCode: 'USD' }
  return { shopMoney: value, presentmentMoney: value }
}

function checkType(type: string): RecordType {
  if (type in TYPES) return type as RecordType
  throw new PermanentError(
    'VALIDATION_FAILED',
    `The fake Shopify has no type "${type}"; use one of ${Object.keys(TYPES).join(', ')}.`,
  )
}
