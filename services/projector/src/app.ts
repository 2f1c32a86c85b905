import {
  createMetricsRegistry,
  httpServerOptions,
  installErrorHandler,
  registerHealthRoutes,
  registerOpenApi,
  serviceLoggerOptions,
} from '@integration-ledger/service-kit'
import Fastify, { type FastifyInstance } from 'fastify'
import type { ProjectorConfig } from './config.js'
import { startProjector, type Projector, type ProjectorHooks } from './projector.js'

export interface ProjectorApp {
  app: FastifyInstance
  projector: Projector
}

/** Builds the projector: the consumer plus its health and metrics endpoints. Does not listen. */
export async function buildProjectorApp(
  config: ProjectorConfig,
  hooks: ProjectorHooks = {},
): Promise<ProjectorApp> {
  const app = Fastify({
    ...serviceLoggerOptions('projector', config.logLevel),
    ...httpServerOptions(config.http),
  })
  const registry = createMetricsRegistry('projector')
  installErrorHandler(app)
  await registerOpenApi(app, {
    title: 'integration-ledger projector',
    description: 'Applies ledger events to PostgreSQL projections; over HTTP only health and metrics.',
    packageJson: new URL('../package.json', import.meta.url),
    defaultUrl: 'http://127.0.0.1:8082',
  })
  const projector = await startProjector(config, app.log, registry, hooks)
  registerHealthRoutes(app, {
    registry,
    checks: [
      { name: 'database', check: () => projector.isReady() },
      // A consumer that crashed for good must take the projector out of rotation.
      { name: 'consumer', check: () => projector.isConsuming() },
    ],
  })
  app.addHook('onClose', async () => projector.close())
  return { app, projector }
}
