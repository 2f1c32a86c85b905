import { systemClock, type Clock } from '@integration-ledger/core'
import type { LedgerPublisher } from '@integration-ledger/sdk'
import {
  httpServerOptions,
  installErrorHandler,
  registerHealthRoutes,
  registerOpenApi,
  serviceLoggerOptions,
} from '@integration-ledger/service-kit'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type pg from 'pg'
import { pino, type LoggerOptions, type Logger as PinoLogger } from 'pino'
import type { Registry } from 'prom-client'
import type { BrokerHealth } from './broker-health.js'
import type { IngestConfig } from './config.js'
import { OverloadGuard } from './guards/overload-guard.js'
import { RateLimiter } from './guards/rate-limiter.js'
import type { Intake } from './intake/intake.js'
import type { IngestMetrics } from './metrics.js'
import { intakeRoutes } from './routes/intake-routes.js'
import type { SourceRegistry } from './sources/index.js'

export interface IngestAppOptions {
  config: IngestConfig
  sources: SourceRegistry
  publisher: LedgerPublisher
  intake: Intake
  broker: BrokerHealth
  pool: pg.Pool
  registry: Registry
  metrics: IngestMetrics
  /** The service logger, shared with the components built before the app (see `ingestLogger`). */
  logger: PinoLogger
  clock?: Clock
}

/** The ingest service's pino logger (labels, redaction), made before the app so components share it. */
export function ingestLogger(level: string): PinoLogger {
  return pino(serviceLoggerOptions('ingest', level).logger as LoggerOptions)
}

/** The ingest HTTP application. It never listens: server.ts does, tests use inject or listen(0). */
export async function buildIngestApp(options: IngestAppOptions): Promise<FastifyInstance> {
  const { config } = options
  const { genReqId, requestIdHeader, logController } = serviceLoggerOptions('ingest', config.logLevel)
  const requestIds = { genReqId, requestIdHeader, logController }
  // Typed as the base logger: the pino type would make this app incompatible with shared plugins.
  const loggerInstance: FastifyBaseLogger = options.logger
  const app: FastifyInstance = Fastify({
    ...requestIds,
    ...httpServerOptions(config.http),
    loggerInstance,
    bodyLimit: config.maxBodyBytes,
  })
  installErrorHandler(app)
  await registerOpenApi(app, {
    title: 'integration-ledger ingest',
    description:
      "Takes in signed provider webhooks (POST /webhooks/{source}) and other services' events (POST /events), and stores each in Kafka before answering 2xx. Every error answer is an ErrorBody.",
    packageJson: new URL('../package.json', import.meta.url),
    defaultUrl: 'http://127.0.0.1:8080',
  })
  app.addHook('onResponse', async (request, reply) => {
    options.metrics.httpResponses.inc({
      route: request.routeOptions.url ?? '(unmatched)',
      code: String(reply.statusCode),
    })
  })
  registerHealthRoutes(app, {
    registry: options.registry,
    checks: [
      { name: 'kafka', check: () => options.broker.available },
      { name: 'database', check: async () => (await options.pool.query('SELECT 1')).rowCount === 1 },
    ],
  })
  const guard = new OverloadGuard({
    maxInFlight: config.maxInFlight,
    maxEventLoopDelayMs: config.maxEventLoopDelayMs,
    maxInFlightBytes: config.maxInFlightBytes,
  })
  app.addHook('onClose', async () => guard.close())
  const clock = options.clock ?? systemClock
  const maxBodyBytes = Math.max(config.maxBodyBytes, ...options.sources.list().map((s) => s.maxBodyBytes))
  await app.register(intakeRoutes, {
    sources: options.sources,
    intake: options.intake,
    publisher: options.publisher,
    broker: options.broker,
    metrics: options.metrics,
    limiter: new RateLimiter(clock),
    guard,
    clock,
    produceTimeoutMs: config.produceTimeoutMs,
    retryAfterSeconds: config.retryAfterSeconds,
    maxBodyBytes,
    eventClients: config.eventClients,
    eventsTopic: config.eventsTopic,
    recoveryTokens: config.recoveryTokens,
  })
  return app
}
