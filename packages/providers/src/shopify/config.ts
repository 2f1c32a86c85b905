import type { z } from 'zod'
import { entitySchema, sourceSchema } from '../config/source-fields.js'

/** Schema of a Shopify webhook's source. */
export const shopifyConfigSchema = sourceSchema('shopify', {
  /** Overrides of the Shopify defaults, field by field. */
  entity: entitySchema.optional(),
})

/** A Shopify webhook subscription. */
export type ShopifySource = z.output<typeof shopifyConfigSchema>
