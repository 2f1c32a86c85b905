import { LedgerError } from '@integration-ledger/core'
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
    return `  ${name}: ${issue.message} (${describeValue(String(issue.path[0]), env[String(issue.path[0])])})`
  })
  throw new LedgerError(
    'CONFIG_INVALID',
    `Invalid configuration; fix these environment variables:\n${problems.join('\n')}`,
  )
}

/** Variables whose values are credentials: a start-up error must not print them into logs. */
const SECRET_VARIABLE = /TOKEN|SECRET|PASSWORD|(^|_)KEYS?$/

/** The value as an error may show it: never a credential, never a password inside a URL. */
function describeValue(name: string, value: string | undefined): string {
  if (value === undefined) return 'unset'
  if (SECRET_VARIABLE.test(name)) return `a value of ${value.length} characters, not shown`
  const shown = value.replace(/(\/\/[^:/@\s]*:)[^@\s]*@/g, '$1***@')
  return `got "${shown.length > 40 ? `${shown.slice(0, 40)}…` : shown}"`
}

/** Splits a comma-separated variable such as KAFKA_BROKERS. */
export function csv(value: string): string[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
}
