/** Kinds of sender an event can come from; `sdk` is a service publishing through the SDK. */
export type SourceKind = 'stripe' | 'github' | 'shopify' | 'standard' | 'hmac' | 'sdk'

/**
 * One event in the ledger, as described by `schemas/envelope.v1.avsc`. Keep the two in step:
 * the registry codec encodes exactly these fields.
 */
export interface LedgerEvent {
  eventId: string
  source: string
  sourceKind: SourceKind | (string & {})
  providerEventId: string
  type: string
  entityType: string
  /** Kafka message key: one entity's events share a partition and so keep their order. */
  entityId: string
  entityVersion: number
  occurredAt: Date
  receivedAt: Date
  correlationId: string
  headers: Record<string, string>
  contentType: string
  /** The delivery's body byte-exact, so its signature can be re-checked from the ledger. */
  rawBody: Buffer
}

/** Subject under which the envelope schema is registered for a topic (Confluent TopicNameStrategy). */
export function envelopeSubject(topic: string): string {
  return `${topic}-value`
}

/** Parses the raw body as JSON; the ledger stores bytes, consumers usually want the object. */
export function parseEventBody<T = unknown>(event: Pick<LedgerEvent, 'rawBody'>): T {
  return JSON.parse(event.rawBody.toString('utf8')) as T
}
