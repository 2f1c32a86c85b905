import {
  AdminTokenStore,
  AuditLog,
  adminIdentity,
  migrateAccess,
  protectOperatorApi,
} from '@integration-ledger/access'
import type { KafkaTransport } from '@integration-ledger/sdk'
import {
  httpServerOptions,
  errorResponse,
  installErrorHandler,
  jsonResponse,
  registerHealthRoutes,
  registerOpenApi,
  serviceLoggerOptions,
} from '@integration-ledger/service-kit'
import Fastify, { type FastifyInstance } from 'fastify'
import type pg from 'pg'
import type { Registry } from 'prom-client'
import { z } from 'zod'
import type { AdminConfig } from './config.js'
import { auditRoutes } from './routes/audit.js'
import { createDlqOperations } from './dlq/operations.js'
import { ENTITY_PARAM_MAX_LENGTH, entityRoutes } from './routes/entities.js'
import { dlqRoutes } from './routes/dlq.js'
import { healthPageRoutes, healthRoutes } from './routes/health.js'
import { sourceRoutes } from './routes/sources.js'
import { tokenRoutes } from './routes/tokens.js'

/** What admin route plugins are given. */
export interface AdminDeps {
  config: AdminConfig
  pool: pg.Pool
  transport: KafkaTransport
  metrics: Registry
}

/**
 * The admin HTTP application. Health routes and the health page's files are open; everything else
 * needs an admin token (`LEDGER_ADMIN_TOKEN`, acting as "bootstrap", or a named one) and every
 * state-changing route is audited (`protectOperatorApi` of `@integration-ledger/access`). Route plugins live in
 * routes/, one file per resource, each registered here; the DLQ routes and the health summary share
 * one `DlqOperations`.
 */
export async function buildAdminApp(deps: AdminDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...serviceLoggerOptions('admin', deps.config.logLevel),
    ...httpServerOptions(deps.config.http),
    routerOptions: { maxParamLength: ENTITY_PARAM_MAX_LENGTH },
  })
  installErrorHandler(app)
  await registerOpenApi(app, {
    title: 'integration-ledger admin',
    description:
      'Operate the ledger: sources and their secrets, entities and their history, the DLQ, named admin tokens and the audit log. Every route but the health routes and the health page needs an admin token.',
    packageJson: new URL('../package.json', import.meta.url),
    defaultUrl: 'http://127.0.0.1:8081',
  })
  registerHealthRoutes(app, {
    registry: deps.metrics,
    checks: [{ name: 'database', check: async () => (await deps.pool.query('SELECT 1')).rowCount === 1 }],
  })
  await migrateAccess(deps.pool)
  const tokens = new AdminTokenStore(deps.pool)
  const audit = new AuditLog(deps.pool, 'admin')
  // The health page's HTML and script hold no data; what it shows needs the token.
  await app.register(healthPageRoutes)
  const dlq = await createDlqOperations(app, deps)
  await app.register(async (api) => {
    protectOperatorApi(api, {
      tokens,
      audit,
      envTokens: [{ name: 'bootstrap', token: deps.config.adminToken }],
      envVariable: 'LEDGER_ADMIN_TOKEN',
      registry: deps.metrics,
    })
    // Lets an operator check a token without touching anything.
    const whoami = {
      schema: {
        tags: ['tokens'],
        summary: 'Who the token is',
        response: {
          200: jsonResponse(
            'The token is valid.',
            z.object({ authenticated: z.literal(true), name: z.string(), role: z.string() }),
          ),
          401: errorResponse('UNAUTHORIZED: no live admin token.'),
        },
      },
    }
    api.get('/whoami', whoami, async (request) => {
      const { name, role } = adminIdentity(request)
      return { authenticated: true, name, role }
    })
    // Route plugins: `await api.register(xRoutes, deps)` — one line per resource.
    await api.register(entityRoutes, deps)
    await api.register(dlqRoutes, { ...deps, dlq })
    await api.register(healthRoutes, { ...deps, dlq })
    await api.register(sourceRoutes, deps)
    await api.register(tokenRoutes, { tokens })
    await api.register(auditRoutes, { audit })
  })
  return app
}
