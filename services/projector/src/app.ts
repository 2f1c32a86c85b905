import {
  createMetricsRegistry,
  httpServerOptions,
  installErrorHandler,
  registerHealthRoutes,
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
