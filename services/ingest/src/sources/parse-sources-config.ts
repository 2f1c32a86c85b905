import {
  type ConfigIssue,
  type Environment,
  type SourceConfig,
  SourcesConfigError,
  configIssues,
  resolveSourceConfig,
  sourceConfigSchema,
} from '@integration-ledger/providers'
import { z } from 'zod'

/** The parsed sources file. */
export interface SourcesFile {
  sources: SourceConfig[]
}

/**
 * Schema of the whole sources file: each entry a source as `@integration-ledger/providers` declares it. Names
 * are checked for duplicates even when an entry failed, so one pass reports every problem; the
 * entries are then as far as they parsed, hence the defensive reads.
 */
const sourcesFileSchema = z.strictObject({ sources: z.array(sourceConfigSchema) }).superRefine(
  (file, ctx) => {
    const firstIndex = new Map<string, number>()
    const entries: readonly unknown[] = Array.isArray(file.sources) ? file.sources : []
    entries.forEach((source, index) => {
      const name = (source as { name?: unknown } | null)?.name
      if (typeof name !== 'string') return
      const first = firstIndex.get(name)
      if (first === undefined) firstIndex.set(name, index)
      else
        ctx.addIssue({
          code: 'custom',
          path: ['sources', index, 'name'],
          message: `duplicate of sources[${first}].name "${name}"`,
        })
    })
  },
  { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
)

/**
 * Validates a parsed sources document (the object form of the YAML file), applies defaults and
 * resolves `env:` secrets from `env`.
 * @param origin names the document in error messages, e.g. the file path.
 * @throws SourcesConfigError (CONFIG_INVALID) listing every problem with its exact path.
 */
export function parseSourcesConfig(
  document: unknown,
  env: Environment,
  origin = 'sources config',
): SourcesFile {
  const parsed = sourcesFileSchema.safeParse(document)
  if (!parsed.success) throw new SourcesConfigError(origin, configIssues(parsed.error))
  const issues: ConfigIssue[] = []
  const sources: SourceConfig[] = []
  parsed.data.sources.forEach((declared, index) => {
    const resolved = resolveSourceConfig(declared, env, ['sources', index])
    if (resolved.source === undefined) issues.push(...resolved.issues)
    else sources.push(resolved.source)
  })
  if (issues.length > 0) throw new SourcesConfigError(origin, issues)
  return { sources }
}
