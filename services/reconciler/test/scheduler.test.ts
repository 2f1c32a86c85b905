import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cleanupScope, createTestDatabase, serviceEnv, stackEnv } from '@integration-ledger/testing'
import { loadReconcilerConfig } from '../src/config.js'
import { startSchedule } from '../src/scheduler.js'
import { startReconcilerCore } from '../src/start.js'

const silent = { info: () => {}, warn: () => {} }

describe('startSchedule', () => {
  it('exports the interval of each scheduled source and entity type, for the overdue alert', async (test) => {
    const t = cleanupScope(test)
    const stack = stackEnv()
    const core = await startReconcilerCore(
      loadReconcilerConfig({
        ...serviceEnv(await createTestDatabase(t, stack.databaseUrl), stack),
        RECONCILER_SOURCES: JSON.stringify([
          // An hour: the test ends long before the first tick, so nothing calls the provider.
          { name: 'billing', kind: 'stripe', credentialEnv: 'SCHEDULE_TEST_KEY', intervalSeconds: 3600 },
          { name: 'on-demand', kind: 'stripe', credentialEnv: 'SCHEDULE_TEST_KEY' },
          { name: 'keyless', kind: 'stripe', credentialEnv: 'UNSET_KEY_FOR_TEST', intervalSeconds: 60 },
        ]),
        SCHEDULE_TEST_KEY: 'sk_test_schedule',
      }),
    )
    t.after(() => core.close())
    const stop = startSchedule(core.targets.values(), core.reconciler, silent, core.metrics)
    t.after(stop)

    const [metric] = (await core.registry.getMetricsAsJSON()).filter(
      (m) => m.name === 'ledger_reconcile_interval_seconds',
    )
    assert.ok(metric, 'ledger_reconcile_interval_seconds is exported')
    // Only what is actually scheduled: no series for on-demand or keyless sources.
    assert.deepEqual(
      metric.values.map((v) => ({ labels: v.labels, value: v.value })),
      [{ labels: { service: 'reconciler', source: 'billing', entity_type: 'customer' }, value: 3600 }],
    )
  })
})
