import type { z } from 'zod'
import { requiredEntitySchema, sourceSchema, toleranceSecondsSchema } from '../config/source-fields.js'
import { DEFAULT_TOLERANCE_SECONDS } from '../verification/tolerance.js'

/** Schema of a Standard Webhooks sender's source. */
export const standardConfigSchema = sourceSchema('standard', {
  /** Accepted distance between `webhook-timestamp` and now, both directions. @default 300 */
  toleranceSeconds: toleranceSecondsSchema.default(DEFAULT_TOLERANCE_SECONDS),
  /** The payload has no standard entity, so `type` and `id` are required. */
  entity: requiredEntitySchema('standard'),
})

/** A sender following the Standard Webhooks specification. */
export type StandardSource = z.output<typeof standardConfigSchema>
