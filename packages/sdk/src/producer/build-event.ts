import { eventIdFor, newCorrelationId, type LedgerEvent, type SourceKind } from '@ledger/core'

/** What a producer supplies; the rest of the envelope is derived. */
export interface NewEvent {
  source: string
  sourceKind?: SourceKind
  providerEventId: string
  type: string
  entityType: string
  entityId: string
  entityVersion: number
  /** @default now */
  occurredAt?: Date
  correlationId?: string
  headers?: Record<string, string>
  contentType?: string
  /** The body byte-exact; give `payload` instead to have it serialised as JSON. */
  rawBody?: Buffer
  payload?: unknown
}

/** Completes a new event into a full envelope, with the deterministic event ID. */
export function buildEvent(input: NewEvent, now: Date = new Date()): LedgerEvent {
  const rawBody = input.rawBody ?? Buffer.from(JSON.stringify(input.payload ?? null))
  return {
    eventId: eventIdFor(input.source, input.providerEventId),
    source: input.source,
    sourceKind: input.sourceKind ?? 'sdk',
    providerEventId: input.providerEventId,
    type: input.type,
    entityType: input.entityType,
    entityId: input.entityId,
    entityVersion: input.entityVersion,
    occurredAt: input.occurredAt ?? now,
    receivedAt: now,
    correlationId: input.correlationId ?? newCorrelationId(),
    headers: input.headers ?? {},
    contentType: input.contentType ?? 'application/json',
    rawBody,
  }
}
