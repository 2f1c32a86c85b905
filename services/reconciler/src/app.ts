import { protectOperatorApi } from '@integration-ledger/access'
import {
  httpServerOptions,
  installErrorHandler,
  registerHealthRoutes,
  registerOpenApi,
  serviceLoggerOptions,
} from '@integration-ledger/service-kit'
import Fastify, { type FastifyInstance } from 'fastify'
import { reviewRoutes } from './routes/review.js'
import { runRoutes } from './routes/runs.js'
import type { ReconcilerCore } from './start.js'

/**
 * The reconciler's HTTP application: health open; runs and review behind the named admin tokens
 * (the admin service's, from the shared database) and `RECONCILER_TOKENS`, every start and
 * resolution written to the shared audit log (`protectOperatorApi` of `@integration-ledger/access`).
 */
export async function buildReconcilerApp(core: ReconcilerCore): Promise<FastifyInstance> {
  const app = Fastify({
    ...serviceLoggerOptions('reconciler', core.config.logLevel),
    ...httpServerOptions(core.config.http),
  })
  installErrorHandler(app)
  await registerOpenApi(app, {
    title: 'integration-ledger reconciler',
    description:
      'Reconciliation runs (compare projections with the providers, repair safe drift through the ledger) and the review items they leave.',
    packageJson: new URL('../package.json', import.meta.url),
    defaultUrl: 'http://127.0.0.1:8083',
  })
  registerHealthRoutes(app, {
    registry: core.registry,
    checks: [{ name: 'database', check: async () => (await core.pool.query('SELECT 1')).rowCount === 1 }],
  })
  await app.register(async (api) => {
    protectOperatorApi(api, {
      tokens: core.tokens,
      audit: core.audit,
      envTokens: core.config.tokens,
      envVariable: 'RECONCILER_TOKENS',
      registry: core.registry,
    })
    await api.register(runRoutes, core)
    await api.register(reviewRoutes, core)
  })
  return app
}
