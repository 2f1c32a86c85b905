import { AdminTokenStore, AuditLog, migrateAccess } from '@integration-ledger/access'
import { createPool } from '@integration-ledger/postgres'
import { EnvelopeCodec, LedgerPublisher, createKafkajsTransport } from '@integration-ledger/sdk'
import { type Clock, type Logger, systemClock } from '@integration-ledger/core'
import { createMetricsRegistry, serviceLoggerOptions } from '@integration-ledger/service-kit'
import { type LoggerOptions, pino } from 'pino'
import type pg from 'pg'
import type { Registry } from 'prom-client'
import type { ReconcilerConfig } from './config.js'
import { LocalStore } from './db/local-store.js'
import { migrateReconciler } from './db/schema.js'
import { checkpointSeconds } from './catchup/types.js'
import { ReconcilerMetrics } from './metrics.js'
import { ReviewService } from './review/review-service.js'
import { Reconciler } from './run/reconciler.js'
import { type ConfiguredTarget, buildTargets } from './targets.js'

/** Everything a run, a resolution or a route needs; shared by the service and the CLI. */
export interface ReconcilerCore {
  config: ReconcilerConfig
  pool: pg.Pool
  registry: Registry
  metrics: ReconcilerMetrics
  reconciler: Reconciler
  review: ReviewService
  targets: Map<string, ConfiguredTarget>
  /** The named admin tokens the API accepts besides `RECONCILER_TOKENS`. */
  tokens: AdminTokenStore
  /** Where starts and resolutions are recorded, by the API and the CLI alike. */
  audit: AuditLog
  close(): Promise<void>
}

/** What a test or the CLI may put in place of the defaults. */
export interface ReconcilerCoreOptions {
  /** The time catch-up windows are judged by. @default systemClock */
  clock?: Clock
  /** @default a pino logger at LOG_LEVEL */
  logger?: Logger
}

/** Connects the pool and the publisher, applies the schema and builds the targets. */
export async function startReconcilerCore(
  config: ReconcilerConfig,
  coreOptions: ReconcilerCoreOptions = {},
): Promise<ReconcilerCore> {
  const pool = createPool({ connectionString: config.databaseUrl, max: 6 })
  try {
    await migrateReconciler(pool)
    await migrateAccess(pool)
    const clock = coreOptions.clock ?? systemClock
    const logger =
      coreOptions.logger ?? pino(serviceLoggerOptions('reconciler', config.logLevel).logger as LoggerOptions)
    const registry = createMetricsRegistry('reconciler')
    const metrics = new ReconcilerMetrics(registry, () => clock.now())
    const codec = new EnvelopeCodec({ url: config.schemaRegistryUrl })
    const publisher = await LedgerPublisher.connect({
      transport: createKafkajsTransport({ brokers: config.kafkaBrokers, clientId: 'ledger-reconciler' }),
      codec,
    })
    for (const topic of new Set(config.sources.map((s) => s.topic))) await codec.register(topic)
    const local = new LocalStore(pool)
    const reconciler = new Reconciler({
      pool,
      local,
      publisher,
      metrics,
      clock,
      logger,
      afterRun: () => review.open(),
    })
    // The gauge would otherwise be absent after a restart until the next success, hiding a
    // reconciler that keeps failing from the overdue alert.
    for (const { source, entityType, finishedAt } of await reconciler.runs.lastSuccesses()) {
      metrics.lastSuccess.set({ source, entity_type: entityType }, finishedAt.getTime() / 1000)
    }
    const targets = buildTargets(config, registry)
    // The age gauge must show a checkpoint ageing even when no run happens after a restart.
    for (const target of targets.values()) {
      if (target.catchUp !== undefined && target.catchUp.windowSeconds !== null) {
        metrics.catchUpWindow.set({ source: target.source }, target.catchUp.windowSeconds)
      }
    }
    for (const { source, checkpoint } of await reconciler.catchUps.checkpoints()) {
      const at = checkpointSeconds(checkpoint)
      if (at !== undefined && targets.get(source)?.catchUp !== undefined)
        metrics.catchUpCheckpoints.set(source, at)
    }
    // `afterRun` above reads it only when a run ends, by which time it exists.
    const review: ReviewService = new ReviewService({
      pool,
      local,
      reconciler,
      metrics,
      targets: (name) => targets.get(name),
    })
    await review.open()
    return {
      config,
      pool,
      registry,
      metrics,
      reconciler,
      review,
      targets,
      tokens: new AdminTokenStore(pool),
      audit: new AuditLog(pool, 'reconciler'),
      async close() {
        await Promise.allSettled([...targets.values()].map((t) => t.close()))
        await publisher.close()
        await pool.end()
      },
    }
  } catch (err) {
    await pool.end()
    throw err
  }
}
