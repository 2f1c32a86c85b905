// Module contract and registry: one module per provider, listed once.
export type { KeptHeaderRule, ProviderModule } from './provider-module.js'
export { PROVIDERS, PROVIDER_KINDS, type ProviderKind, type SourceConfig, providerFor } from './registry.js'

// Source configuration: the schema admin and ingest validate sources with.
export { sourceConfigSchema } from './config/source-config-schema.js'
export { configIssues, parseSourceConfig, resolveSourceConfig } from './config/parse-source-config.js'
export { type ConfigIssue, SourcesConfigError, formatPath } from './config/errors.js'
export type { Environment } from './config/secrets.js'
export {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_TOPIC,
  type EntityMapping,
  type SourceFields,
} from './config/source-fields.js'

// Operations on a source of any kind.
export { verifierForSource } from './source-verifier.js'
export { reverifyEvent } from './reverify.js'
export { extractDelivery } from './extract-delivery.js'
export { keptHeaders } from './kept-headers.js'

// Stripe.
export { type StripeSource, stripeConfigSchema } from './stripe/config.js'
export {
  STRIPE_SIGNATURE_HEADER,
  type StripeVerifierOptions,
  createStripeVerifier,
} from './stripe/verifier.js'
export { stripeProvider } from './stripe/provider.js'

// GitHub.
export { type GithubSource, githubConfigSchema } from './github/config.js'
export { GITHUB_SIGNATURE_HEADER, createGithubVerifier } from './github/verifier.js'
export { GITHUB_ENTITY_KEYS } from './github/extract.js'
export { githubProvider } from './github/provider.js'

// Shopify.
export { type ShopifySource, shopifyConfigSchema } from './shopify/config.js'
export { SHOPIFY_SIGNATURE_HEADER, createShopifyVerifier } from './shopify/verifier.js'
export { entityTypeFromTopic } from './shopify/extract.js'
export { shopifyProvider } from './shopify/provider.js'

// Standard Webhooks.
export { type StandardSource, standardConfigSchema } from './standard/config.js'
export {
  STANDARD_WEBHOOK_HEADERS,
  type StandardVerifierOptions,
  createStandardVerifier,
  decodeStandardSecret,
} from './standard/verifier.js'
export { standardProvider } from './standard/provider.js'

// Generic HMAC.
export { type HmacSource, hmacConfigSchema } from './hmac/config.js'
export {
  type HmacVerifierOptions,
  hmacVerifierOptionsSchema,
  parseHmacVerifierOptions,
} from './hmac/options.js'
export { createHmacVerifier } from './hmac/verifier.js'
export { hmacProvider } from './hmac/provider.js'

// Verification primitives shared by the modules.
export type {
  RejectReason,
  RequestHeaders,
  Verifier,
  VerifyInput,
  VerifyResult,
} from './verification/types.js'
export { type HeaderRead, readHeader } from './verification/headers.js'
export { DIGEST_BYTES, type HmacAlgorithm, hmac } from './verification/digest.js'
export { decodeBase64, decodeHex } from './verification/encoding.js'
export { MAX_SIGNATURES, findMatchingSecret, safeEqual } from './verification/timing-safe.js'
export { DEFAULT_TOLERANCE_SECONDS, isWithinTolerance, parseUnixSeconds } from './verification/tolerance.js'

// Extraction helpers shared by the modules.
export type { Delivery, ExtractFailureReason, ExtractResult, ValueSpec } from './extraction/types.js'
export { isValidPointer, resolvePointer } from './extraction/json-pointer.js'
