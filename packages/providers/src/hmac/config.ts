import { z } from 'zod'
import {
  lookupSpec,
  requiredEntitySchema,
  requiredFor,
  sourceSchema,
  toleranceSecondsSchema,
  valueSpec,
} from '../config/source-fields.js'
import { hmacVerifierOptionsSchema } from './options.js'

/** Schema of a plain-HMAC sender's source. */
export const hmacConfigSchema = sourceSchema('hmac', {
  /** Only meaningful with `hmac.timestampHeader`. @default 300 when it is set */
  toleranceSeconds: toleranceSecondsSchema.optional(),
  /** The payload has no standard entity, so `type` and `id` are required. */
  entity: requiredEntitySchema('hmac'),
  /** How the sender signs: header, algorithm, encoding, prefix, timestamp header. */
  hmac: z.strictObject(hmacVerifierOptionsSchema.omit({ toleranceSeconds: true }).shape, requiredFor('hmac')),
  /** Provider event ID: a pointer (`/id`) or `header:X-Event-Id`; never a literal. */
  eventId: lookupSpec('hmac'),
  /** Event type: pointer, header or literal. */
  eventType: valueSpec('hmac'),
  /** When the event happened: pointer or header to unix seconds, epoch ms or an ISO date. @default receipt time */
  occurredAt: lookupSpec().optional(),
})

/** A sender signing with a plain HMAC. */
export type HmacSource = z.output<typeof hmacConfigSchema>
