import { createPool } from '@integration-ledger/postgres'
import type { Logger } from '@integration-ledger/core'
import {
  EnvelopeCodec,
  createKafkajsTransport,
  declareTopology,
  subscribe,
  type Subscription,
} from '@integration-ledger/sdk'
import type pg from 'pg'
import type { Registry } from 'prom-client'
import type { ProjectorConfig } from './config.js'
import { LedgerStore } from './db/ledger-store.js'
import { migrate } from './db/migrate.js'
import { createBatchHandler } from './handle-batch.js'
import { createProjectorMetrics } from './metrics.js'

export interface Projector {
  store: LedgerStore
  pool: pg.Pool
  /** True while the database answers. */
  isReady(): Promise<boolean>
  /** True while the Kafka consumer is joined and consuming (false while it restarts or is recreated). */
  isConsuming(): boolean
  close(): Promise<void>
}

export interface ProjectorHooks {
  /** The consumer crashed for good under PROJECTOR_ON_CONSUMER_CRASH=exit: the process should exit non-zero. */
  onConsumerFailed?: (err: unknown) => void
}

/** Connects to PostgreSQL and Kafka, ensures tables and topics, and starts consuming. */
export async function startProjector(
  config: ProjectorConfig,
  logger: Logger,
  registry: Registry,
  hooks: ProjectorHooks = {},
): Promise<Projector> {
  // One connection per concurrently consumed partition, plus one for readiness probes.
  const pool = createPool({
    connectionString: config.databaseUrl,
    max: config.partitionsConcurrently + 1,
    logger,
  })
  await migrate(pool)
  const store = new LedgerStore(pool, logger)

  const transport = createKafkajsTransport(
    { brokers: config.kafkaBrokers, clientId: 'ledger-projector' },
    logger,
  )
  const admin = transport.admin()
  await admin.connect()
  await admin.ensureTopics(
    declareTopology({
      eventTopics: config.topics,
      consumerGroups: [config.groupId],
      replicationFactor: config.kafkaReplicationFactor,
    }),
  )
  await admin.disconnect()

  const handle = createBatchHandler(store, createProjectorMetrics(registry))
  const subscription: Subscription = await subscribe({
    transport,
    codec: new EnvelopeCodec({ url: config.schemaRegistryUrl }),
    groupId: config.groupId,
    topics: config.topics,
    logger,
    metrics: registry,
    partitionsConsumedConcurrently: config.partitionsConcurrently,
    prefetchBatches: config.prefetchBatches,
    sessionTimeoutMs: config.sessionTimeoutMs,
    fatalCrash: { policy: config.onConsumerCrash === 'exit' ? 'fail' : 'recreate' },
    onStateChange: (state, err) => {
      if (state === 'failed') hooks.onConsumerFailed?.(err)
    },
    handleBatch: (events, ctx) => handle(events, ctx),
  })

  return {
    store,
    pool,
    async isReady() {
      await pool.query('SELECT 1')
      return true
    },
    isConsuming: () => subscription.state === 'consuming',
    async close() {
      await subscription.close()
      await store.idle()
      await pool.end()
    },
  }
}
