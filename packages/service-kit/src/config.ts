import { LedgerError } from '@ledger/core'
import type { z } from 'zod'

/**
 * Parses environment variables with a zod object schema once, at start-up. A bad value fails fast
 * with one line per variable naming it and saying what was expected.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const result = schema.safeParse(env)
  if (result.success) return result.data
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)'
    const value = env[String(issue.path[0])]
    const shown =
      value === undefined ? 'unset' : `got "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`
    return `  ${name}: ${issue.message} (${shown})`
  })
  throw new LedgerError(
    'CONFIG_INVALID',
    `Invalid configuration; fix these environment variables:\n${problems.join('\n')}`,
  )
}

/** Splits a comma-separated variable such as KAFKA_BROKERS. */
export function csv(value: string): string[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
}
