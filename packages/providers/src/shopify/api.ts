import { type OutboundClient, ProviderRejectedError, outboundErrorFor } from '@integration-ledger/outbound'
import { z } from 'zod'
import { entityRefOf } from '../api/entity.js'
import { parseAnswer } from '../api/errors.js'
import type { EntityRef } from '../extraction/extraction-result.js'
import { parseIsoMs } from '../extraction/values.js'
import { entityTypeFromTopic, shopifyEntityId } from './extract.js'

/** The Admin API version the adapter speaks unless told otherwise. */
export const SHOPIFY_ADMIN_API_VERSION = '2025-01'

/** What a scan reads of each resource: scalars only, so a node costs one point. */
const SELECTIONS = {
  orders: 'id legacyResourceId name email createdAt updatedAt',
  products: 'id legacyResourceId title handle status createdAt updatedAt',
  customers: 'id legacyResourceId displayName email createdAt updatedAt',
} as const

/** A resource the adapter scans, named as its GraphQL connection (and its webhook topics). */
export type ShopifyResource = keyof typeof SELECTIONS

/** Shopify's largest page. */
const MAX_FIRST = 250

const nodeSchema = z.looseObject({
  id: z.string().min(1),
  legacyResourceId: z.string().optional(),
  updatedAt: z.string().min(1),
})
const connectionSchema = z.object({
  nodes: z.array(nodeSchema),
  pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }),
})
const answerSchema = z.object({
  data: z.record(z.string(), connectionSchema).nullable().optional(),
  errors: z.array(z.looseObject({ message: z.string() })).optional(),
})

/** A Shopify record as the GraphQL Admin API answered it, with its projection entity. */
export interface ShopifyItem {
  node: z.output<typeof nodeSchema>
  entity: EntityRef
}

/** One page of a scan. */
export interface ShopifyPage {
  items: ShopifyItem[]
  /**
   * `pageInfo.endCursor`: pass it as `after` to resume with the next page. Shopify's cursors stay
   * valid when their record changes or is deleted.
   */
  cursor: string | undefined
  hasNextPage: boolean
}

/** Options of a scan. */
export interface ShopifyListOptions {
  /** Nodes per page, 1 to 250. @default 100 */
  first?: number
  /** Resume after this cursor (a page's `cursor`). */
  after?: string
  /** Shopify search syntax, e.g. `updated_at:>=2025-01-01T00:00:00Z`. */
  query?: string
  signal?: AbortSignal
}

/** Options of `ShopifyApi`. */
export interface ShopifyApiOptions {
  /** A client on `derivePolicy(shopifyGraphqlPolicy, { baseUrl: 'https://<shop>.myshopify.com' })`. */
  client: OutboundClient
  /** Which stored credential (Admin API access token) pays for the calls. */
  credentialId: string
  /** @default SHOPIFY_ADMIN_API_VERSION */
  apiVersion?: string
}

/**
 * Scans a shop's orders, products and customers through the GraphQL Admin API
 * (`POST /admin/api/<version>/graphql.json`), with cursor pagination (`pageInfo.endCursor`) sorted
 * by `UPDATED_AT`. Each query's expected cost (2 for the connection, 1 per node, 1 for
 * `pageInfo`) is passed to the client, whose `shopifyGraphqlPolicy` bucket follows the
 * `throttleStatus` Shopify reports and waits out a THROTTLED answer (HTTP 200) by the restore rate.
 * Answers are validated at this boundary; GraphQL errors other than throttling are a
 * `ProviderRejectedError` (the query is wrong for this API version), a malformed answer a
 * `ProviderAnswerInvalidError`.
 *
 * **Entity mapping.** As the webhook path maps the REST-shaped payloads of Shopify webhooks: the ID
 * is the tail of the gid (`shopifyEntityId`, shared with the webhook extractor; a webhook's
 * `admin_graphql_api_id` is the same gid and its numeric `id` the same digits), the type is the
 * singular of the resource as `entityTypeFromTopic` gives it for `orders/updated` (`order`), and
 * the version is `updatedAt` in ms, the instant the webhook's `updated_at` carries (Shopify's
 * DateTime has whole seconds; `updated_at` states the same second in the shop's time zone).
 */
export class ShopifyApi {
  readonly #client: OutboundClient
  readonly #credentialId: string
  readonly #path: string

  constructor(options: ShopifyApiOptions) {
    this.#client = options.client
    this.#credentialId = options.credentialId
    this.#path = `/admin/api/${encodeURIComponent(options.apiVersion ?? SHOPIFY_ADMIN_API_VERSION)}/graphql.json`
  }

  /** Walks every record of a resource, one page per iteration. */
  async *list(resource: ShopifyResource, options: ShopifyListOptions = {}): AsyncGenerator<ShopifyPage> {
    const first = Math.min(MAX_FIRST, Math.max(1, options.first ?? 100))
    const operation = `${resource}.list`
    const query = `query Scan($first: Int!, $after: String, $query: String) {
  ${resource}(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes { ${SELECTIONS[resource]} }
    pageInfo { hasNextPage endCursor }
  }
}`
    let after = options.after
    for (;;) {
      const result = await this.#client.send({
        credentialId: this.#credentialId,
        operation,
        method: 'POST',
        path: this.#path,
        json: {
          query,
          operationName: 'Scan',
          variables: { first, after: after ?? null, query: options.query ?? null },
        },
        cost: 2 + first + 1,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      })
      if (result.outcome.kind !== 'succeeded') throw outboundErrorFor(result)
      const call = { provider: this.#client.policy.name, operation }
      const body = parseAnswer(answerSchema, result.outcome.answer.body, call)
      if (body.errors !== undefined && body.errors.length > 0) {
        throw new ProviderRejectedError(
          `${call.provider} ${operation} answered with GraphQL errors (${body.errors
            .slice(0, 3)
            .map((e) => e.message)
            .join('; ')}); the query does not fit this shop's API version.`,
          result,
        )
      }
      const connection = parseAnswer(z.object({ [resource]: connectionSchema }), body.data ?? {}, call)[
        resource
      ] as z.output<typeof connectionSchema>
      const items = connection.nodes.map((node) => ({
        node,
        entity: entityRefOf(
          {
            entityType: { value: entityTypeFromTopic(resource), from: `the ${resource} connection` },
            entityId: shopifyEntityId(node.id, node.legacyResourceId, {
              gid: '/id',
              id: '/legacyResourceId',
            }),
            entityVersion: { value: parseIsoMs(node.updatedAt), from: '/updatedAt' },
          },
          call,
        ),
      }))
      const cursor = connection.pageInfo.endCursor ?? after
      yield { items, cursor, hasNextPage: connection.pageInfo.hasNextPage }
      if (!connection.pageInfo.hasNextPage || connection.pageInfo.endCursor === null) return
      after = connection.pageInfo.endCursor
    }
  }
}
