import type { ProviderModule } from '../provider-module.js'
import { type StripeSource, stripeConfigSchema } from './config.js'
import { extractStripe } from './extract.js'
import { STRIPE_SIGNATURE_HEADER, createStripeVerifier } from './verifier.js'

/** Stripe: `Stripe-Signature` over `${t}.${body}`, snapshot events (`data.object`). */
export const stripeProvider: ProviderModule<StripeSource> = {
  kind: 'stripe',
  configSchema: stripeConfigSchema,
  createVerifier: (source) => createStripeVerifier({ toleranceSeconds: source.toleranceSeconds }),
  extract: extractStripe,
  keptHeaders: () => ({ names: [STRIPE_SIGNATURE_HEADER], prefixes: [] }),
}
