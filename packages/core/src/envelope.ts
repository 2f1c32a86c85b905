import { jsonText } from './storable-json.js'

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

/**
 * Longest entity ID the ledger takes, in UTF-16 code units (JavaScript string length). Declared
 * once so that what ingest accepts is also what the admin API can address in a URL.
 */
export const ENTITY_ID_MAX_LENGTH = 512

/** Longest entity type the ledger takes, in UTF-16 code units. */
export const ENTITY_TYPE_MAX_LENGTH = 256

/**
 * Whether `value` can be an entity version: a non-negative safe integer. Larger numbers lose
 * precision in JSON and JavaScript (2^63 would compare equal to its neighbours), fractions and
 * negatives do not fit the envelope's `long` or the projector's ordering.
 */
export function isEntityVersion(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0
}

/** Subject under which the envelope schema is registered for a topic (Confluent TopicNameStrategy). */
export function envelopeSubject(topic: string): string {
  return `${topic}-value`
}

/**
 * Parses the raw body as JSON (a leading byte order mark tolerated); the ledger stores bytes,
 * consumers usually want the object.
 */
export function parseEventBody<T = unknown>(event: Pick<LedgerEvent, 'rawBody'>): T {
  return JSON.parse(jsonText(event.rawBody)) as T
}
