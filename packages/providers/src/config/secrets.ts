import { providerFor } from '../registry.js'
import { type ConfigIssue, formatPath } from './errors.js'

/** Where config values are read from; usually `process.env`. */
export type Environment = Readonly<Record<string, string | undefined>>

const ENV_PREFIX = 'env:'

/**
 * Resolves secret references: `env:NAME` reads the environment at load time, anything else is the
 * secret itself. Problems are reported as issues located by `path`, naming the source and the
 * variable, never the value.
 */
export function resolveSecrets(
  refs: readonly string[],
  source: { name: string; kind: string },
  path: readonly PropertyKey[],
  env: Environment,
): { secrets: string[]; issues: ConfigIssue[] } {
  const secrets: string[] = []
  const issues: ConfigIssue[] = []
  refs.forEach((ref, index) => {
    const at = formatPath([...path, index])
    let value = ref
    if (ref.startsWith(ENV_PREFIX)) {
      const variable = ref.slice(ENV_PREFIX.length)
      const fromEnv = env[variable]
      if (fromEnv === undefined || fromEnv.trim() === '') {
        issues.push({
          path: at,
          message: `environment variable ${variable} is not set or empty (source "${source.name}"); set it or change the reference`,
        })
        return
      }
      value = fromEnv.trim()
    }
    // Checked here, not on the first delivery: an unusable key would otherwise reject everything.
    const problem = providerFor(source.kind).secretProblem?.(value, source.name)
    if (problem !== undefined) {
      issues.push({ path: at, message: problem })
      return
    }
    secrets.push(value)
  })
  return { secrets, issues }
}
