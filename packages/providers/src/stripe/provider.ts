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
  signature: {
    header: STRIPE_SIGNATURE_HEADER,
    description:
      '`Stripe-Signature: t=<unix s>,v1=<hex>`: HMAC-SHA256 of `<t>.<body>` with the `whsec_…` secret as text; t within the tolerance (300 s).',
  },
}
