import { z } from 'zod'
import type { RequestHeaders } from '../verification/types.js'
import { applyEntityMapping } from '../extraction/entity-overrides.js'
import {
  type DeliveryDraft,
  type EntityDraft,
  type Located,
  completeDelivery,
  payloadInvalid,
} from '../extraction/extraction-result.js'
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
 * The entity of a Stripe object: type from its `object` field, ID from its `id`, version as given.
 * The webhook path (an event's `data.object`, version the event's `created`) and the API adapter
 * (a listed or retrieved object) both map through here, so they agree on type and ID.
 * @param at JSON pointer of the object in what was received, for messages.
 */
export function stripeEntityDraft(
  object: Record<string, unknown>,
  version: Located,
  at: string,
): EntityDraft {
  return {
    entityType: { value: object['object'], from: `${at}/object` },
    entityId: { value: object['id'], from: `${at}/id` },
    entityVersion: version,
  }
}

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
    ...stripeEntityDraft(event.data.object, { value: event.created, from: '/created' }, '/data/object'),
  }
  return completeDelivery(applyEntityMapping(draft, source.entity, body, headers))
}
