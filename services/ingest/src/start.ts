import type { Logger } from '@integration-ledger/core'
import { createPool } from '@integration-ledger/postgres'
import {
  EnvelopeCodec,
  LedgerPublisher,
  createKafkajsTransport,
  declareTopology,
} from '@integration-ledger/sdk'
import { createMetricsRegistry } from '@integration-ledger/service-kit'
import type { FastifyInstance } from 'fastify'
import { Keyring, SourceStore, migrateSourceStore } from '@integration-ledger/source-store'
import { buildIngestApp, ingestLogger } from './app.js'
import { BrokerHealth, kafkaProbe } from './broker-health.js'
import type { IngestConfig } from './config.js'
import { assertNoWebhookSourceGranted } from './event-clients.js'
import { DeliveryStore } from './dedup/delivery-store.js'
import { migrateDeliveries } from './dedup/migrate.js'
import { Intake } from './intake/intake.js'
import { IngestMetrics } from './metrics.js'
import { AdminSourceSync } from './sources/admin-sources.js'
import { SourceRegistry, loadSourcesFile } from './sources/index.js'

/**
 * Wires the ingest service from its configuration: sources, topics, schema, producer, dedup store,
 * HTTP app. Closing the app flushes the producer and closes every connection.
 */
export async function startIngest(
  config: IngestConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<FastifyInstance> {
  const fileSources = config.sourcesFile ? (await loadSourcesFile(config.sourcesFile, env)).sources : []
  assertNoWebhookSourceGranted(
    config.eventClients.values(),
    fileSources.map((s) => s.name),
    (client) => config.explicitlyGrantedClients.has(client),
  )
  const sources = new SourceRegistry(fileSources)
  const logger = ingestLogger(config.logLevel)
  const pool = createPool({
    logger,
    connectionString: config.databaseUrl,
    max: config.dbPoolSize,
    connectionTimeoutMillis: 2000,
    // Dedup rows are a guard, not the record of truth (Kafka is): not waiting for the WAL flush
    // halves the claim latency; a PostgreSQL crash may forget the last few hundred milliseconds of
    // claims, after which a redelivery could be published twice (consumers dedupe by event ID).
    // The dedup statements are prepared once per connection and only ever look rows up by key;
    // without enable_seqscan=off a generic plan made while the table was still empty keeps
    // scanning it whole as it grows (measured: throughput halved within a 10 s benchmark).
    options: '-c synchronous_commit=off -c enable_seqscan=off',
  })
  await migrateDeliveries(pool)
  const registry = createMetricsRegistry('ingest')
  const metrics = new IngestMetrics(registry)
  let sync: AdminSourceSync | undefined
  if (config.masterKeys) {
    await migrateSourceStore(pool)
    const store = new SourceStore(pool, Keyring.parse(config.masterKeys))
    sync = new AdminSourceSync({
      store,
      registry: sources,
      fileSources,
      connectionString: config.databaseUrl,
      pollMs: config.sourcesPollMs,
      logger,
      onListening: (listening) => metrics.sourcesListening.set(listening ? 1 : 0),
    })
    await sync.start()
  } else {
    logger.info({}, 'LEDGER_MASTER_KEYS unset: serving file sources only, not admin-created ones')
  }

  const transport = createKafkajsTransport(
    { brokers: config.kafkaBrokers, clientId: 'ledger-ingest', compression: config.produceCompression },
    logger,
  )
  const admin = transport.admin()
  await admin.connect()
  const topics = [...new Set([...sources.list().map((s) => s.topic), config.eventsTopic])]
  await admin.ensureTopics(
    declareTopology({ eventTopics: topics, replicationFactor: config.kafkaReplicationFactor }),
  )
  await admin.disconnect()

  const probe = kafkaProbe(config.kafkaBrokers)
  const broker = new BrokerHealth({
    probe: () => probe.run(),
    intervalMs: config.brokerProbeIntervalMs,
    logger,
    onChange: (available) => metrics.brokerAvailable.set(available ? 1 : 0),
    // Read only once started, after the publisher exists.
    producerWaitMs: () => publisher.unansweredMs,
    // Longer than callers wait: each of them is answered 503 already.
    maxProducerWaitMs: config.produceTimeoutMs,
  })
  const codec = new EnvelopeCodec({ url: config.schemaRegistryUrl })
  const publisher = await LedgerPublisher.connect({
    transport,
    codec,
    batching: {
      lingerMs: config.produceLingerMs,
      onBatch: ({ records, ok }) => {
        metrics.batchRecords.observe(records)
        // An answer proves the broker is back before the next probe does. A refused record does
        // not prove it down (the transport resends through outages, so what fails was refused: a
        // missing topic, a record too large), and one source's bad record must not answer 503
        // for every source.
        if (ok) broker.report(true)
      },
    },
  })
  broker.start()
  for (const topic of topics) await codec.register(topic)

  const deliveries = new DeliveryStore({ pool, leaseMs: config.dedupLeaseMs, logger })
  const intake = new Intake({
    store: deliveries,
    publisher,
    broker,
    metrics,
    logger,
    produceTimeoutMs: config.produceTimeoutMs,
    retryAfterMs: config.retryAfterSeconds * 1000,
    leaseMs: config.dedupLeaseMs,
  })
  const app = await buildIngestApp({
    config,
    sources,
    publisher,
    intake,
    broker,
    pool,
    registry,
    metrics,
    logger,
  })

  const stopPruning = pruneAcceptedDeliveries(deliveries, config.dedupRetentionMs, logger)

  app.addHook('onClose', async () => {
    stopPruning()
    broker.stop()
    sync?.close()
    intake.close()
    await publisher.close()
    await probe.close()
    await deliveries.idle()
    await pool.end()
  })
  return app
}

/** How often accepted deliveries older than the retention are deleted. */
const PRUNE_INTERVAL_MS = 3_600_000

/**
 * Deletes deliveries accepted longer ago than the retention, hourly, so the dedup table does not grow
 * for ever; a redelivery after that long is published again (with the same event ID, which
 * consumers recognise). Returns a function that stops it.
 */
function pruneAcceptedDeliveries(store: DeliveryStore, retentionMs: number, logger: Logger): () => void {
  const timer = setInterval(() => {
    store.prune(retentionMs).then(
      (deleted) => logger.info({ deleted, retentionMs }, 'pruned accepted deliveries past their retention'),
      (err: unknown) => logger.warn({ err }, 'could not prune old deliveries; will try again in an hour'),
    )
  }, PRUNE_INTERVAL_MS)
  timer.unref()
  return () => clearInterval(timer)
}
