import {
  createMetricsRegistry,
  httpServerOptions,
  installErrorHandler,
  registerHealthRoutes,
  serviceLoggerOptions,
} from '@ledger/service-kit'
import Fastify, { type FastifyInstance } from 'fastify'
import type { ProjectorConfig } from './config.js'
import { startProjector, type Projector } from './projector.js'

export interface ProjectorApp {
  app: FastifyInstance
  projector: Projector
}

/** Builds the projector: the consumer plus its health and metrics endpoints. Does not listen. */
export async function buildProjectorApp(config: ProjectorConfig): Promise<ProjectorApp> {
  const app = Fastify({
    ...serviceLoggerOptions('projector', config.logLevel),
    ...httpServerOptions(config.http),
  })
  const registry = createMetricsRegistry('projector')
  installErrorHandler(app)
  const projector = await startProjector(config, app.log, registry)
  registerHealthRoutes(app, { registry, checks: [{ name: 'database', check: () => projector.isReady() }] })
  app.addHook('onClose', async () => projector.close())
  return { app, projector }
}
