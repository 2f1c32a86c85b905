import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { loadAdminConfig, startAdmin } from '@integration-ledger/admin'
import { loadIngestConfig, startIngest } from '@integration-ledger/ingest'
import { buildProjectorApp, loadProjectorConfig } from '@integration-ledger/projector'
import { buildReconcilerApp, loadReconcilerConfig, startReconcilerCore } from '@integration-ledger/reconciler'
import {
  cleanupScope,
  createTestDatabase,
  DEFAULT_TARGETS,
  serviceEnv,
  stackEnv,
  startPrometheus,
  uniqueName,
  waitFor,
} from '@integration-ledger/testing'

interface PromQueryResult {
  data: { result: { metric: Record<string, string>; value: [number, string] }[] }
}

/** Listens on an ephemeral port and returns `127.0.0.1:<port>`. */
async function listen(app: { listen(o: { host: string; port: number }): Promise<string> }): Promise<string> {
  return new URL(await app.listen({ host: '127.0.0.1', port: 0 })).host
}

describe(
  'Prometheus scrapes every service',
  { skip: !process.env.PROMETHEUS_URL && 'prometheus is not installed' },
  () => {
    it('reports each service up and exposes ledger metrics', async (test) => {
      const t = cleanupScope(test)
      const stack = stackEnv()
      const databaseUrl = await createTestDatabase(t, stack.databaseUrl)
      const env = serviceEnv(databaseUrl, stack)
      const ingest = await startIngest(loadIngestConfig(env))
      t.after(() => ingest.close())
      const admin = await startAdmin(
        loadAdminConfig({ ...env, LEDGER_ADMIN_TOKEN: 'scrape-test-token-123456' }),
      )
      t.after(() => admin.close())
      const { app: projector } = await buildProjectorApp(
        loadProjectorConfig({ ...env, PROJECTOR_GROUP_ID: uniqueName('scrape') }),
      )
      t.after(() => projector.close())
      // Without an API key it schedules nothing and calls no provider: health, review and metrics.
      const reconcilerCore = await startReconcilerCore(
        loadReconcilerConfig({ ...env, RECONCILER_TOKENS: 'scrape=scrape-test-token-123456' }),
      )
      t.after(() => reconcilerCore.close())
      const reconciler = await buildReconcilerApp(reconcilerCore)
      t.after(() => reconciler.close())

      const targets = [
        { job: 'ingest', address: await listen(ingest) },
        { job: 'admin', address: await listen(admin) },
        { job: 'projector', address: await listen(projector) },
        { job: 'reconciler', address: await listen(reconciler) },
      ]
      const jobs = targets.map((target) => target.job).sort()
      // The same services `npm start`'s Prometheus scrapes, each on an ephemeral port here.
      assert.deepEqual(DEFAULT_TARGETS.map((target) => target.job).sort(), jobs)
      const prometheus = await startPrometheus({ targets, throwaway: true })
      t.after(() => prometheus.kill())

      const query = async (promql: string) => {
        const res = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(promql)}`)
        return ((await res.json()) as PromQueryResult).data.result
      }
      const up = await waitFor(
        async () => {
          const result = await query('up')
          return result.length === targets.length && result.every((r) => r.value[1] === '1')
            ? result
            : undefined
        },
        { timeoutMs: 45_000, intervalMs: 500, description: 'every target up in Prometheus' },
      )
      assert.deepEqual(up.map((r) => r.metric.job).sort(), jobs)

      // The services label their own metrics, so dashboards can tell replicas' series apart.
      const processMetrics = await query('process_resident_memory_bytes')
      assert.deepEqual(processMetrics.map((r) => r.metric.service).sort(), jobs)
      // The reconciler's own series, as the reconciliation alerts read them.
      const reviewOpen = await query('ledger_reconcile_review_open')
      assert.deepEqual(
        reviewOpen.map((r) => [r.metric.job, r.value[1]]),
        [['reconciler', '0']],
      )
    })
  },
)
