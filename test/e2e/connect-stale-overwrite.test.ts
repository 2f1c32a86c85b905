import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildEvent } from '@integration-ledger/sdk'
import { buildProjectorApp, loadProjectorConfig } from '@integration-ledger/projector'
import { startConnectWorker } from '@integration-ledger/local-stack'
import { cleanupScope, createTestDatabase, uniqueName, waitFor } from '@integration-ledger/testing'
import pg from 'pg'
import {
  SINK_TABLE,
  createJdbcSink,
  failedTaskTrace,
  produceSinkRecords,
  toSinkRecords,
} from './connect-support.js'
import { ledgerCount, projectorFixture, publishAll } from './projector-support.js'

function accountEvent(entityId: string, version: number) {
  return buildEvent({
    source: 'stale',
    providerEventId: `${entityId}_v${version}`,
    type: 'account.updated',
    entityType: 'account',
    entityId,
    entityVersion: version,
    payload: { id: entityId, version },
  })
}

describe('the projector beside the Debezium JDBC sink (Kafka Connect), same events', () => {
  it('the connector lets a late, older event overwrite newer state; the projector keeps the highest version', async (test) => {
    const t = cleanupScope(test)
    // acct_late: v2, v3, then v1 arrives last (a provider's retry of an old delivery).
    // acct_inorder: v1, v2 in order, the control.
    const events = [
      accountEvent('acct_late', 2),
      accountEvent('acct_inorder', 1),
      accountEvent('acct_late', 3),
      accountEvent('acct_inorder', 2),
      accountEvent('acct_late', 1),
    ]

    const { stack, topic, env } = await projectorFixture(t, 'stale')
    const worker = await startConnectWorker({ brokers: stack.kafkaBrokers })
    t.after(() => worker.stop())
    const sinkDatabase = await createTestDatabase(t, stack.databaseUrl)
    const sinkPool = new pg.Pool({ connectionString: sinkDatabase, max: 1 })
    t.after(() => sinkPool.end())
    const { records, arrivals } = toSinkRecords(events)
    t.after(await produceSinkRecords(stack, `${topic}.json`, records))
    const connector = uniqueName('stale-sink')
    t.after(
      await createJdbcSink(worker.url, connector, { topic: `${topic}.json`, databaseUrl: sinkDatabase }),
    )

    await waitFor(
      async () => {
        const trace = await failedTaskTrace(worker.url, connector)
        if (trace) throw new Error(`connector task failed: ${trace}`)
        const table = await sinkPool.query<{ exists: boolean }>(
          `SELECT to_regclass($1) IS NOT NULL AS exists`,
          [SINK_TABLE],
        )
        if (!table.rows[0]?.exists) return false
        const { rows } = await sinkPool.query<{ entity_id: string; arrival: number }>(
          `SELECT entity_id, arrival FROM ${SINK_TABLE}`,
        )
        return rows.length === arrivals.size && rows.every((r) => r.arrival === arrivals.get(r.entity_id))
      },
      { timeoutMs: 45_000, description: 'the connector wrote the last record of each entity' },
    )
    const sink = await sinkPool.query<{ entity_id: string; version: string; state: unknown }>(
      `SELECT entity_id, version, state FROM ${SINK_TABLE} ORDER BY entity_id`,
    )
    assert.deepEqual(
      sink.rows.map((r) => [r.entity_id, Number(r.version)]),
      [
        ['acct_inorder', 2],
        ['acct_late', 1],
      ],
      'the connector: last write wins, so v1 replaced v3',
    )

    await publishAll(stack, topic, events)
    const { app, projector } = await buildProjectorApp(loadProjectorConfig(env))
    t.after(() => app.close())
    await waitFor(async () => (await ledgerCount(projector.pool)) >= events.length, {
      timeoutMs: 30_000,
      description: 'every event in the ledger',
    })
    const projections = await projector.pool.query<{ entity_id: string; version: string }>(
      `SELECT entity_id, version FROM projections ORDER BY entity_id`,
    )
    assert.deepEqual(
      projections.rows.map((r) => [r.entity_id, Number(r.version)]),
      [
        ['acct_inorder', 2],
        ['acct_late', 3],
      ],
      'the projector: the version rule keeps v3',
    )
    const late = await projector.pool.query<{ entity_version: string; outcome: string }>(
      `SELECT entity_version, outcome FROM ledger_events WHERE entity_id = 'acct_late' ORDER BY entity_version`,
    )
    assert.equal(late.rows.length, 3, 'and the ledger holds all three versions, v1 included')
  })
})
