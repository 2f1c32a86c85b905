import {
  type StackConfig,
  parseEnv,
  portSchema,
  stackConfig,
  stackEnvSchema,
} from '@integration-ledger/service-kit'
import { z } from 'zod'

const adminEnvSchema = stackEnvSchema.extend({
  /** @default 8081 */
  PORT: portSchema(8081),
  /** Bootstrap bearer token for the admin API. Required: there is no safe default. */
  LEDGER_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters'),
  /**
   * Master keys encrypting source secrets at rest: `id:base64(32 bytes)`, comma-separated, newest
   * first. Without it the /sources API answers 503.
   */
  LEDGER_MASTER_KEYS: z.string().min(1).optional(),
  /**
   * The Prometheus that scrapes the services; the health page's rates, lag, breakers and alerts
   * are instant queries against its HTTP API. @default http://127.0.0.1:9090 (what `npm start` runs)
   */
  LEDGER_PROMETHEUS_URL: z.url().default('http://127.0.0.1:9090'),
  /**
   * The reconciler's HTTP API: the health page's last runs and review items, read and resolved
   * through it. @default http://127.0.0.1:8083
   */
  LEDGER_RECONCILER_URL: z.url().default('http://127.0.0.1:8083'),
  /**
   * A token of the reconciler's `RECONCILER_TOKENS`; its name is recorded as who resolved an item
   * from the page. Unset: the page says reconciliation is not configured.
   */
  LEDGER_RECONCILER_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** How often the health page asks for a new summary. @default 5000 (Prometheus' scrape interval) */
  LEDGER_HEALTH_REFRESH_MS: z.coerce.number().int().min(200).max(600_000).default(5000),
})

export interface AdminConfig extends StackConfig {
  adminToken: string
  masterKeys: string | undefined
  health: {
    prometheusUrl: string
    reconcilerUrl: string
    reconcilerToken: string | undefined
    refreshMs: number
  }
}

/** Reads the admin service's configuration from the environment once, failing fast on bad values. */
export function loadAdminConfig(env: NodeJS.ProcessEnv = process.env): AdminConfig {
  const parsed = parseEnv(adminEnvSchema, env)
  return {
    ...stackConfig(parsed),
    adminToken: parsed.LEDGER_ADMIN_TOKEN,
    masterKeys: parsed.LEDGER_MASTER_KEYS,
    health: {
      prometheusUrl: parsed.LEDGER_PROMETHEUS_URL.replace(/\/+$/, ''),
      reconcilerUrl: parsed.LEDGER_RECONCILER_URL.replace(/\/+$/, ''),
      reconcilerToken: parsed.LEDGER_RECONCILER_TOKEN,
      refreshMs: parsed.LEDGER_HEALTH_REFRESH_MS,
    },
  }
}
