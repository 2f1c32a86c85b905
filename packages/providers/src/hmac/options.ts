import { PermanentError } from '@integration-ledger/core'
import { z } from 'zod'
import { HEADER_NAME } from '../verification/headers.js'

/**
 * Schema of the generic HMAC verifier's options. Exported so the sources config validates the
 * same fields with the same rules.
 */
export const hmacVerifierOptionsSchema = z.strictObject({
  /** Header carrying the signature, e.g. `X-Signature`. */
  header: z.string().regex(HEADER_NAME, 'must be an HTTP header name'),
  algorithm: z.enum(['sha256', 'sha512']),
  encoding: z.enum(['hex', 'base64']),
  /** Text before the signature, e.g. `sha256=`; required on every signature when set. */
  prefix: z
    .string()
    .min(1)
    .refine((prefix) => !prefix.includes(','), 'must not contain "," (commas separate several signatures)')
    .optional(),
  /** Header with the unix-seconds timestamp; when set, `${timestamp}.${body}` is signed and checked for tolerance. */
  timestampHeader: z.string().regex(HEADER_NAME, 'must be an HTTP header name').optional(),
  /** Accepted distance between the timestamp and now, both directions; only with `timestampHeader`. @default 300 */
  toleranceSeconds: z.number().positive().finite().optional(),
})

/** Options of the generic HMAC verifier. */
export type HmacVerifierOptions = z.infer<typeof hmacVerifierOptionsSchema>

/**
 * Validates options, so a misconfigured verifier fails at construction rather than on traffic.
 * @throws PermanentError CONFIG_INVALID naming each bad field.
 */
export function parseHmacVerifierOptions(options: unknown): HmacVerifierOptions {
  const parsed = hmacVerifierOptionsSchema.safeParse(options)
  if (parsed.success) {
    if (parsed.data.toleranceSeconds !== undefined && parsed.data.timestampHeader === undefined) {
      throw new PermanentError(
        'CONFIG_INVALID',
        'hmac verifier: toleranceSeconds needs timestampHeader; without a signed timestamp there is nothing to check',
        {
          details: { field: 'toleranceSeconds' },
        },
      )
    }
    return parsed.data
  }
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join('.') || '(options)'}: ${issue.message}`,
  )
  throw new PermanentError('CONFIG_INVALID', `hmac verifier options are invalid: ${problems.join('; ')}`, {
    details: { problems },
  })
}
