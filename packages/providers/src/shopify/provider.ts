import type { ProviderModule } from '../provider-module.js'
import { type ShopifySource, shopifyConfigSchema } from './config.js'
import { extractShopify } from './extract.js'
import { SHOPIFY_SIGNATURE_HEADER, createShopifyVerifier } from './verifier.js'

/** Shopify: base64 `X-Shopify-Hmac-Sha256` over the body, no signed timestamp; entity from the topic. */
export const shopifyProvider: ProviderModule<ShopifySource> = {
  kind: 'shopify',
  configSchema: shopifyConfigSchema,
  refusedFields: { toleranceSeconds: 'kind "shopify" signs no timestamp; remove this field' },
  createVerifier: () => createShopifyVerifier(),
  extract: extractShopify,
  keptHeaders: () => ({ names: [SHOPIFY_SIGNATURE_HEADER], prefixes: ['x-shopify-'] }),
  signature: {
    header: SHOPIFY_SIGNATURE_HEADER,
    description:
      '`X-Shopify-Hmac-Sha256: <base64>`: HMAC-SHA256 of the body with the app secret; with `X-Shopify-Topic` and `X-Shopify-Webhook-Id`.',
  },
}
