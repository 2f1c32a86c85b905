import { setTimeout as sleep } from 'node:timers/promises'
import { describe, it } from 'node:test'
import { buildProjectorApp, loadProjectorConfig } from '@integration-ledger/projector'
import { cleanupScope, stackEnv, startKafkaBroker, waitFor } from '@integration-ledger/testing'
import {
  assertMatchesOracle,
  assertNothingParked,
  ledgerCount,
  makeStorm,
  projectorFixture,
  publishAll,
  publishFirstHalf,
} from './projector-support.js'

describe('projector while Kafka restarts', () => {
  it('resumes by itself after the broker returns, applies everything once and parks nothing', async (test) => {
    const t = cleanupScope(test)
    // A broker this test owns: the shared one is never stopped.
    const broker = await startKafkaBroker({ throwaway: true, log: () => {} })
    t.after(() => broker.kill())
    const stack = { ...stackEnv(), kafkaBrokers: broker.brokers.split(',') }
    const { topic, groupId, env } = await projectorFixture(t, 'broker-outage', { stack })
    // After the restart the group waits for the member it lost to time out before rebalancing.
    const { app, projector } = await buildProjectorApp(
      loadProjectorConfig({ ...env, PROJECTOR_SESSION_TIMEOUT_MS: '6000' }),
    )
    t.after(() => app.close())

    const storm = makeStorm({ entities: 200, versions: 20, duplicateRatio: 0.3, seed: 23 })
    const rest = await publishFirstHalf(stack, topic, storm, projector.pool)

    await broker.stop()
    // Longer than the consumer's own retries take to run out without a broker.
    await sleep(10_000)
    await broker.start()
    await publishAll(stack, topic, rest)

    await waitFor(async () => (await ledgerCount(projector.pool)) >= storm.distinctEventIds.size, {
      timeoutMs: 90_000,
      description: 'every event applied after Kafka returned',
    })
    await assertMatchesOracle(projector.pool, storm)
    // The consumer crashed (retriably) during the outage; kafkajs restarted it and readiness follows.
    await waitFor(async () => (await app.inject({ url: '/readyz' })).statusCode === 200, {
      timeoutMs: 30_000,
      description: '/readyz 200 once the restarted consumer joined again',
    })
    await assertNothingParked(stack, groupId, 'a broker restart is no reason to retry or dead-letter')
  })
})
