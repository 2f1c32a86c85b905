import { z } from 'zod'
import type { ProviderModule } from '../provider-module.js'
import { PROVIDERS, PROVIDER_KINDS, type SourceConfig } from '../registry.js'
import { anySourceSchema, refineSharedFields } from './source-fields.js'

// Checks that run even when a field failed, so one pass reports every problem of a source; only
// never on what is not an object at all.
const ALWAYS = {
  when: (payload: { value: unknown }) => typeof payload.value === 'object' && payload.value !== null,
}

/** Each field some module declares, with the kinds that declare it, in `PROVIDERS` order. */
function declaringKinds(): Map<string, string[]> {
  const shared = new Set(Object.keys(anySourceSchema(PROVIDER_KINDS).shape))
  const kinds = new Map<string, string[]>()
  for (const provider of PROVIDERS) {
    for (const field of Object.keys(provider.configSchema.shape)) {
      if (shared.has(field)) continue
      kinds.set(field, [...(kinds.get(field) ?? []), provider.kind])
    }
  }
  return kinds
}

function onlyValidFor(kinds: readonly string[]): string {
  const quoted = kinds.map((kind) => `"${kind}"`).join(', ')
  return `only valid for kind${kinds.length > 1 ? 's' : ''} ${quoted}`
}

/**
 * A module's schema as an option of the union: the shared rules apply, fields of other kinds are
 * known (so they are not just "unrecognized") and refused with a reason, then the module's own
 * rules and defaults apply.
 */
function unionOption(provider: ProviderModule, declaredBy: Map<string, string[]>) {
  const own = provider.configSchema.shape
  const refused = provider.refusedFields ?? {}
  const foreign = [...declaredBy.keys()].filter((field) => !(field in own) && !(field in refused))
  const known = Object.fromEntries(
    [...foreign, ...Object.keys(refused)].map((f) => [f, z.unknown().optional()]),
  )
  const refuse = (
    declared: Record<string, unknown>,
    ctx: z.RefinementCtx,
    field: string,
    message: string,
  ) => {
    if (declared[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message })
  }
  return provider.configSchema
    .extend(known)
    .superRefine((declared, ctx) => {
      refineSharedFields(declared, ctx)
      for (const field of foreign) refuse(declared, ctx, field, onlyValidFor(declaredBy.get(field) ?? []))
      for (const [field, message] of Object.entries(refused)) refuse(declared, ctx, field, message)
    }, ALWAYS)
    .superRefine((declared, ctx) => provider.refineConfig?.(declared, ctx), ALWAYS)
    .transform((source) => provider.completeConfig?.(source as never) ?? source)
}

function buildSchema() {
  const declaredBy = declaringKinds()
  const options = PROVIDERS.map((provider) => unionOption(provider as unknown as ProviderModule, declaredBy))
  const byKind = z.discriminatedUnion('kind', options as unknown as [(typeof options)[number]])
  // An unknown kind has no module to check the rest against; the fields every kind shares are
  // still checked, so one pass reports a bad name or secret alongside the kind.
  const anySource = anySourceSchema(PROVIDER_KINDS)
  const kindGate = z.looseObject({}).superRefine((declared, ctx) => {
    if ((PROVIDER_KINDS as readonly unknown[]).includes(declared['kind'])) return
    for (const issue of anySource.safeParse(declared).error?.issues ?? []) ctx.addIssue({ ...issue })
  })
  return kindGate.pipe(byKind) as unknown as z.ZodType<SourceConfig>
}

/**
 * Schema of one source as declared (in the sources file or sent to the admin API): a union on
 * `kind` of the provider modules' schemas. Secrets are still as declared (values or `env:`
 * references); `parseSourceConfig` resolves them.
 */
export const sourceConfigSchema: z.ZodType<SourceConfig> = buildSchema()
