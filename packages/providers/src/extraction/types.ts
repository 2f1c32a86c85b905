import type { HmacVerifierOptions, VerifierKind } from '../verifiers/index.js'

/** Signing scheme and payload shape of a source. */
export type SourceKindName = VerifierKind

/**
 * Where an entity field comes from. `/a/b` is a JSON pointer into the body (RFC 6901),
 * `header:Name` reads a request header, and anything else is a literal value.
 */
export type ValueSpec = string

/** Mapping from a delivery to the entity it changes. */
export interface EntityMapping {
  type?: ValueSpec
  id?: ValueSpec
  /** Must be a pointer or header; resolves to a number, numeric string or ISO date (→ ms). */
  version?: ValueSpec
}

/** Mapping that `standard` and `hmac` sources must give: type and id are required. */
export interface RequiredEntityMapping extends EntityMapping {
  type: ValueSpec
  id: ValueSpec
}

/** Per-source request budget. */
export interface RateLimit {
  /** Requests allowed per window. */
  max: number
  windowMs: number
}

/** Fields every source has, after defaults and secret resolution. */
export interface SourceBase {
  /** URL-safe name: POST /webhooks/:name. */
  name: string
  /** Resolved secret values, in configured order (several during a rotation). Never log these. */
  secrets: readonly string[]
  /** @default 'ledger.events' */
  topic: string
  /** @default true */
  enabled: boolean
  /** @default 1048576 (1 MiB) */
  maxBodyBytes: number
  rateLimit?: RateLimit
}

/** A Stripe endpoint. */
export interface StripeSource extends SourceBase {
  kind: 'stripe'
  /** @default 300 */
  toleranceSeconds: number
  /** Overrides of the Stripe defaults, field by field. */
  entity?: EntityMapping
}

/** A GitHub webhook. */
export interface GithubSource extends SourceBase {
  kind: 'github'
  entity?: EntityMapping
}

/** A Shopify webhook subscription. */
export interface ShopifySource extends SourceBase {
  kind: 'shopify'
  entity?: EntityMapping
}

/** A sender following the Standard Webhooks specification. */
export interface StandardSource extends SourceBase {
  kind: 'standard'
  /** @default 300 */
  toleranceSeconds: number
  entity: RequiredEntityMapping
}

/** A sender signing with a plain HMAC. */
export interface HmacSource extends SourceBase {
  kind: 'hmac'
  hmac: Omit<HmacVerifierOptions, 'toleranceSeconds'>
  /** Only meaningful with `hmac.timestampHeader`. @default 300 */
  toleranceSeconds?: number
  /** Provider event ID: a pointer (`/id`) or `header:X-Event-Id`; never a literal. */
  eventId: ValueSpec
  /** Event type: pointer, header or literal. */
  eventType: ValueSpec
  /** When the event happened: pointer or header to unix seconds, epoch ms or an ISO date. @default receipt time */
  occurredAt?: ValueSpec
  entity: RequiredEntityMapping
}

/** One configured sender. */
export type SourceConfig = StripeSource | GithubSource | ShopifySource | StandardSource | HmacSource

/** The parsed sources file. */
export interface SourcesFile {
  sources: SourceConfig[]
}

/** What ingest needs from a delivery to build a ledger event. */
export interface Delivery {
  providerEventId: string
  type: string
  entityType: string
  entityId: string
  entityVersion: number
  occurredAtMs: number
}

/**
 * Why a correctly signed delivery cannot be used; the caller quarantines it. `unstorable_json`:
 * valid JSON that PostgreSQL jsonb cannot hold (see `parseStorableJson` in @ledger/core).
 */
export type ExtractFailureReason = 'invalid_json' | 'unstorable_json' | 'validation_failed' | 'missing_entity'

/** Outcome of extraction. Never thrown: a bad payload is data to quarantine, not a crash. */
export type ExtractResult =
  { ok: true; delivery: Delivery } | { ok: false; reason: ExtractFailureReason; message: string }
