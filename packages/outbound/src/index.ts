export { OutboundClient } from './client.js'
export { BREAKER_STATE_VALUE } from './metrics.js'
export type { BreakerState } from './breaker.js'
export {
  OutboundError,
  ProviderCircuitOpenError,
  ProviderCredentialsError,
  ProviderOutcomeUnknownError,
  ProviderRateLimitedError,
  ProviderRejectedError,
  ProviderUnavailableError,
  outboundErrorFor,
} from './errors.js'
export type { AmbiguousReason, Answer, BeforeProcessingReason, Outcome, OutcomeKind } from './outcome.js'
export {
  DEFAULT_BREAKER,
  DEFAULT_IDEMPOTENT_METHODS,
  DEFAULT_RETRY,
  DEFAULT_RETRYABLE_STATUSES,
  DEFAULT_TIMEOUTS,
  defineProviderPolicy,
  derivePolicy,
  numericHeader,
  type AnswerView,
  type BreakerSettings,
  type ProviderLimits,
  type ProviderPolicy,
  type ProviderPolicyInput,
  type ProviderPolicyOverrides,
  type ProviderTimeouts,
  type RateLimitReading,
  type RetrySettings,
} from './policy.js'
export { githubPolicy, readGithubRateLimit } from './policies/github.js'
export { readShopifyGraphqlRateLimit, shopifyGraphqlPolicy } from './policies/shopify-graphql.js'
export { readShopifyRestRateLimit, shopifyPolicy } from './policies/shopify.js'
export { STRIPE_LIMITS, stripePolicy } from './policies/stripe.js'
export { redactUrl } from './redact.js'
export { parseRetryAfter } from './retry-after.js'
export { TokenBucket } from './token-bucket.js'
export type {
  AttemptRecord,
  CredentialProvider,
  HttpMethod,
  OutboundClientOptions,
  OutboundRequest,
  OutboundResult,
  QueryValue,
} from './types.js'
