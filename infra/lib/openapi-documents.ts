// The services whose OpenAPI documents are committed under docs/openapi/, built in-process the way
// their server.ts builds them, with every optional route switched on, so `npm run openapi` and
// the test that the committed files are current (test/e2e/openapi.test.ts) read the same apps.
import { startAdmin, loadAdminConfig } from '@integration-ledger/admin'
import { loadIngestConfig, startIngest } from '@integration-ledger/ingest'
import type { StackEnv } from '@integration-ledger/local-stack'
import { buildReconcilerApp, loadReconcilerConfig, startReconcilerCore } from '@integration-ledger/reconciler'
import { OPENAPI_PATH } from '@integration-ledger/service-kit'
import { serviceEnv, writeSourcesFile } from '@integration-ledger/testing'
import type { FastifyInstance } from 'fastify'

/** The documented services, in the order their files are written. */
export const DOCUMENTED_SERVICES = ['ingest', 'admin', 'reconciler'] as const
export type DocumentedService = (typeof DOCUMENTED_SERVICES)[number]

/** docs/openapi/<service>.json from the repository root. */
export const documentPath = (service: DocumentedService) => `docs/openapi/${service}.json`

// Placeholders that switch the optional routes on; the documents never contain them.
const TOKEN = 'openapi-documents-token-0123456789'
const MASTER_KEYS = `k1:${Buffer.alloc(32, 7).toString('base64')}`

/** Builds one service's app against the stack and database `databaseUrl`; close it when done. */
export async function buildDocumentedApp(
  service: DocumentedService,
  databaseUrl: string,
  stack: StackEnv,
): Promise<{ app: FastifyInstance; close: () => Promise<void> }> {
  const env = { ...serviceEnv(databaseUrl, stack), LOG_LEVEL: 'silent' }
  switch (service) {
    case 'ingest': {
      const app = await startIngest(
        loadIngestConfig({
          ...env,
          LEDGER_SOURCES: await writeSourcesFile([]),
          INGEST_EVENT_TOKENS: `docs=${TOKEN}`,
          INGEST_RECOVERY_TOKENS: `docs=${TOKEN}`,
        }),
      )
      return { app, close: () => app.close() }
    }
    case 'admin': {
      const app = await startAdmin(
        loadAdminConfig({ ...env, LEDGER_ADMIN_TOKEN: TOKEN, LEDGER_MASTER_KEYS: MASTER_KEYS }),
      )
      return { app, close: () => app.close() }
    }
    case 'reconciler': {
      const core = await startReconcilerCore(
        loadReconcilerConfig({ ...env, RECONCILER_TOKENS: `docs=${TOKEN}` }),
      )
      const app = await buildReconcilerApp(core)
      return {
        app,
        close: async () => {
          await app.close()
          await core.close()
        },
      }
    }
  }
}

/** The document the app serves, as it serves it (`GET /openapi.json`, no token). */
export async function servedDocument(app: FastifyInstance): Promise<Record<string, unknown>> {
  const response = await app.inject({ url: OPENAPI_PATH })
  if (response.statusCode !== 200) {
    throw new Error(`GET ${OPENAPI_PATH} answered ${response.statusCode}: ${response.body.slice(0, 300)}`)
  }
  return response.json()
}
