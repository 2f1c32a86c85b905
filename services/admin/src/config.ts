import { type StackConfig, parseEnv, portSchema, stackConfig, stackEnvSchema } from '@ledger/service-kit'
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
})

export interface AdminConfig extends StackConfig {
  adminToken: string
  masterKeys: string | undefined
}

/** Reads the admin service's configuration from the environment once, failing fast on bad values. */
export function loadAdminConfig(env: NodeJS.ProcessEnv = process.env): AdminConfig {
  const parsed = parseEnv(adminEnvSchema, env)
  return {
    ...stackConfig(parsed),
    adminToken: parsed.LEDGER_ADMIN_TOKEN,
    masterKeys: parsed.LEDGER_MASTER_KEYS,
  }
}
