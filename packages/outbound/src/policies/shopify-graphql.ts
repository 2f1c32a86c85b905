import { defineProviderPolicy, type AnswerView, type RateLimitReading } from '../policy.js'

interface GraphqlCostBody {
  errors?: { extensions?: { code?: unknown } }[]
  extensions?: {
    cost?: {
      requestedQueryCost?: unknown
      throttleStatus?: { maximumAvailable?: unknown; currentlyAvailable?: unknown; restoreRate?: unknown }
    }
  }
}

const finite = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined

/**
 * Shopify's GraphQL Admin API cost throttle (https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits):
 * every answer reports `extensions.cost.throttleStatus { maximumAvailable, currentlyAvailable,
 * restoreRate }`. A throttled query is answered with HTTP 200 and an error whose
 * `extensions.code` is `THROTTLED`, so the body, not the status, says it; the wait is the missing
 * points (`requestedQueryCost - currentlyAvailable`) divided by the restore rate.
 */
export function readShopifyGraphqlRateLimit(answer: AnswerView): RateLimitReading {
  const body = answer.body as GraphqlCostBody | undefined
  if (typeof body !== 'object' || body === null) return {}
  const reading: RateLimitReading = {}
  const status = body.extensions?.cost?.throttleStatus
  const available = finite(status?.currentlyAvailable)
  const maximum = finite(status?.maximumAvailable)
  const restore = finite(status?.restoreRate)
  if (available !== undefined) reading.remaining = available
  if (maximum !== undefined) reading.limit = maximum
  if (restore !== undefined && restore > 0) reading.refillPerSecond = restore
  const throttled =
    Array.isArray(body.errors) && body.errors.some((error) => error?.extensions?.code === 'THROTTLED')
  if (throttled) {
    reading.throttled = true
    const requested = finite(body.extensions?.cost?.requestedQueryCost)
    if (requested !== undefined && available !== undefined && restore !== undefined && restore > 0) {
      reading.waitMs = Math.ceil((Math.max(0, requested - available) / restore) * 1000)
    }
  }
  return reading
}

/**
 * Shopify's GraphQL Admin API (`POST /admin/api/<version>/graphql.json` on the shop's host; derive
 * one per shop with `derivePolicy(shopifyGraphqlPolicy, { baseUrl: 'https://my-shop.myshopify.com' })`).
 * Bucket: 1,000 points restoring 50 points per second, the standard-plan figures Shopify long
 * documented; the current table lists 100 points/second for standard plans (200 Advanced, 1,000
 * Plus). The client starts from the smaller figures and adopts the `maximumAvailable` and
 * `restoreRate` each answer reports. Pass a query's expected cost as the request's `cost`.
 * Queries are reads, so a GraphQL POST is idempotent unless the caller marks a mutation
 * `idempotent: false`.
 */
export const shopifyGraphqlPolicy = defineProviderPolicy({
  name: 'shopify-graphql',
  baseUrl: 'https://shop.myshopify.com',
  limits: { capacity: 1_000, refillPerSecond: 50, defaultCost: 10 },
  authorize: (secret) => ({ 'x-shopify-access-token': secret }),
  readRateLimit: readShopifyGraphqlRateLimit,
  idempotentMethods: ['POST'],
})
