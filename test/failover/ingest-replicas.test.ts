import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  cleanupScope,
  createTestPool,
  uniqueName,
  waitFor,
  writeSourcesFile,
} from '@integration-ledger/testing'
import { startService } from '../e2e/service-processes.js'
import {
  type Answer,
  assertLedgerMatches,
  billingSource,
  clusterServiceEnv,
  declareClusterTopics,
  deliverUntilAccepted,
  delivery,
  ledgerRows,
  ownedCluster,
  recordsIn,
} from './cluster-support.js'

const ENTITIES = 30
const VERSIONS = 5
/** Deliveries in flight at once (each to both replicas). */
const IN_FLIGHT = 10

describe('two ingest replicas on one database, each given every delivery at the same time', () => {
  it('puts exactly one event per delivery in the topic and the ledger', async (test) => {
    const t = cleanupScope(test)
    const { stack } = await ownedCluster(t)
    const { url: databaseUrl, pool } = await createTestPool(t, stack.databaseUrl)
    const topic = uniqueName('replicas.events').replaceAll('_', '.')
    const groupId = uniqueName('replicas-projector')
    await declareClusterTopics(stack, topic, groupId)
    const env = clusterServiceEnv(databaseUrl, stack)
    const sources = await writeSourcesFile(billingSource(topic))
    // A produce timeout far above what the cluster takes on a busy machine: a 503 here would
    // only blur which replica accepted a delivery.
    const ingestEnv = {
      ...env,
      LEDGER_SOURCES: sources,
      INGEST_PRODUCE_TIMEOUT_MS: '30000',
      INGEST_RETRY_AFTER_SECONDS: '1',
    }
    const [a, b] = await Promise.all([
      startService(t, 'ingest', ingestEnv),
      startService(t, 'ingest', ingestEnv),
      startService(t, 'projector', { ...env, PROJECTOR_TOPICS: topic, PROJECTOR_GROUP_ID: groupId }),
    ])

    const deliveries = Array.from({ length: ENTITIES * VERSIONS }, (_, i) =>
      delivery(i % ENTITIES, Math.floor(i / ENTITIES) + 1),
    )
    const answers = { a: [] as Answer[], b: [] as Answer[] }
    for (let i = 0; i < deliveries.length; i += IN_FLIGHT) {
      await Promise.all(
        deliveries
          .slice(i, i + IN_FLIGHT)
          .flatMap((d) => [
            deliverUntilAccepted(a.url, d, answers.a, 50),
            deliverUntilAccepted(b.url, d, answers.b, 50),
          ]),
      )
    }

    // Each delivery accepted as new by exactly one replica; the other answered it as a duplicate
    // (409 with Retry-After while the first was still publishing it, then 200/202 duplicate).
    const all = [...answers.a, ...answers.b]
    for (const d of deliveries) {
      const fresh = all.filter((x) => x.providerEventId === d.providerEventId && x.duplicate === false)
      assert.equal(fresh.length, 1, `${d.providerEventId} accepted as new once`)
    }
    assert.equal(
      await recordsIn(stack.kafkaBrokers, topic),
      deliveries.length,
      'one record per delivery in Kafka',
    )
    await waitFor(async () => (await ledgerRows(pool)) >= deliveries.length, {
      timeoutMs: 60_000,
      description: 'every delivery in the ledger',
    })
    await assertLedgerMatches(pool, deliveries)
    const won = (xs: Answer[]) => xs.filter((x) => x.duplicate === false).length
    test.diagnostic(
      `accepted as new: replica a ${won(answers.a)}, replica b ${won(answers.b)}; ` +
        `409 busy: ${all.filter((x) => x.status === 409).length}; 503: ${all.filter((x) => x.status === 503).length}`,
    )
  })
})
