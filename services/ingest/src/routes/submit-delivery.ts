import type { Delivery, SourceConfig } from '@integration-ledger/providers'
import { buildEvent } from '@integration-ledger/sdk'
import type { IntakeRouteDeps } from './deps.js'

/** How the stored record keeps what the sender sent. */
export interface DeliveryRecord {
  rawBody: Buffer
  correlationId: string
  contentType: string
  headers: Record<string, string>
}

/**
 * Builds the ledger event of an extracted delivery and submits it to the intake under the
 * source's dedup scope and the provider event ID, the one claim every way into the ledger shares
 * (a webhook, its redelivery, or an event the reconciler recovered from the provider's log).
 */
export function submitDelivery(
  deps: IntakeRouteDeps,
  source: SourceConfig,
  delivery: Delivery,
  record: DeliveryRecord,
  receivedAtMs: number,
) {
  const event = buildEvent(
    {
      source: source.name,
      sourceKind: source.kind,
      providerEventId: delivery.providerEventId,
      type: delivery.type,
      entityType: delivery.entityType,
      entityId: delivery.entityId,
      entityVersion: delivery.entityVersion,
      occurredAt: new Date(delivery.occurredAtMs),
      ...record,
    },
    new Date(receivedAtMs),
  )
  return deps.intake.submit({ scope: source.name, key: delivery.providerEventId, event, topic: source.topic })
}
