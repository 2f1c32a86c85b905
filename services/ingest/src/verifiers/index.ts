export type { RejectReason, RequestHeaders, Verifier, VerifyInput, VerifyResult } from './types.js'
export { type VerifierConfig, type VerifierKind, createVerifier } from './create-verifier.js'
export { STRIPE_SIGNATURE_HEADER, type StripeVerifierOptions, createStripeVerifier } from './stripe.js'
export { GITHUB_SIGNATURE_HEADER, createGithubVerifier } from './github.js'
export { SHOPIFY_SIGNATURE_HEADER, createShopifyVerifier } from './shopify.js'
export {
  STANDARD_WEBHOOK_HEADERS,
  type StandardVerifierOptions,
  createStandardVerifier,
  decodeStandardSecret,
} from './standard-webhooks.js'
export { createHmacVerifier } from './hmac.js'
export {
  type HmacVerifierOptions,
  hmacVerifierOptionsSchema,
  parseHmacVerifierOptions,
} from './hmac-options.js'
export { DEFAULT_TOLERANCE_SECONDS } from './tolerance.js'
export { readHeader, type HeaderRead } from './headers.js'
export {
  type SignHmacInput,
  type SignInput,
  type SignStandardInput,
  type SignedHeaders,
  type TimestampedSignInput,
  signGithub,
  signHmac,
  signShopify,
  signStandard,
  signStripe,
} from './signers.js'
