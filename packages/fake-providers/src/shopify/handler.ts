import { STATUS_CODES } from 'node:http'
import { randomUUID } from 'node:crypto'
import type { Clock } from '@integration-ledger/core'
import {
  type DocumentNode,
  GraphQLError,
  type GraphQLFormattedError,
  executeSync,
  parse,
  validate,
} from 'graphql'
import { RestoringBucket } from '../server/limits.js'
import type { FakeReply, FakeRequest, ProviderHandler } from '../server/types.js'
import { type ConnectionArgs, connectionOf } from './connection.js'
import { type QueryCostContext, actualQueryCost, requestedQueryCost } from './cost.js'
import { shopifySchema } from './schema.js'
import { type ShopifyRecord, type ShopifySizes, ShopifyStore } from './store.js'

/** Options of the Shopify fake. */
export interface ShopifyFakeOptions {
  /** Admin API access tokens accepted in `X-Shopify-Access-Token`. @default ['shpat_fake_ledger_00000000000000000000'] */
  accessTokens?: string[]
  /** The bucket per token, or false for no cost limit. @default { maximumAvailable: 1000, restoreRate: 50 } */
  costLimit?: { maximumAvailable: number; restoreRate: number } | false
  /** @default 'ledger-fake.myshopify.com' */
  shopDomain?: string
  sizes?: ShopifySizes
}

/** The access token the fake accepts unless told otherwise. */
export const DEFAULT_SHOPIFY_ACCESS_TOKEN = 'shpat_fake_ledger_00000000000000000000'

/** Shopify refuses a single query whose requested cost is above this, whatever the bucket holds. */
export const SINGLE_QUERY_MAX_COST = 1000

const GRAPHQL_PATH = /^\/admin\/api\/(\d{4}-(?:01|04|07|10)|unstable)\/graphql\.json$/

interface ParsedRequest {
  document: DocumentNode
  cost: QueryCostContext
  requested: number
}

/**
 * The GraphQL Admin API (`POST /admin/api/<version>/graphql.json`) over the seeded shop, executed
 * by the real `graphql` engine against `shopifySchema`, so aliases, fragments and variables work.
 * Every answer carries `extensions.cost`; over budget it is HTTP 200 with a THROTTLED error, as
 * Shopify answers.
 */
export class ShopifyHandler implements ProviderHandler {
  readonly name = 'shopify' as const
  readonly records: ShopifyStore
  private readonly tokens: Set<string>
  private readonly bucket: RestoringBucket | undefined
  private readonly shopDomain: string

  constructor(seed: number, clock: Clock, options: ShopifyFakeOptions = {}) {
    this.records = new ShopifyStore(seed, options.sizes ?? {}, clock)
    this.tokens = new Set(options.accessTokens ?? [DEFAULT_SHOPIFY_ACCESS_TOKEN])
    const limit = options.costLimit ?? { maximumAvailable: 1000, restoreRate: 50 }
    this.bucket =
      limit === false ? undefined : new RestoringBucket(limit.maximumAvailable, limit.restoreRate, clock)
    this.shopDomain = options.shopDomain ?? 'ledger-fake.myshopify.com'
  }

  commonHeaders(req: FakeRequest): Record<string, string> {
    const version = GRAPHQL_PATH.exec(req.url.pathname)?.[1]
    return {
      'x-request-id': randomUUID(),
      ...(version === undefined ? {} : { 'x-shopify-api-version': version }),
    }
  }

  statusReply(_req: FakeRequest, status: number): FakeReply {
    if (status === 429) {
      return {
        status,
        body: {
          errors:
            'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.',
        },
      }
    }
    return { status, body: { errors: STATUS_CODES[status] ?? 'Error' } }
  }

  /** Shopify's THROTTLED answer; a scripted one also empties the token's bucket, so what follows is consistent. */
  rateLimitedReply(req: FakeRequest): FakeReply {
    const token = header(req, 'x-shopify-access-token') ?? ''
    const parsed = this.parseRequest(req)
    const requested = parsed instanceof Error ? 0 : parsed.requested
    if (this.bucket !== undefined) this.bucket.take(token, this.bucket.available(token))
    return this.throttled(token, requested)
  }

