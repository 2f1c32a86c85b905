import { createGithubVerifier } from './github.js'
import { createHmacVerifier } from './hmac.js'
import type { HmacVerifierOptions } from './hmac-options.js'
import { createShopifyVerifier } from './shopify.js'
import { type StandardVerifierOptions, createStandardVerifier } from './standard-webhooks.js'
import { type StripeVerifierOptions, createStripeVerifier } from './stripe.js'
import type { Verifier } from './types.js'

/** Which signing scheme a verifier checks, with that scheme's options. */
export type VerifierConfig =
  | ({ kind: 'stripe' } & StripeVerifierOptions)
  | { kind: 'github' }
  | { kind: 'shopify' }
  | ({ kind: 'standard' } & StandardVerifierOptions)
  | ({ kind: 'hmac' } & HmacVerifierOptions)

/** The signing schemes that `createVerifier` supports. */
export type VerifierKind = VerifierConfig['kind']

/**
 * Builds the verifier for a config. Options are validated here, once, so a bad config fails at
 * boot or on admin upsert rather than on the first delivery.
 * @throws PermanentError CONFIG_INVALID for invalid options.
 */
export function createVerifier(config: VerifierConfig): Verifier {
  switch (config.kind) {
    case 'stripe':
      return createStripeVerifier({ toleranceSeconds: config.toleranceSeconds })
    case 'github':
      return createGithubVerifier()
    case 'shopify':
      return createShopifyVerifier()
    case 'standard':
      return createStandardVerifier({ toleranceSeconds: config.toleranceSeconds })
    case 'hmac':
      // Field by field: the options schema is strict and would refuse the `kind` discriminator.
      return createHmacVerifier({
        header: config.header,
        algorithm: config.algorithm,
        encoding: config.encoding,
        prefix: config.prefix,
        timestampHeader: config.timestampHeader,
        toleranceSeconds: config.toleranceSeconds,
      })
  }
}
