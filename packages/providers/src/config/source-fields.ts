import { z } from 'zod'
import { hmacVerifierOptionsSchema } from '../verifiers/index.js'
import { isValidPointer } from './json-pointer.js'

/** Default Kafka topic of a source. */
export const DEFAULT_TOPIC = 'ledger.events'
/** Default largest accepted body: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024
// Anything larger is almost certainly a typo (an extra zero), and would defeat the limit's purpose.
const MAX_BODY_BYTES_CEILING = 64 * 1024 * 1024

const SOURCE_KINDS = ['stripe', 'github', 'shopify', 'standard', 'hmac'] as const
const HEADER_PREFIX = 'header:'
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

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

/** A pointer, `header:Name` or a literal. */
const valueSpec = z
  .string()
  .min(1)
  .superRefine((spec, ctx) => checkSpec(spec, ctx, true))
/** A pointer or `header:Name`: values that must differ between events. */
const lookupSpec = z
  .string()
  .min(1)
  .superRefine((spec, ctx) => checkSpec(spec, ctx, false))

const entitySchema = z.strictObject({
  type: valueSpec.optional(),
  id: valueSpec.optional(),
  version: lookupSpec.optional(),
})

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

const rawSourceSchema = z
  .strictObject({
    name: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9_-]{0,62}$/,
        'must be 1-63 lower-case letters, digits, "-" or "_" (it is used in the URL)',
      ),
    kind: z.enum(SOURCE_KINDS),
    secrets: z.array(secretRef).min(1, 'at least one secret is required'),
    topic: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a Kafka topic name (letters, digits, ".", "_", "-")')
      .default(DEFAULT_TOPIC),
    enabled: z.boolean().default(true),
    maxBodyBytes: z.number().int().positive().max(MAX_BODY_BYTES_CEILING).default(DEFAULT_MAX_BODY_BYTES),
    rateLimit: z
      .strictObject({ max: z.number().int().positive(), windowMs: z.number().int().positive() })
      .optional(),
    toleranceSeconds: z.number().int().positive().optional(),
    hmac: hmacVerifierOptionsSchema.omit({ toleranceSeconds: true }).optional(),
    eventId: lookupSpec.optional(),
    eventType: valueSpec.optional(),
    occurredAt: lookupSpec.optional(),
    entity: entitySchema.optional(),
  })
  .superRefine((source, ctx) => {
    const required = (path: PropertyKey[]): void =>
      ctx.addIssue({ code: 'custom', path, message: `required for kind "${source.kind}"` })
    const forbidden = (path: PropertyKey[], why: string): void =>
      ctx.addIssue({ code: 'custom', path, message: why })

    if (source.kind === 'standard' || source.kind === 'hmac') {
      if (source.entity === undefined) required(['entity'])
      else {
        if (source.entity.type === undefined) required(['entity', 'type'])
        if (source.entity.id === undefined) required(['entity', 'id'])
      }
    }
    if (source.kind === 'hmac') {
      if (source.hmac === undefined) required(['hmac'])
      if (source.eventId === undefined) required(['eventId'])
      if (source.eventType === undefined) required(['eventType'])
      if (source.toleranceSeconds !== undefined && source.hmac?.timestampHeader === undefined) {
        forbidden(
          ['toleranceSeconds'],
          'needs hmac.timestampHeader; without a signed timestamp there is nothing to check',
        )
      }
    } else {
      for (const field of ['hmac', 'eventId', 'eventType', 'occurredAt'] as const) {
        if (source[field] !== undefined) forbidden([field], `only valid for kind "hmac"`)
      }
    }
    if ((source.kind === 'github' || source.kind === 'shopify') && source.toleranceSeconds !== undefined) {
      forbidden(['toleranceSeconds'], `kind "${source.kind}" signs no timestamp; remove this field`)
    }
  })

/** Schema of one source as written in the file (secrets still as references). */
export const rawSourceConfigSchema = rawSourceSchema

/** One source as written, after defaults, before secret resolution. */
export type RawSourceConfig = z.output<typeof rawSourceSchema>

/** Schema of the whole sources file. */
export const sourcesFileSchema = z
  .strictObject({ sources: z.array(rawSourceSchema) })
  .superRefine((file, ctx) => {
    const firstIndex = new Map<string, number>()
    file.sources.forEach((source, index) => {
      const first = firstIndex.get(source.name)
      if (first === undefined) firstIndex.set(source.name, index)
      else
        ctx.addIssue({
          code: 'custom',
          path: ['sources', index, 'name'],
          message: `duplicate of sources[${first}].name "${source.name}"`,
        })
    })
  })
