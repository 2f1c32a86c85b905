import { LedgerError } from '@ledger/core'
import {
  httpServerOptions,
  installErrorHandler,
  registerHealthRoutes,
  requireBearerToken,
  serviceLoggerOptions,
} from '@ledger/service-kit'
import Fastify, { type FastifyInstance } from 'fastify'
import { reviewRoutes } from './routes/review.js'
import { runRoutes } from './routes/runs.js'
import type { ReconcilerCore } from './start.js'

/** The reconciler's HTTP application: health open, runs and review behind the bearer tokens. */
export async function buildReconcilerApp(core: ReconcilerCore): Promise<FastifyInstance> {
  if (core.config.tokens.length === 0) {
    throw new LedgerError(
      'CONFIG_INVALID',
      'Invalid configuration; fix these environment variables:\n  RECONCILER_TOKENS: required (name=token pairs), unset',
    )
  }
  const app = Fastify({
    ...serviceLoggerOptions('reconciler', core.config.logLevel),
    ...httpServerOptions(core.config.http),
  })
  installErrorHandler(app)
  registerHealthRoutes(app, {
    registry: core.registry,
    checks: [{ name: 'database', check: async () => (await core.pool.query('SELECT 1')).rowCount === 1 }],
  })
  await app.register(async (api) => {
    requireBearerToken(api, core.config.tokens, 'RECONCILER_TOKENS')
    await api.register(runRoutes, core)
    await api.register(reviewRoutes, core)
  })
  return app
}
