export {
  type FakeCredentials,
  FakeProvider,
  type FakeProviders,
  type FakeProvidersOptions,
  SHOPIFY_API_VERSION,
  startFakeProviders,
} from './fake-providers.js'
export type { FaultAction, FaultHandle, FaultRule, RetryAfterSpec } from './server/faults.js'
export type { LoggedRequest, RequestFilter } from './server/request-log.js'
export type {
  FakeReply,
  FakeRequest,
  ProviderName,
  RecordChangeOptions,
  RemoteRecords,
} from './server/types.js'
export { DEFAULT_STRIPE_SECRET_KEY, StripeHandler, type StripeFakeOptions } from './stripe/handler.js'
export {
  EVENT_RETENTION_SECONDS,
  STRIPE_API_VERSION,
  STRIPE_TYPES,
  type StripeSizes,
  StripeStore,
  type StripeType,
} from './stripe/store.js'
export type { StripeCollection, StripeObject, StripePage } from './stripe/collection.js'
export {
  DEFAULT_SHOPIFY_ACCESS_TOKEN,
  SINGLE_QUERY_MAX_COST,
  ShopifyHandler,
  type ShopifyFakeOptions,
} from './shopify/handler.js'
export { MAX_PAGE_SIZE as SHOPIFY_MAX_PAGE_SIZE } from './shopify/connection.js'
export { type ShopifyRecord, type ShopifySizes, ShopifyStore } from './shopify/store.js'
export { shopifySchema } from './shopify/schema.js'
export { DEFAULT_GITHUB_TOKEN, GithubHandler, type GithubFakeOptions } from './github/handler.js'
export {
  type Delivery,
  type DeliveryDraft,
  type GithubSizes,
  GithubStore,
  type Thread,
} from './github/store.js'
export {
  FixedWindowQuota,
  type LimitDecision,
  RestoringBucket,
  SlidingWindowLimiter,
} from './server/limits.js'
export type { DeliveryOutcome, WebhookTarget } from './server/webhook-sender.js'
