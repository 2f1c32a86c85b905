// Helpers shared by the failover tests: a three-node cluster the test owns with the stack around
// it, Stripe-shaped deliveries with their oracle, a sender that retries as a provider does, and
// the partition state (leader, ISR) as the cluster's metadata says.
import assert from 'node:assert/strict'
import { eventIdFor } from '@integration-ledger/core'
import { createKafkajsTransport, declareTopology } from '@integration-ledger/sdk'
import {
  type CleanupHost,
  type OwnedKafkaCluster,
  type StackEnv,
  serviceEnv,
  signStripe,
  stackEnv,
  startKafkaCluster,
} from '@integration-ledger/testing'
import kafkajs from 'kafkajs'
import type pg from 'pg'

// kafkajs is CommonJS: its enums are reachable from the default export only.
const { Kafka, logLevel } = kafkajs

export const STRIPE_SECRET = 'whsec_failover_test_secret_0123456789'

/**
 * A throwaway three-node KRaft cluster (SIGKILLed when the test ends) and the stack the services
 * get with it: the shared registry and PostgreSQL, and replication factor 3, so the topics they
 * declare have 3 replicas and `min.insync.replicas` 2, as on `LEDGER_KAFKA_NODES=3`.
 */
export async function ownedCluster(t: CleanupHost): Promise<{ cluster: OwnedKafkaCluster; stack: StackEnv }> {
  const cluster = await startKafkaCluster({ nodes: 3, throwaway: true, log: () => {} })
  t.after(() => cluster.kill())
  const stack = { ...stackEnv(), kafkaBrokers: cluster.brokers.split(','), kafkaReplicationFactor: 3 }
  return { cluster, stack }
}

/**
 * Declares the events topic and the projector group's retry and DLQ topics on the cluster as the
 * services would (3 replicas, min ISR 2), so both services can start at once. The cluster is
 * thrown away with its topics.
 */
export async function declareClusterTopics(stack: StackEnv, topic: string, groupId: string): Promise<void> {
  const admin = createKafkajsTransport({ brokers: stack.kafkaBrokers }).admin()
  await admin.connect()
  try {
    await admin.ensureTopics(
      declareTopology({
        eventTopics: [topic],
        consumerGroups: [groupId],
        replicationFactor: stack.kafkaReplicationFactor,
      }),
    )
  } finally {
    await admin.disconnect()
  }
}

/**
 * The environment both services get on the cluster: its brokers and replication factor 3, and no
 * load shedding on event-loop delay (this shared 2-core machine can stall a process for a second;
 * shedding is tested elsewhere, here a 503 must mean Kafka).
 */
export function clusterServiceEnv(databaseUrl: string, stack: StackEnv): Record<string, string> {
  return {
    ...serviceEnv(databaseUrl, stack),
    KAFKA_REPLICATION_FACTOR: String(stack.kafkaReplicationFactor),
    INGEST_MAX_EVENT_LOOP_DELAY_MS: '60000',
  }
}

export interface PartitionState {
  partition: number
  leader: number
  replicas: number[]
  isr: number[]
}

/** Leader, replicas and in-sync replicas of each partition of `topic`, as the cluster's metadata says. */
export async function partitionState(brokers: readonly string[], topic: string): Promise<PartitionState[]> {
  const admin = new Kafka({ brokers: [...brokers], logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics
    assert(meta, `no metadata for ${topic}`)
    return meta.partitions
      .map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr }))
      .sort((a, b) => a.partition - b.partition)
  } finally {
    await admin.disconnect()
  }
}

/** Records in `topic`: the sum of its partitions' high watermarks (nothing is ever deleted here). */
export async function recordsIn(brokers: readonly string[], topic: string): Promise<number> {
  const admin = new Kafka({ brokers: [...brokers], logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0)
  } finally {
    await admin.disconnect()
  }
}

/** One Stripe `customer.updated` delivery: customer `cus_<entity>` at version `version`. */
export interface Delivery {
  providerEventId: string
  customerId: string
  /** Stripe's `created`, the version the ledger orders a customer's events by. */
  created: number
  body: string
}

