import { z } from 'zod'
import type { RequestHeaders } from '../verification/types.js'
import { applyEntityMapping } from '../extraction/entity-overrides.js'
import { type DeliveryDraft, completeDelivery, payloadInvalid } from '../extraction/extraction-result.js'
import type { ExtractResult } from '../extraction/types.js'
import type { StripeSource } from './config.js'

// Only what extraction reads; other fields pass through untouched (the raw body is stored anyway).
const stripeEventSchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  created: z.number().int().positive(),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
})

/**
 * A Stripe event (API v1 "snapshot" event). Entity: `data.object.object` / `data.object.id`;
 * version: the event's `created` in unix SECONDS, so two events about one object within the same
 * second share a version and their relative order is not decided by it.
 */
export function extractStripe(source: StripeSource, body: unknown, headers: RequestHeaders): ExtractResult {
  const parsed = stripeEventSchema.safeParse(body)
  if (!parsed.success) return payloadInvalid('Stripe event', parsed.error)
  const event = parsed.data
  const draft: DeliveryDraft = {
    providerEventId: event.id,
    type: event.type,
    occurredAtMs: event.created * 1000,
    entityType: { value: event.data.object['object'], from: '/data/object/object' },
    entityId: { value: event.data.object['id'], from: '/data/object/id' },
    entityVersion: { value: event.created, from: '/created' },
  }
  return completeDelivery(applyEntityMapping(draft, source.entity, body, headers))
}
