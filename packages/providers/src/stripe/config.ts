import type { z } from 'zod'
import { entitySchema, sourceSchema, toleranceSecondsSchema } from '../config/source-fields.js'
import { DEFAULT_TOLERANCE_SECONDS } from '../verification/tolerance.js'

/** Schema of a Stripe endpoint's source. */
export const stripeConfigSchema = sourceSchema('stripe', {
  /** Accepted distance between the signed timestamp and now, both directions. @default 300 */
  toleranceSeconds: toleranceSecondsSchema.default(DEFAULT_TOLERANCE_SECONDS),
  /** Overrides of the Stripe defaults, field by field. */
  entity: entitySchema.optional(),
})

/** A Stripe endpoint. */
export type StripeSource = z.output<typeof stripeConfigSchema>