export function delivery(entity: number, version: number): Delivery {
  const providerEventId = `evt_failover_${entity}_${version}`
  const created = 1_790_000_000 + version
  const body = JSON.stringify({
    id: providerEventId,
    object: 'event',
    type: 'customer.updated',
    created,
    data: { object: { id: `cus_${entity}`, object: 'customer', version } },
  })
  return { providerEventId, customerId: `cus_${entity}`, created, body }
}

/** The sources file lines of the Stripe source `billing`, writing to `topic`. */
export const billingSource = (topic: string): string[] => [
  '  - name: billing',
  '    kind: stripe',
  `    secrets: ["${STRIPE_SECRET}"]`,
  `    topic: ${topic}`,
]

/** One answer of ingest, when it came (`Date.now()`). */
export interface Answer {
  providerEventId: string
  status: number
  retryAfter: string | null
  duplicate?: boolean
  at: number
}

/**
 * Posts `d` (freshly signed each time) to `base` until ingest answers 2xx, as a provider retries:
 * a 503 or 409 must carry Retry-After (the pause here is shortened to `pauseMs`, the test does not
 * wait as long as a provider would). Any other answer stops it with an error. Every answer is
 * appended to `answers`.
 */
export async function deliverUntilAccepted(
  base: string,
  d: Delivery,
  answers: Answer[],
  pauseMs = 200,
): Promise<Answer> {
  for (;;) {
    let res: Response
    try {
      res = await fetch(`${base}/webhooks/billing`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...signStripe({ body: d.body, secret: STRIPE_SECRET }),
        },
        body: d.body,
        signal: AbortSignal.timeout(30_000),
      })
    } catch (err) {
      throw new Error(`ingest did not answer delivery ${d.providerEventId}`, { cause: err })
    }
    const body = (await res.json().catch(() => ({}))) as { duplicate?: boolean }
    const answer: Answer = {
      providerEventId: d.providerEventId,
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      ...(body.duplicate === undefined ? {} : { duplicate: body.duplicate }),
      at: Date.now(),
    }
    answers.push(answer)
    if (res.status === 200 || res.status === 202) return answer
    if ((res.status !== 503 && res.status !== 409) || answer.retryAfter === null)
      throw new Error(`ingest answered ${d.providerEventId} ${res.status}: ${JSON.stringify(body)}`)
    await new Promise((resolve) => setTimeout(resolve, pauseMs))
  }
}

/**
 * The ledger holds each accepted delivery exactly once and nothing else, and every customer's
 * projection is at the newest version accepted for it (the oracle).
 */
export async function assertLedgerMatches(pool: pg.Pool, accepted: readonly Delivery[]): Promise<void> {
  const expected = new Set(accepted.map((d) => eventIdFor('billing', d.providerEventId)))
  const { rows: ledger } = await pool.query<{ event_id: string; n: number }>(
    'SELECT event_id, count(*)::int AS n FROM ledger_events GROUP BY event_id',
  )
  assert.deepEqual(
    ledger.filter((r) => r.n !== 1),
    [],
    'no event in the ledger twice',
  )
  const missing = [...expected].filter((id) => !ledger.some((r) => r.event_id === id))
  assert.deepEqual(missing, [], 'every delivery answered 2xx is in the ledger')
  assert.equal(ledger.length, expected.size, 'nothing in the ledger that was not accepted')

  const newest = new Map<string, Delivery>()
  for (const d of accepted) {
    const seen = newest.get(d.customerId)
    if (!seen || d.created > seen.created) newest.set(d.customerId, d)
  }
  const { rows: projections } = await pool.query<{
    entity_id: string
    version: string
    last_event_id: string
  }>('SELECT entity_id, version, last_event_id FROM projections')
  assert.equal(projections.length, newest.size, 'one projection per customer')
  for (const row of projections) {
    const d = newest.get(row.entity_id)
    assert(d, `unexpected entity ${row.entity_id}`)
    assert.equal(Number(row.version), d.created, `${row.entity_id} at its newest version`)
    assert.equal(row.last_event_id, eventIdFor('billing', d.providerEventId), `${row.entity_id} last event`)
  }
}

/** Rows in the ledger table, for `waitFor`. */
export async function ledgerRows(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM ledger_events')
  return rows[0]?.n ?? 0
}
