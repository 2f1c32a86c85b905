import {
  type StackConfig,
  csv,
  parseEnv,
  portSchema,
  stackConfig,
  stackEnvSchema,
} from '@integration-ledger/service-kit'
import { z } from 'zod'

const projectorEnvSchema = stackEnvSchema.extend({
  /** HTTP port for /healthz, /readyz and /metrics. @default 8082 */
  PORT: portSchema(8082),
  /** @default 'ledger.projector' */
  PROJECTOR_GROUP_ID: z.string().min(1).default('ledger.projector'),
  /** Comma-separated event topics to project. @default 'ledger.events' */
  PROJECTOR_TOPICS: z.string().min(1).default('ledger.events'),
  /**
   * Partitions handled at once, each batch in its own transaction. Two matches a 2-core machine:
   * one batch is decoded while another waits on PostgreSQL.
   * @default 2
   */
  PROJECTOR_PARTITIONS_CONCURRENTLY: z.coerce.number().int().min(1).max(64).default(2),
  /**
   * How long the group waits for a silent member (a crashed process) before its partitions move.
   * Kafka accepts 6000 to 300000 by default (group.min/max.session.timeout.ms).
   * @default 30000
   */
  PROJECTOR_SESSION_TIMEOUT_MS: z.coerce.number().int().min(1000).default(30_000),
  /**
   * When the Kafka consumer crashes for good (kafkajs gives it up): `recreate` builds a new one
   * after a backoff, `exit` exits non-zero so a supervisor restarts the process. Either way
   * /readyz answers 503 while nothing is consumed.
   * @default 'recreate'
   */
  PROJECTOR_ON_CONSUMER_CRASH: z.enum(['recreate', 'exit']).default('recreate'),
})

export interface ProjectorConfig extends StackConfig {
  groupId: string
  topics: string[]
  partitionsConcurrently: number
  sessionTimeoutMs: number
  onConsumerCrash: 'recreate' | 'exit'
}

/** Reads the projector's configuration from the environment once, failing fast on bad values. */
export function loadProjectorConfig(env: NodeJS.ProcessEnv = process.env): ProjectorConfig {
  const parsed = parseEnv(projectorEnvSchema, env)
  return {
    ...stackConfig(parsed),
    groupId: parsed.PROJECTOR_GROUP_ID,
    topics: csv(parsed.PROJECTOR_TOPICS),
    partitionsConcurrently: parsed.PROJECTOR_PARTITIONS_CONCURRENTLY,
    sessionTimeoutMs: parsed.PROJECTOR_SESSION_TIMEOUT_MS,
    onConsumerCrash: parsed.PROJECTOR_ON_CONSUMER_CRASH,
  }
}
