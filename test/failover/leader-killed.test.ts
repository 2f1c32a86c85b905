import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, it } from 'node:test'
import {
  cleanupScope,
  createTestPool,
  uniqueName,
  waitFor,
  writeSourcesFile,
} from '@integration-ledger/testing'
import { assertNothingParked } from '../e2e/projector-support.js'
import { startService } from '../e2e/service-processes.js'
import {
  type Answer,
  type Delivery,
  assertLedgerMatches,
  billingSource,
  clusterServiceEnv,
  declareClusterTopics,
  deliverUntilAccepted,
  delivery,
  ledgerRows,
  ownedCluster,
  partitionState,
  recordsIn,
} from './cluster-support.js'

/** Customers the traffic updates, one version after another. */
const ENTITIES = 40
/** Senders posting at once, each one delivery at a time. */
const SENDERS = 6
/** Pause of each sender between two deliveries: steady traffic, not a flood. */
const PACE_MS = 20
/** Ingest's own bound on waiting for Kafka's acknowledgement before answering 503. */
const PRODUCE_TIMEOUT_MS = 5000
/**
 * How long after the cluster has failed over (no partition led by the dead node, two replicas in
 * sync) a 503 may still come: a request waiting for Kafka when the leader died is answered at
 * most its produce timeout later, and the broker probe needs an interval to report Kafka back.
 */
const AFTER_FAILOVER_GRACE_MS = PRODUCE_TIMEOUT_MS + 10_000

