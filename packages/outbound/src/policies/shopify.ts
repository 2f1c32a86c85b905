import { defineProviderPolicy, type AnswerView, type RateLimitReading } from '../policy.js'

/**
 * Shopify's REST Admin API call limit (https://shopify.dev/docs/api/admin-rest/usage/rate-limits):
 * a leaky bucket of 40 requests per app and store that leaks 2 requests per second on standard
 * plans; every answer reports its fill as `X-Shopify-Shop-Api-Call-Limit: 32/40` (32 used of 40).
 * A full bucket answers 429 with `Retry-After`, which the client reads itself.
 */
export function readShopifyRestRateLimit(answer: AnswerView): RateLimitReading {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(answer.headers['x-shopify-shop-api-call-limit'] ?? '')
  if (!match) return {}
  const used = Number(match[1])
  const limit = Number(match[2])
  return { remaining: Math.max(0, limit - used), limit }
}

/**
 * Shopify's REST Admin API (legacy since 2024-10-01; the GraphQL Admin API is `shopifyGraphqlPolicy`).
 * `baseUrl` is the shop's own host: derive one per shop with
 * `derivePolicy(shopifyPolicy, { baseUrl: 'https://my-shop.myshopify.com' })`.
 * The access token goes in `X-Shopify-Access-Token`.
 */
export const shopifyPolicy = defineProviderPolicy({
  name: 'shopify',
  baseUrl: 'https://shop.myshopify.com',
  limits: { capacity: 40, refillPerSecond: 2 },
  authorize: (secret) => ({ 'x-shopify-access-token': secret }),
  readRateLimit: readShopifyRestRateLimit,
})
