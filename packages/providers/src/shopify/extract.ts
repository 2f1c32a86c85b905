import { z } from 'zod'
import { readHeader } from '../verification/headers.js'
import type { RequestHeaders } from '../verification/types.js'
import { applyEntityMapping } from '../extraction/entity-overrides.js'
import {
  type DeliveryDraft,
  completeDelivery,
  extractFailure,
  payloadInvalid,
} from '../extraction/extraction-result.js'
import type { ExtractResult } from '../extraction/types.js'
import type { ShopifySource } from './config.js'
import { parseIsoMs } from '../extraction/values.js'

const shopifyPayloadSchema = z.object({
  id: z.union([z.number(), z.string()]).optional(),
  admin_graphql_api_id: z.string().optional(),
  updated_at: z.string().nullable().optional(),
})

/**
 * Entity type from a topic: its first segment, singular (`orders/updated` → `order`,
 * `inventory_levels/update` → `inventory_level`, `companies/create` → `company`). A heuristic for
 * English plurals; configure `entity.type` where it guesses wrong.
 */
export function entityTypeFromTopic(topic: string): string {
  const resource = topic.split('/')[0] ?? topic
  if (resource.endsWith('ies')) return `${resource.slice(0, -3)}y`
  if (resource.endsWith('s') && !resource.endsWith('ss')) return resource.slice(0, -1)
  return resource
}

/**
 * The entity ID of a Shopify record: the tail of its GraphQL ID
 * (`gid://shopify/Order/820982911946154508` → `820982911946154508`), which is what a webhook's
 * `admin_graphql_api_id` and a GraphQL node's `id` both carry; else the REST `id`. The tail is
 * preferred because it is a string: newer Shopify IDs exceed 2^53 and `id`, a JSON number, loses
 * digits. The webhook path and the GraphQL adapter both map through here, so they agree.
 */
export function shopifyEntityId(
  gid: string | undefined,
  restId: unknown,
  at: { gid: string; id: string },
): { value: unknown; from: string } {
  const gidTail = /\/([^/]+)$/.exec(gid ?? '')?.[1]
  if (gidTail !== undefined) return { value: gidTail, from: at.gid }
  return { value: restId, from: at.id }
}

/**
 * A Shopify delivery. Event ID: `X-Shopify-Webhook-Id` (same across retries), else
 * `X-Shopify-Event-Id`. Type: `X-Shopify-Topic`. Version: `updated_at` in ms (1 s resolution),
 * else `X-Shopify-Triggered-At`, else the receipt time.
 */
export function extractShopify(
  source: ShopifySource,
  body: unknown,
  headers: RequestHeaders,
  receivedAtMs: number,
): ExtractResult {
  const topic = readHeader(headers, 'x-shopify-topic')
  const webhookId = readHeader(headers, 'x-shopify-webhook-id')
  const eventId = webhookId.status === 'present' ? webhookId : readHeader(headers, 'x-shopify-event-id')
  if (topic.status !== 'present' || eventId.status !== 'present') {
    return extractFailure(
      'validation_failed',
      'A Shopify delivery needs one X-Shopify-Topic and one X-Shopify-Webhook-Id (or X-Shopify-Event-Id) header.',
    )
  }
  const parsed = shopifyPayloadSchema.safeParse(body)
  if (!parsed.success) return payloadInvalid('Shopify payload', parsed.error)
  const triggered = readHeader(headers, 'x-shopify-triggered-at')
  const triggeredMs = triggered.status === 'present' ? parseIsoMs(triggered.value) : undefined
  const updatedMs = parseIsoMs(parsed.data.updated_at)
  const version =
    updatedMs !== undefined
      ? { value: updatedMs, from: '/updated_at' }
      : {
          value: triggeredMs ?? receivedAtMs,
          from: triggeredMs === undefined ? 'the receipt time' : 'X-Shopify-Triggered-At',
        }
  const draft: DeliveryDraft = {
    providerEventId: eventId.value,
    type: topic.value,
    occurredAtMs: triggeredMs ?? updatedMs ?? receivedAtMs,
    entityType: { value: entityTypeFromTopic(topic.value), from: 'X-Shopify-Topic' },
    entityId: shopifyEntityId(parsed.data.admin_graphql_api_id, parsed.data.id, {
      gid: '/admin_graphql_api_id',
      id: '/id',
    }),
    entityVersion: version,
  }
  return completeDelivery(applyEntityMapping(draft, source.entity, body, headers))
}
