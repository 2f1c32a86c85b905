import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, it } from 'node:test'
import { buildProjectorApp, loadProjectorConfig } from '@integration-ledger/projector'
import { cleanupScope, startPostgresCluster, waitFor } from '@integration-ledger/testing'
import {
  assertMatchesOracle,
  assertNothingParked,
  projectorFixture,
  ledgerCount,
  makeStorm,
  publishAll,
  publishFirstHalf,
} from './projector-support.js'

/** The issue asks for PostgreSQL to be down for 30 s while records keep arriving. */
const OUTAGE_MS = 30_000

describe('projector while PostgreSQL is down', () => {
  it('sends nothing to the DLQ because of the outage and applies everything once it returns', async (test) => {
    const t = cleanupScope(test)
    // A cluster this test owns: stopping the machine's shared server is never an option.
    const cluster = await startPostgresCluster({ throwaway: true, database: 'ledger', log: () => {} })
    t.after(() => cluster.kill())

    const { stack, topic, groupId, env } = await projectorFixture(t, 'outage', { databaseUrl: cluster.url })
    const { app, projector } = await buildProjectorApp(loadProjectorConfig(env))
    t.after(() => app.close())

    const storm = makeStorm({ entities: 300, versions: 20, duplicateRatio: 0.3, seed: 11 })
    const rest = await publishFirstHalf(stack, topic, storm, projector.pool)

    await cluster.stop()
    await publishAll(stack, topic, rest)
    await sleep(OUTAGE_MS)
    const during = (await app.inject({ url: '/metrics' })).body
    assert.match(during, /^ledger_consumer_sink_breaker_open\{[^}]*\} 1$/m, 'the SDK held consumption')
    await cluster.start()

    await waitFor(async () => (await ledgerCount(projector.pool)) >= storm.distinctEventIds.size, {
      timeoutMs: 60_000,
      description: 'every event applied after PostgreSQL returned',
    })
    await assertMatchesOracle(projector.pool, storm)

    await assertNothingParked(stack, groupId, 'the outage paused consumption instead of failing records')
  })
})