  handle(req: FakeRequest): FakeReply {
    if (!GRAPHQL_PATH.test(req.url.pathname)) return { status: 404, body: { errors: 'Not Found' } }
    if (req.method !== 'POST') return { status: 405, body: { errors: 'GraphQL queries are sent with POST.' } }
    const token = header(req, 'x-shopify-access-token')
    if (token === undefined || !this.tokens.has(token)) {
      return {
        status: 401,
        body: { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' },
      }
    }
    const parsed = this.parseRequest(req)
    if (parsed instanceof Error)
      return {
        status: parsed.message.startsWith('Bad Request') ? 400 : 200,
        body: { errors: formatErrors(parsed) },
      }
    const { requested } = parsed
    if (requested > SINGLE_QUERY_MAX_COST) {
      return {
        status: 200,
        body: {
          errors: [
            {
              message: `Query cost is ${requested}, which exceeds the single query max cost limit (${SINGLE_QUERY_MAX_COST}).`,
              extensions: { code: 'MAX_COST_EXCEEDED', cost: requested, maxCost: SINGLE_QUERY_MAX_COST },
            },
          ],
          extensions: { cost: this.cost(token, requested, null) },
        },
      }
    }
    if (this.bucket !== undefined && !this.bucket.take(token, requested))
      return this.throttled(token, requested)
    const result = executeSync({
      schema: shopifySchema,
      document: parsed.document,
      rootValue: this.root(),
      variableValues: parsed.cost.variables,
      operationName: parsed.cost.operationName,
    })
    const actual = actualQueryCost(parsed.cost, result.data)
    // Shopify takes the requested cost up front and gives back what the query did not use.
    this.bucket?.refund(token, requested - actual)
    const body: Record<string, unknown> = {}
    if (result.errors !== undefined) body['errors'] = result.errors.map((e) => e.toJSON())
    body['data'] = result.data ?? null
    body['extensions'] = { cost: this.cost(token, requested, actual) }
    return { status: 200, body }
  }

  private parseRequest(req: FakeRequest): ParsedRequest | GraphQLError | Error {
    let payload: { query?: unknown; variables?: unknown; operationName?: unknown }
    try {
      payload = JSON.parse(req.body.toString('utf8')) as typeof payload
    } catch {
      return new Error('Bad Request: the body must be JSON: {"query": "...", "variables": {...}}.')
    }
    if (typeof payload.query !== 'string') return new Error('Bad Request: the body has no "query" string.')
    let document: DocumentNode
    try {
      document = parse(payload.query)
    } catch (err) {
      return err as GraphQLError
    }
    const errors = validate(shopifySchema, document)
    if (errors.length > 0) return new AggregateGraphQLError(errors)
    const cost: QueryCostContext = {
      schema: shopifySchema,
      document,
      operationName: typeof payload.operationName === 'string' ? payload.operationName : undefined,
      variables:
        typeof payload.variables === 'object' && payload.variables !== null
          ? (payload.variables as Record<string, unknown>)
          : undefined,
    }
    return { document, cost, requested: requestedQueryCost(cost) }
  }

  private throttled(token: string, requested: number): FakeReply {
    return {
      status: 200,
      body: {
        errors: [
          {
            message: 'Throttled',
            extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' },
          },
        ],
        extensions: { cost: this.cost(token, requested, null) },
      },
    }
  }

  private cost(token: string, requested: number, actual: number | null): unknown {
    const maximumAvailable = this.bucket?.maximum ?? SINGLE_QUERY_MAX_COST
    return {
      requestedQueryCost: requested,
      actualQueryCost: actual,
      throttleStatus: {
        maximumAvailable,
        currentlyAvailable: Math.floor(this.bucket?.available(token) ?? maximumAvailable),
        restoreRate: this.bucket?.restorePerSecond ?? 0,
      },
    }
  }

  /** Resolvers as functions on the root and on each record view (graphql-js calls them with the args). */
  private root(): Record<string, unknown> {
    const store = this.records
    const view = (record: ShopifyRecord | undefined): unknown =>
      record === undefined ? null : viewOf(store, record)
    const byType = (type: 'order' | 'product' | 'customer', typename: string) => ({
      list: (args: ConnectionArgs) => connectionOf(store.list(type), args, view),
      one: (args: { id: string }) => {
        const record = store.find(args.id)
        return record?.__typename === typename ? view(record) : null
      },
    })
    const orders = byType('order', 'Order')
    const products = byType('product', 'Product')
    const customers = byType('customer', 'Customer')
    return {
      orders: orders.list,
      order: orders.one,
      products: products.list,
      product: products.one,
      customers: customers.list,
      customer: customers.one,
      node: (args: { id: string }) => view(store.find(args.id)),
      nodes: (args: { ids: string[] }) => args.ids.map((id) => view(store.find(id))),
      shop: { name: 'Ledger Fake Shop', myshopifyDomain: this.shopDomain, currencyCode: 'USD' },
    }
  }
}

function viewOf(store: ShopifyStore, record: ShopifyRecord): unknown {
  if (record.__typename !== 'Order') return record
  const lineItems = (record['lineItems'] as { legacyResourceId: string }[] | undefined) ?? []
  const customerId = record['customerId']
  return {
    ...record,
    customer: () => (typeof customerId === 'string' ? (store.find(customerId) ?? null) : null),
    lineItems: (args: ConnectionArgs) => connectionOf(lineItems, args),
  }
}

class AggregateGraphQLError extends Error {
  constructor(readonly errors: readonly GraphQLError[]) {
    super(errors.map((e) => e.message).join('; '))
  }
}

function formatErrors(err: Error): GraphQLFormattedError[] | string {
  if (err instanceof AggregateGraphQLError) return err.errors.map((e) => e.toJSON())
  if (err instanceof GraphQLError) return [err.toJSON()]
  return err.message
}

function header(req: FakeRequest, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value[0] : value
}
