// Module contract and registry: one module per provider, listed once.
export type { KeptHeaderRule, ProviderModule, SignatureDescription } from './provider-module.js'
export { PROVIDERS, PROVIDER_KINDS, type ProviderKind, type SourceConfig, providerFor } from './registry.js'

// Source configuration: the schema admin and ingest validate sources with.
export { sourceConfigSchema } from './config/source-config-schema.js'
export { configIssues, parseSourceConfig, resolveSourceConfig } from './config/parse-source-config.js'
export { type ConfigIssue, SourcesConfigError } from './config/errors.js'
export type { Environment } from './config/secrets.js'
export {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_TOPIC,
  type EntityMapping,
  type SourceFields,
} from './config/source-fields.js'

// Operations on a source of any kind.
export { verifierForSource } from './source-verifier.js'
export { type SignatureAudit, auditEventSignature, reverifyEvent } from './reverify.js'
export { extractDelivery } from './extract-delivery.js'
export { keptHeaders } from './kept-headers.js'

// Stripe.
export type { StripeSource } from './stripe/config.js'
export {
  STRIPE_SIGNATURE_HEADER,
  type StripeVerifierOptions,
  createStripeVerifier,
} from './stripe/verifier.js'
export { stripeProvider } from './stripe/provider.js'
export {
  STRIPE_EVENTS_WINDOW_SECONDS,
  STRIPE_LIST_PATHS,
  StripeApi,
  type StripeApiOptions,
  type StripeEventItem,
  type StripeEventListOptions,
  type StripeItem,
  type StripeListOptions,
  type StripeListType,
  type StripeObject,
  type StripePage,
  stripeApiPolicy,
} from './stripe/api.js'

// GitHub.
export type { GithubSource } from './github/config.js'
export { GITHUB_SIGNATURE_HEADER, createGithubVerifier } from './github/verifier.js'
export { GITHUB_ENTITY_KEYS } from './github/extract.js'
export { githubProvider } from './github/provider.js'
export {
  GithubApi,
  type GithubApiOptions,
  type GithubDelivery,
  type GithubDeliveryDetail,
  type GithubPage,
  type GithubThreadItem,
  type GithubThreadListOptions,
  type RedeliveryResult,
  isFailedDelivery,
} from './github/api.js'

// Shopify.
export type { ShopifySource } from './shopify/config.js'
export { SHOPIFY_SIGNATURE_HEADER, createShopifyVerifier } from './shopify/verifier.js'
export { entityTypeFromTopic } from './shopify/extract.js'
export { shopifyProvider } from './shopify/provider.js'
export {
  SHOPIFY_ADMIN_API_VERSION,
  ShopifyApi,
  type ShopifyApiOptions,
  type ShopifyItem,
  type ShopifyListOptions,
  type ShopifyPage,
  type ShopifyResource,
} from './shopify/api.js'

// Standard Webhooks.
export type { StandardSource } from './standard/config.js'
export {
  STANDARD_WEBHOOK_HEADERS,
  type StandardVerifierOptions,
  createStandardVerifier,
  decodeStandardSecret,
} from './standard/verifier.js'
export { standardProvider } from './standard/provider.js'

// Generic HMAC.
export type { HmacSource } from './hmac/config.js'
export type { HmacVerifierOptions } from './hmac/options.js'
export { createHmacVerifier } from './hmac/verifier.js'
export { hmacProvider } from './hmac/provider.js'

// Verification and extraction types shared by the modules; `hmac` for signers.
export type {
  RejectReason,
  RequestHeaders,
  Verifier,
  VerifyInput,
  VerifyResult,
} from './verification/types.js'
export { type HmacAlgorithm, hmac } from './verification/digest.js'
export { DEFAULT_TOLERANCE_SECONDS } from './verification/tolerance.js'
export type { Delivery, ExtractFailureReason, ExtractResult, ValueSpec } from './extraction/types.js'

// API adapters: shared types and the error of an answer the adapters cannot read.
export type { EntityRef } from './extraction/extraction-result.js'
export { ProviderAnswerInvalidError } from './api/errors.js'
