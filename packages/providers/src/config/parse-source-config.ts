import type { z } from 'zod'
import type { SourceConfig } from '../registry.js'
import { type ConfigIssue, SourcesConfigError, formatPath } from './errors.js'
import { type Environment, resolveSecrets } from './secrets.js'
import { sourceConfigSchema } from './source-config-schema.js'

/** A zod error as config issues, their paths under `prefix` (e.g. `['sources', 2]`). */
export function configIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): ConfigIssue[] {
  return error.issues.map((issue) => ({
    path: formatPath([...prefix, ...issue.path]),
    message: issue.message,
  }))
}

/**
 * Resolves the secret references of a source that `sourceConfigSchema` validated, for parsers of
 * documents holding several sources (the sources file). Issues are located under `path`.
 */
export function resolveSourceConfig(
  declared: SourceConfig,
  env: Environment,
  path: readonly PropertyKey[],
): { source: SourceConfig; issues: [] } | { source?: undefined; issues: ConfigIssue[] } {
  const resolved = resolveSecrets(declared.secrets, declared, [...path, 'secrets'], env)
  if (resolved.issues.length > 0) return { issues: resolved.issues }
  return { source: { ...declared, secrets: resolved.secrets }, issues: [] }
}

/**
 * Validates one source (for the admin API, which stores sources one at a time), applies defaults and resolves `env:` secrets from `env`.
 * @throws SourcesConfigError (CONFIG_INVALID) with paths relative to the source, e.g. `entity.id`.
 */
export function parseSourceConfig(input: unknown, env: Environment, origin = 'source'): SourceConfig {
  const parsed = sourceConfigSchema.safeParse(input)
  if (!parsed.success) throw new SourcesConfigError(origin, configIssues(parsed.error))
  const resolved = resolveSourceConfig(parsed.data, env, [])
  if (resolved.source === undefined) throw new SourcesConfigError(origin, resolved.issues)
  return resolved.source
}
