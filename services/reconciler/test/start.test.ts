import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cleanupScope, createTestDatabase, serviceEnv, stackEnv } from '@integration-ledger/testing'
import { loadReconcilerConfig } from '../src/config.js'
import { startReconcilerCore } from '../src/start.js'

describe('startReconcilerCore', () => {
  it('restores the last success time of each (source, entity type) from the runs table after a restart', async (test) => {
    const t = cleanupScope(test)
    const stack = stackEnv()
    const config = loadReconcilerConfig(serviceEnv(await createTestDatabase(t, stack.databaseUrl), stack))
    const first = await startReconcilerCore(config)
    // What earlier processes left: the newest complete success counts; a later failure, dry run or
    // windowed (--since) run does not, since none of them checked everything.
    await first.pool.query(
      `INSERT INTO reconcile_runs (id, source, entity_type, dry_run, status, started_by, started_at, finished_at)
       VALUES (gen_random_uuid(), 'billing', 'customer', false, 'succeeded', 'test', $1, $1),
              (gen_random_uuid(), 'billing', 'customer', false, 'succeeded', 'test', $2, $2),
              (gen_random_uuid(), 'billing', 'customer', false, 'failed', 'test', $3, $3),
              (gen_random_uuid(), 'billing', 'invoice', false, 'failed', 'test', $3, $3),
              (gen_random_uuid(), 'shop', 'order', false, 'running', 'test', $3, NULL)`,
      ['2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', '2026-01-03T00:00:00Z'],
    )
    await first.pool.query(
      `INSERT INTO reconcile_runs (id, source, entity_type, since, dry_run, status, started_by, started_at, finished_at)
       VALUES (gen_random_uuid(), 'billing', 'customer', NULL, true, 'succeeded', 'test', $1, $1),
              (gen_random_uuid(), 'billing', 'customer', $2, false, 'succeeded', 'test', $1, $1)`,
      ['2026-01-04T00:00:00Z', '2025-12-01T00:00:00Z'],
    )
    await first.close()

    const restarted = await startReconcilerCore(config)
    t.after(() => restarted.close())
    const [metric] = (await restarted.registry.getMetricsAsJSON()).filter(
      (m) => m.name === 'ledger_reconcile_last_success_timestamp_seconds',
    )
    assert.deepEqual(
      metric?.values.map((v) => ({ labels: v.labels, value: v.value })),
      [
        {
          labels: { service: 'reconciler', source: 'billing', entity_type: 'customer' },
          value: Date.parse('2026-01-02T00:00:00Z') / 1000,
        },
      ],
    )
  })
})
