export type {
  Delivery,
  EntityMapping,
  ExtractFailureReason,
  ExtractResult,
  GithubSource,
  HmacSource,
  RateLimit,
  RequiredEntityMapping,
  ShopifySource,
  SourceBase,
  SourceConfig,
  SourceKindName,
  SourcesFile,
  StandardSource,
  StripeSource,
  ValueSpec,
} from './types.js'
export { type ConfigIssue, SourcesConfigError } from './errors.js'
export { DEFAULT_MAX_BODY_BYTES, DEFAULT_TOPIC } from './schema.js'
export type { Environment } from './secrets.js'
export { parseSourceConfig, parseSourcesConfig } from './parse-sources-config.js'
export { loadSourcesFile } from './load-sources-file.js'
export { isValidPointer, resolvePointer } from './json-pointer.js'
export { extractDelivery } from './extract-delivery.js'
export { GITHUB_ENTITY_KEYS } from './extractors/github.js'
export { entityTypeFromTopic } from './extractors/shopify.js'
export { SourceRegistry } from './registry.js'
export { verifierConfigFor } from './verifier-config.js'
export { verifierForSource } from './source-verifier.js'
export { keptHeaders } from './kept-headers.js'
export { reverifyEvent } from './reverify.js'
