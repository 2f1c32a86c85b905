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
import type { StandardSource } from './config.js'
import { parseIsoMs } from '../extraction/values.js'

// The payload structure the Standard Webhooks spec recommends: { type, timestamp, data }.
const standardPayloadSchema = z.object({
  type: z.string().min(1),
  timestamp: z.string().optional(),
})

/**
 * A Standard Webhooks delivery. Event ID: `webhook-id`. Type: `type`. Occurred at: the payload's
 * ISO `timestamp`, else `webhook-timestamp`, else receipt. Entity from the configured mapping;
 * version from `entity.version`, defaulting to the occurred-at time in ms.
 */
export function extractStandard(
  source: StandardSource,
  body: unknown,
  headers: RequestHeaders,
  receivedAtMs: number,
): ExtractResult {
  const id = readHeader(headers, 'webhook-id')
  if (id.status !== 'present')
    return extractFailure('validation_failed', 'A Standard Webhooks delivery needs one webhook-id header.')
  const parsed = standardPayloadSchema.safeParse(body)
  if (!parsed.success) return payloadInvalid('Standard Webhooks payload', parsed.error)
  let occurredAtMs: number | undefined
  if (parsed.data.timestamp !== undefined) {
    occurredAtMs = parseIsoMs(parsed.data.timestamp)
    if (occurredAtMs === undefined)
      return extractFailure('validation_failed', 'The payload timestamp is not an ISO 8601 date-time.')
  }
  const header = readHeader(headers, 'webhook-timestamp')
  const headerSeconds =
    header.status === 'present' && /^\d+$/.test(header.value) ? Number(header.value) * 1000 : undefined
  occurredAtMs ??= headerSeconds ?? receivedAtMs
  const draft: DeliveryDraft = {
    providerEventId: id.value,
    type: parsed.data.type,
    occurredAtMs,
    entityType: { value: undefined, from: 'entity.type' },
    entityId: { value: undefined, from: 'entity.id' },
    entityVersion: { value: occurredAtMs, from: 'the occurred-at time' },
  }
  return completeDelivery(applyEntityMapping(draft, source.entity, body, headers))
}
