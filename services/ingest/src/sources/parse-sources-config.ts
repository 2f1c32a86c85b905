import type { z } from 'zod'
import { type ConfigIssue, SourcesConfigError, formatPath } from './errors.js'
import { type RawSourceConfig, rawSourceConfigSchema, sourcesFileSchema } from './schema.js'
import { type Environment, resolveSecrets } from './secrets.js'
import type { EntityMapping, RequiredEntityMapping, SourceBase, SourceConfig, SourcesFile } from './types.js'
import { DEFAULT_TOLERANCE_SECONDS } from '../verifiers/index.js'

function zodIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): ConfigIssue[] {
  return error.issues.map((issue) => ({
    path: formatPath([...prefix, ...issue.path]),
    message: issue.message,
  }))
}

/** The schema guarantees these for standard/hmac; this narrows the type without a cast per field. */
function requiredEntity(entity: EntityMapping | undefined): RequiredEntityMapping {
  if (entity?.type === undefined || entity.id === undefined)
    throw new TypeError('entity.type and entity.id were validated as required')
  return { ...entity, type: entity.type, id: entity.id }
}

function toSourceConfig(raw: RawSourceConfig, secrets: string[]): SourceConfig {
  const base: SourceBase = {
    name: raw.name,
    secrets,
    topic: raw.topic,
    enabled: raw.enabled,
    maxBodyBytes: raw.maxBodyBytes,
    ...(raw.rateLimit === undefined ? {} : { rateLimit: raw.rateLimit }),
  }
  const entity = raw.entity === undefined ? {} : { entity: raw.entity }
  switch (raw.kind) {
    case 'stripe':
      return {
        ...base,
        kind: 'stripe',
        toleranceSeconds: raw.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS,
        ...entity,
      }
    case 'github':
      return { ...base, kind: 'github', ...entity }
    case 'shopify':
      return { ...base, kind: 'shopify', ...entity }
    case 'standard':
      return {
        ...base,
        kind: 'standard',
        toleranceSeconds: raw.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS,
        entity: requiredEntity(raw.entity),
      }
    case 'hmac': {
      if (raw.hmac === undefined || raw.eventId === undefined || raw.eventType === undefined) {
        throw new TypeError('hmac, eventId and eventType were validated as required')
      }
      return {
        ...base,
        kind: 'hmac',
        hmac: raw.hmac,
        ...(raw.hmac.timestampHeader === undefined
          ? {}
          : { toleranceSeconds: raw.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS }),
        eventId: raw.eventId,
        eventType: raw.eventType,
        ...(raw.occurredAt === undefined ? {} : { occurredAt: raw.occurredAt }),
        entity: requiredEntity(raw.entity),
      }
    }
  }
}

function resolveAll(
  raws: readonly RawSourceConfig[],
  pathOf: (index: number) => PropertyKey[],
  env: Environment,
) {
  const issues: ConfigIssue[] = []
  const sources: SourceConfig[] = []
  raws.forEach((raw, index) => {
    const resolved = resolveSecrets(raw.secrets, raw, [...pathOf(index), 'secrets'], env)
    issues.push(...resolved.issues)
    if (resolved.issues.length === 0) sources.push(toSourceConfig(raw, resolved.secrets))
  })
  return { sources, issues }
}

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
  if (!parsed.success) throw new SourcesConfigError(origin, zodIssues(parsed.error))
  const { sources, issues } = resolveAll(parsed.data.sources, (index) => ['sources', index], env)
  if (issues.length > 0) throw new SourcesConfigError(origin, issues)
  return { sources }
}

/**
 * Validates one source (for the admin API, which stores sources one at a time).
 * @throws SourcesConfigError (CONFIG_INVALID) with paths relative to the source, e.g. `entity.id`.
 */
export function parseSourceConfig(input: unknown, env: Environment, origin = 'source'): SourceConfig {
  const parsed = rawSourceConfigSchema.safeParse(input)
  if (!parsed.success) throw new SourcesConfigError(origin, zodIssues(parsed.error))
  const { sources, issues } = resolveAll([parsed.data], () => [], env)
  const [source] = sources
  if (issues.length > 0 || source === undefined) throw new SourcesConfigError(origin, issues)
  return source
}
