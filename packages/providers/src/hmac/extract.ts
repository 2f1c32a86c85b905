import type { RequestHeaders } from '../verification/types.js'
import { applyEntityMapping } from '../extraction/entity-overrides.js'
import { type DeliveryDraft, completeDelivery, extractFailure } from '../extraction/extraction-result.js'
import type { ExtractResult } from '../extraction/types.js'
import type { HmacSource } from './config.js'
import { coerceInstantMs, isJsonObject, readId, resolveSpec } from '../extraction/values.js'

/**
 * A delivery from a generic HMAC sender: every field comes from the source's configuration
 * (`eventId`, `eventType`, `occurredAt`, `entity`). Version defaults to the occurred-at time in ms.
 */
export function extractHmac(
  source: HmacSource,
  body: unknown,
  headers: RequestHeaders,
  receivedAtMs: number,
): ExtractResult {
  if (!isJsonObject(body)) {
    return extractFailure('validation_failed', 'The payload must be a JSON object.')
  }
  const eventId = readId(resolveSpec(source.eventId, body, headers))
  if (eventId.status !== 'ok') {
    return extractFailure(
      'validation_failed',
      `No usable event ID at "${source.eventId}"; the sender must include one so retries can be de-duplicated.`,
    )
  }
  const type = readId(resolveSpec(source.eventType, body, headers))
  if (type.status !== 'ok')
    return extractFailure('validation_failed', `No usable event type at "${source.eventType}".`)
  let occurredAtMs = receivedAtMs
  if (source.occurredAt !== undefined) {
    const raw = resolveSpec(source.occurredAt, body, headers)
    const parsed = raw === undefined ? receivedAtMs : coerceInstantMs(raw)
    if (parsed === undefined) {
      return extractFailure(
        'validation_failed',
        `The occurred-at value at "${source.occurredAt}" is not an ISO date-time, unix seconds or epoch ms.`,
      )
    }
    occurredAtMs = parsed
  }
  const draft: DeliveryDraft = {
    providerEventId: eventId.value,
    type: type.value,
    occurredAtMs,
    entityType: { value: undefined, from: 'entity.type' },
    entityId: { value: undefined, from: 'entity.id' },
    entityVersion: { value: occurredAtMs, from: 'the occurred-at time' },
  }
  return completeDelivery(applyEntityMapping(draft, source.entity, body, headers))
}