describe('the partition leader broker SIGKILLed under steady webhook traffic', () => {
  it('keeps ingest answering, loses and repeats nothing, and the projector catches up by itself', async (test) => {
    const t = cleanupScope(test)
    const t0 = Date.now()
    const marks: string[] = []
    const mark = (what: string) => marks.push(`${what} +${Date.now() - t0}`)
    const { cluster, stack } = await ownedCluster(t)
    mark('cluster')
    const { url: databaseUrl, pool } = await createTestPool(t, stack.databaseUrl)
    const topic = uniqueName('failover.events').replaceAll('_', '.')
    const groupId = uniqueName('failover-projector')
    await declareClusterTopics(stack, topic, groupId)
    mark('topics')
    const env = clusterServiceEnv(databaseUrl, stack)
    const sources = await writeSourcesFile(billingSource(topic))
    const [ingest] = await Promise.all([
      startService(t, 'ingest', {
        ...env,
        LEDGER_SOURCES: sources,
        INGEST_PRODUCE_TIMEOUT_MS: String(PRODUCE_TIMEOUT_MS),
        INGEST_RETRY_AFTER_SECONDS: '1',
      }),
      startService(t, 'projector', {
        ...env,
        PROJECTOR_TOPICS: topic,
        PROJECTOR_GROUP_ID: groupId,
        PROJECTOR_SESSION_TIMEOUT_MS: '10000',
      }),
    ])
    mark('services')
    const before = await partitionState(stack.kafkaBrokers, topic)
    assert(
      before.every((p) => p.replicas.length === 3 && p.isr.length === 3),
      'three replicas, all in sync',
    )

    // Steady traffic: each sender posts the next customer update until ingest accepts it (503 and
    // 409 are retried after a pause, as a provider would), and every tenth one once more.
    const answers: Answer[] = []
    const accepted: Delivery[] = []
    let next = 0
    let stopping = false
    const sender = async () => {
      while (!stopping) {
        const i = next++
        const d = delivery(i % ENTITIES, Math.floor(i / ENTITIES) + 1)
        await deliverUntilAccepted(ingest.url, d, answers)
        accepted.push(d)
        if (i % 10 === 0) {
          const again = await deliverUntilAccepted(ingest.url, d, answers)
          assert.equal(again.duplicate, true, `the redelivery of ${d.providerEventId} is a duplicate`)
        }
        await sleep(PACE_MS)
      }
    }
    const traffic = Promise.all(Array.from({ length: SENDERS }, sender))
    // A sender that fails (an unexpected answer) fails the phase being waited for at once.
    const trafficFailed = traffic.then(() => new Promise<never>(() => {}))
    trafficFailed.catch(() => {})
    const during = <T>(phase: Promise<T>) => Promise.race([phase, trafficFailed])
    t.after(async () => {
      stopping = true
      await traffic.catch(() => {})
    })
    const acceptedSince = (at: number) =>
      answers.filter((a) => a.at >= at && a.status < 300 && a.duplicate === false).length

    await during(
      waitFor(() => accepted.length >= 100, { timeoutMs: 60_000, description: '100 deliveries accepted' }),
    )

    mark('100')
    const leaderId = before.find((p) => p.partition === 0)?.leader
    const victim = cluster.nodes.find((n) => n.nodeId === leaderId)
    assert(victim, `the leader of partition 0 (${leaderId}) is one of the cluster's nodes`)
    const killedAt = Date.now()
    await victim.kill()

    // The controller fences the dead node (its 3 s session), elects new leaders from the ISR and
    // drops it from every ISR; two replicas in sync is what min ISR 2 needs to take writes.
    await during(
      waitFor(
        async () =>
          (await partitionState(stack.kafkaBrokers, topic)).every(
            (p) =>
              p.leader !== victim.nodeId &&
              p.leader >= 0 &&
              p.isr.length === 2 &&
              !p.isr.includes(victim.nodeId),
          ),
        { timeoutMs: 60_000, description: `every partition led without node ${victim.nodeId}` },
      ),
    )
    const failedOverAt = Date.now()
    mark('failover')
    await during(
      waitFor(() => acceptedSince(failedOverAt) >= 100, {
        timeoutMs: 60_000,
        description: '100 more deliveries accepted on two nodes',
      }),
    )

    mark('100 more')
    // The node comes back with its data, catches up and rejoins every ISR; traffic goes on.
    await victim.start()
    await during(
      waitFor(
        async () => (await partitionState(stack.kafkaBrokers, topic)).every((p) => p.isr.length === 3),
        {
          timeoutMs: 90_000,
          description: `node ${victim.nodeId} back in every ISR`,
        },
      ),
    )
    const rejoinedAt = Date.now()
    mark('rejoined')
    await during(
      waitFor(() => acceptedSince(rejoinedAt) >= 100, {
        timeoutMs: 60_000,
        description: '100 deliveries after the rejoin',
      }),
    )
    stopping = true
    await traffic
    mark('stopped')

    // Ingest kept answering: only 2xx, and 503 (or 409 while the first attempt was still in
    // flight) with Retry-After, and those only while the cluster was failing over.
    const refusals = answers.filter((a) => a.status >= 300)
    assert.deepEqual(
      refusals.filter((a) => a.at < killedAt),
      [],
      'no refusal before the kill',
    )
    assert.deepEqual(
      refusals.filter((a) => a.at > failedOverAt + AFTER_FAILOVER_GRACE_MS),
      [],
      'no refusal once the cluster had failed over',
    )
    const acceptances = new Map<string, number>()
    for (const a of answers)
      if (a.duplicate === false)
        acceptances.set(a.providerEventId, (acceptances.get(a.providerEventId) ?? 0) + 1)
    assert.deepEqual(
      [...acceptances].filter(([, n]) => n > 1),
      [],
      'no delivery accepted as new twice',
    )

    // The projector catches up without help, and the ledger is the oracle: every delivery
    // answered 2xx once, nothing else; the topic holds each exactly once too.
    await waitFor(async () => (await ledgerRows(pool)) >= accepted.length, {
      timeoutMs: 90_000,
      description: () => `the projector to apply all ${accepted.length} accepted deliveries`,
    })
    mark('caught up')
    await assertLedgerMatches(pool, accepted)
    assert.equal(await recordsIn(stack.kafkaBrokers, topic), accepted.length, 'each delivery once in Kafka')
    await assertNothingParked(stack, groupId, 'a broker failing over is no reason to retry or dead-letter')
    test.diagnostic(marks.join(', '))
    test.diagnostic(
      `${accepted.length} accepted; ${refusals.length} refusals (${refusals.filter((a) => a.status === 503).length} × 503) within ${
        refusals.length > 0 ? Math.max(...refusals.map((a) => a.at)) - killedAt : 0
      } ms of the kill; failover observed after ${failedOverAt - killedAt} ms`,
    )
  })
})
