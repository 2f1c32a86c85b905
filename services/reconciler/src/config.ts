import { LedgerError } from '@integration-ledger/core'
import {
  type StackConfig,
  parseEnv,
  portSchema,
  stackConfig,
  stackEnvSchema,
} from '@integration-ledger/service-kit'
import { z } from 'zod'
import { githubSourceSchema } from './sources/github.js'
import { stripeSourceSchema } from './sources/stripe.js'

/**
 * How one source is reconciled: one schema per provider kind (`sources/<kind>.ts`), told apart by
 * `kind`.
 */
const reconcileSourceSchema = z.discriminatedUnion('kind', [stripeSourceSchema, githubSourceSchema])

export type ReconcileSourceConfig = z.output<typeof reconcileSourceSchema> & {
  /** The API key or token read from `credentialEnv`, when set. */
  secret: string | undefined
}

const DEFAULT_SOURCES = JSON.stringify([{ name: 'billing', kind: 'stripe' }])

const reconcilerEnvSchema = stackEnvSchema.extend({
  /** @default 8083 */
  PORT: portSchema(8083),
  /**
   * Operator tokens of this service only: `name=token` pairs, comma-separated (tokens of at least
   * 16 characters). The name is recorded as who started a run or resolved an item. The named admin
   * tokens (`npm run admin -- tokens`) are accepted as well, so this may be unset. @default none
   */
  RECONCILER_TOKENS: z.string().min(1).optional(),
  /** Ingest's origin, where catch-up hands recovered events (POST /recovered/:source). @default 'http://127.0.0.1:8080' */
  RECONCILER_INGEST_URL: z.url().default('http://127.0.0.1:8080'),
  /** A token of ingest's INGEST_RECOVERY_TOKENS; unset: no catch-up (the scan still runs). */
  RECONCILER_INGEST_TOKEN: z.string().min(16).optional(),
  /** JSON array of sources to reconcile (see `reconcileSourceSchema`). @default [{"name":"billing","kind":"stripe"}] */
  RECONCILER_SOURCES: z.string().min(1).default(DEFAULT_SOURCES),
})

export interface ReconcilerConfig extends StackConfig {
  tokens: { name: string; token: string }[]
  /** Where catch-up hands recovered events; undefined without RECONCILER_INGEST_TOKEN. */
  ingest: { url: string; token: string } | undefined
  sources: ReconcileSourceConfig[]
}

/** Reads the reconciler's configuration once, failing fast with the variable at fault. */
export function loadReconcilerConfig(env: NodeJS.ProcessEnv = process.env): ReconcilerConfig {
  const parsed = parseEnv(reconcilerEnvSchema, env)
  return {
    ...stackConfig(parsed),
    tokens: parsed.RECONCILER_TOKENS === undefined ? [] : parseTokens(parsed.RECONCILER_TOKENS),
    ingest:
      parsed.RECONCILER_INGEST_TOKEN === undefined
        ? undefined
        : { url: parsed.RECONCILER_INGEST_URL, token: parsed.RECONCILER_INGEST_TOKEN },
    sources: parseSources(parsed.RECONCILER_SOURCES, env),
  }
}

function parseTokens(value: string): { name: string; token: string }[] {
  const tokens = value.split(',').map((pair) => {
    const at = pair.indexOf('=')
    const name = pair.slice(0, at).trim()
    const token = pair.slice(at + 1).trim()
    if (at <= 0 || token.length < 16) {
      throw new LedgerError(
        'CONFIG_INVALID',
        'RECONCILER_TOKENS: each entry must be name=token with a token of at least 16 characters.',
      )
    }
    return { name, token }
  })
  return tokens
}

function parseSources(value: string, env: NodeJS.ProcessEnv): ReconcileSourceConfig[] {
  let json: unknown
  try {
    json = JSON.parse(value)
  } catch {
    throw new LedgerError(
      'CONFIG_INVALID',
      'RECONCILER_SOURCES: not JSON; give an array like [{"name":"billing","kind":"stripe"}] or [{"name":"code","kind":"github","owner":"acme","repo":"widgets","hookId":1}].',
    )
  }
  const result = z.array(reconcileSourceSchema).safeParse(json)
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  RECONCILER_SOURCES[${i.path.join('.')}]: ${i.message}`)
    throw new LedgerError('CONFIG_INVALID', `Invalid configuration:\n${problems.join('\n')}`)
  }
  return result.data.map((s) => ({ ...s, secret: env[s.credentialEnv] || undefined }))
}
