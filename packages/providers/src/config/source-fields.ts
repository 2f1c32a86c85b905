import { MAX_RAW_BODY_BYTES } from '@integration-ledger/sdk'
import { z } from 'zod'
import { isValidPointer } from '../extraction/json-pointer.js'
import { HEADER_PREFIX } from '../extraction/values.js'
import { HEADER_NAME } from '../verification/headers.js'

/** Default Kafka topic of a source. */
export const DEFAULT_TOPIC = 'ledger.events'
/** Default largest accepted body: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024

/**
 * Why a body limit above `MAX_RAW_BODY_BYTES` is refused, naming who set it: such a body's event
 * could never be stored in Kafka, so the limit would promise what intake cannot keep.
 */
export function bodyLimitProblem(owner: string, maxBodyBytes: number): string | undefined {
  if (maxBodyBytes <= MAX_RAW_BODY_BYTES) return undefined
  return `${owner}: maxBodyBytes ${maxBodyBytes} can never be stored: a Kafka record of the ledger takes at most ${MAX_RAW_BODY_BYTES} bytes of body (the topics' max.message.bytes less the envelope's room); set ${MAX_RAW_BODY_BYTES} or less`
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * Error for a field a kind requires: "required for kind …" when it is absent, zod's own message
 * for a value of the wrong type.
 */
export function requiredFor(kind: string): { error: (issue: { input?: unknown }) => string | undefined } {
  return { error: (issue) => (issue.input === undefined ? `required for kind "${kind}"` : undefined) }
}

function checkSpec(spec: string, ctx: z.RefinementCtx, allowLiteral: boolean): void {
  if (spec.startsWith('/')) {
    if (!isValidPointer(spec))
      ctx.addIssue({ code: 'custom', message: 'invalid JSON pointer: "~" must be followed by 0 or 1' })
  } else if (spec.startsWith(HEADER_PREFIX)) {
    if (!HEADER_NAME.test(spec.slice(HEADER_PREFIX.length))) {
      ctx.addIssue({ code: 'custom', message: 'expected "header:<HTTP header name>"' })
    }
  } else if (!allowLiteral) {
    ctx.addIssue({
      code: 'custom',
      message:
        'must be a JSON pointer ("/path") or "header:<name>"; a literal would be the same for every event',
    })
  }
}

/** A pointer, `header:Name` or a literal; `requiredBy` names the kind that requires it. */
export function valueSpec(requiredBy?: string) {
  return z
    .string(requiredBy === undefined ? undefined : requiredFor(requiredBy))
    .min(1)
    .superRefine((spec, ctx) => checkSpec(spec, ctx, true))
}

/** A pointer or `header:Name`: values that must differ between events. */
export function lookupSpec(requiredBy?: string) {
  return z
    .string(requiredBy === undefined ? undefined : requiredFor(requiredBy))
    .min(1)
    .superRefine((spec, ctx) => checkSpec(spec, ctx, false))
}

/** Overrides of a provider's default entity fields, each optional. */
export const entitySchema = z.strictObject({
  type: valueSpec().optional(),
  id: valueSpec().optional(),
  /** Must be a pointer or header; resolves to a number, numeric string or ISO date (→ ms). */
  version: lookupSpec().optional(),
})

/** Mapping from a delivery to the entity it changes (value specs, see `ValueSpec`). */
export type EntityMapping = z.output<typeof entitySchema>

/** The entity mapping of a kind that has no default entity: `type` and `id` are required. */
export function requiredEntitySchema(kind: string) {
  return z.strictObject(
    {
      type: valueSpec(kind),
      id: valueSpec(kind),
      /** Must be a pointer or header; resolves to a number, numeric string or ISO date (→ ms). */
      version: lookupSpec().optional(),
    },
    requiredFor(kind),
  )
}

const secretRef = z
  .string()
  .min(1, 'must not be empty')
  .superRefine((ref, ctx) => {
    if (ref.startsWith('env:') && !ENV_NAME.test(ref.slice(4))) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected "env:<VARIABLE_NAME>" (letters, digits, underscore)',
      })
    }
  })

/** Per-source request budget. */
export const rateLimitSchema = z.strictObject({
  /** Requests allowed per window. */
  max: z.number().int().positive(),
  windowMs: z.number().int().positive(),
})

/** Accepted distance in seconds of a signed timestamp, for the kinds that sign one (each sets its default). */
export const toleranceSecondsSchema = z.number().int().positive()

const nameSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,62}$/,
    'must be 1-63 lower-case letters, digits, "-" or "_" (it is used in the URL)',
  )

/** The fields every source has besides `kind`, in the order problems are reported. */
export const sharedSourceFields = {
  /** URL-safe name: POST /webhooks/:name. */
  name: nameSchema,
  /**
   * Secrets in configured order (several during a rotation): as declared, values or `env:NAME`
   * references; once parsed, the resolved values. Never log these.
   */
  secrets: z.array(secretRef).min(1, 'at least one secret is required').readonly(),
  /** @default 'ledger.events' */
  topic: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a Kafka topic name (letters, digits, ".", "_", "-")')
    .default(DEFAULT_TOPIC),
  /** @default true */
  enabled: z.boolean().default(true),
  /** Largest accepted body in bytes, at most `MAX_RAW_BODY_BYTES`. @default 1048576 (1 MiB) */
  maxBodyBytes: z.number().int().positive().default(DEFAULT_MAX_BODY_BYTES),
  rateLimit: rateLimitSchema.optional(),
}

/** Rules on the shared fields that need the source's name; run for every kind. */
export function refineSharedFields(declared: Readonly<Record<string, unknown>>, ctx: z.RefinementCtx): void {
  const { name, maxBodyBytes } = declared
  if (typeof maxBodyBytes !== 'number') return
  const tooLarge = bodyLimitProblem(`source "${String(name)}"`, maxBodyBytes)
  if (tooLarge !== undefined) ctx.addIssue({ code: 'custom', path: ['maxBodyBytes'], message: tooLarge })
}

/** What every parsed source has, whatever its kind. */
export type SourceFields = z.output<z.ZodObject<typeof sharedSourceFields>> & {
  kind: string
  entity?: EntityMapping | undefined
}

/**
 * Schema of one source of `kind`: the shared fields, then the kind's own. Strict, so a misspelt
 * field is refused rather than ignored.
 */
export function sourceSchema<K extends string, Own extends z.ZodRawShape>(kind: K, own: Own) {
  const { name, ...rest } = sharedSourceFields
  return z.strictObject({ name, kind: z.literal(kind), ...rest, ...own })
}

/** Schema of what any source has in common, whatever its kind; explains an unknown kind. */
export function anySourceSchema(kinds: readonly [string, ...string[]]) {
  const { name, ...rest } = sharedSourceFields
  return z.looseObject({ name, kind: z.enum(kinds), ...rest })
}
