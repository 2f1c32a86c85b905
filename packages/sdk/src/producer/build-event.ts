import {
  ENTITY_ID_MAX_LENGTH,
  ENTITY_TYPE_MAX_LENGTH,
  PermanentError,
  eventIdFor,
  isEntityVersion,
  newCorrelationId,
  type LedgerEvent,
  type SourceKind,
} from '@integration-ledger/core'

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

function assertEntity(input: NewEvent): void {
  const problems: string[] = []
  if (!isEntityVersion(input.entityVersion)) {
    problems.push(
      `entityVersion ${input.entityVersion} is not a non-negative integer up to ${Number.MAX_SAFE_INTEGER}`,
    )
  }
  if (input.entityId.length > ENTITY_ID_MAX_LENGTH)
    problems.push(
      `entityId is ${input.entityId.length} characters, at most ${ENTITY_ID_MAX_LENGTH} are allowed`,
    )
  if (input.entityType.length > ENTITY_TYPE_MAX_LENGTH) {
    problems.push(
      `entityType is ${input.entityType.length} characters, at most ${ENTITY_TYPE_MAX_LENGTH} are allowed`,
    )
  }
  if (problems.length > 0) {
    throw new PermanentError(
      'VALIDATION_FAILED',
      `Event ${input.source}/${input.providerEventId} would be dead-lettered by the projector: ${problems.join('; ')}.`,
      { details: { problems } },
    )
  }
}

/**
 * Completes a new event into a full envelope, with the deterministic event ID.
 * @throws PermanentError VALIDATION_FAILED when the version is not a non-negative safe integer, or
 * the entity ID or type is longer than the ledger takes: such an event could never be applied.
 */
export function buildEvent(input: NewEvent, now: Date = new Date()): LedgerEvent {
  assertEntity(input)
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
