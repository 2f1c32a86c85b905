import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { eventIdFor } from '@integration-ledger/core'
import { loadIngestConfig, startIngest } from '@integration-ledger/ingest'
import { buildProjectorApp, loadProjectorConfig } from '@integration-ledger/projector'
import {
  cleanupScope,
  createTestPool,
  serviceEnv,
  signStripe,
  stackEnv,
  uniqueName,
  waitFor,
  writeSourcesFile,
} from '@integration-ledger/testing'
import { Kafka, logLevel } from 'kafkajs'
import { ensureTestTopics } from './projector-support.js'

const SECRET = 'whsec_storm_test_secret_0123456789'
const ENTITIES = 50
const VERSIONS = 8
const RESEND_RATIO = 0.3

interface Delivery {
  eventId: string
  customerId: string
  created: number
  body: string
}

/** A Stripe-shaped storm: every customer updated VERSIONS times, shuffled, 30 % sent again. */
function makeDeliveries(seed: number): { sends: Delivery[]; distinct: Delivery[] } {
  let state = seed
  const random = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
  const distinct: Delivery[] = []
  for (let c = 0; c < ENTITIES; c++) {
    for (let v = 1; v <= VERSIONS; v++) {
      const id = `evt_storm_${c}_${v}`
      const created = 1_790_000_000 + v
      const body = JSON.stringify({
        id,
        object: 'event',
        type: 'customer.updated',
        created,
        data: { object: { id: `cus_${c}`, object: 'customer', version: v } },
      })
      distinct.push({ eventId: id, customerId: `cus_${c}`, created, body })
    }
  }
  const sends = [...distinct, ...distinct.filter(() => random() < RESEND_RATIO)]
  for (let i = sends.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[sends[i], sends[j]] = [sends[j]!, sends[i]!]
  }
  return { sends, distinct }
}

describe('a storm of duplicate and out-of-order Stripe deliveries through HTTP', () => {
  it('publishes each delivery once and ends with every projection at its newest version', async (test) => {
    const t = cleanupScope(test)
    const stack = stackEnv()
    const { url: databaseUrl, pool } = await createTestPool(t, stack.databaseUrl)
    const topic = uniqueName('storm.events').replaceAll('_', '.')
    const groupId = uniqueName('storm-projector')
    await ensureTestTopics(t, stack, topic, groupId)
    const sourcesFile = await writeSourcesFile([
      '  - name: billing',
      '    kind: stripe',
      `    secrets: ["${SECRET}"]`,
      `    topic: ${topic}`,
    ])
    const env = serviceEnv(databaseUrl, stack)
    const ingest = await startIngest(loadIngestConfig({ ...env, LEDGER_SOURCES: sourcesFile }))
    t.after(() => ingest.close())
    const base = await ingest.listen({ host: '127.0.0.1', port: 0 })
    const { app: projector } = await buildProjectorApp(
      loadProjectorConfig({ ...env, PROJECTOR_TOPICS: topic, PROJECTOR_GROUP_ID: groupId }),
    )
    t.after(() => projector.close())

    const { sends, distinct } = makeDeliveries(42)
    const answers: { status: number; duplicate?: boolean }[] = []
    for (let i = 0; i < sends.length; i += 50) {
      const wave = sends.slice(i, i + 50).map(async (d) => {
        const res = await fetch(`${base}/webhooks/billing`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...signStripe({ body: d.body, secret: SECRET }),
          },
          body: d.body,
        })
        answers.push({ status: res.status, ...((await res.json()) as { duplicate?: boolean }) })
      })
      await Promise.all(wave)
    }
    assert(
      answers.every((a) => a.status === 200 || a.status === 202),
      `every delivery answered 2xx: ${JSON.stringify(answers.filter((a) => a.status >= 300).slice(0, 3))}`,
    )
    assert.equal(
      answers.filter((a) => a.duplicate === false).length,
      distinct.length,
      'one acceptance per delivery',
    )
    assert.equal(answers.filter((a) => a.duplicate === true).length, sends.length - distinct.length)

    // Kafka holds each delivery once: re-sends were answered from the dedup state, not published.
    const admin = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
    t.after(() => admin.disconnect())
    const offsets = await admin.fetchTopicOffsets(topic)
    assert.equal(
      offsets.reduce((sum, o) => sum + Number(o.high), 0),
      distinct.length,
    )

    await waitFor(
      async () => {
        const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM ledger_events')
        return rows[0]?.n === distinct.length
      },
      { timeoutMs: 30_000, description: 'every event in the ledger' },
    )
    const { rows: projections } = await pool.query<{
      entity_id: string
      version: string
      last_event_id: string
    }>('SELECT entity_id, version, last_event_id FROM projections ORDER BY entity_id')
    assert.equal(projections.length, ENTITIES)
    for (const row of projections) {
      const newest = distinct
        .filter((d) => d.customerId === row.entity_id)
        .reduce((a, b) => (b.created > a.created ? b : a))
      assert.equal(Number(row.version), newest.created, `${row.entity_id} at its newest version`)
      assert.equal(row.last_event_id, eventIdFor('billing', newest.eventId))
    }
    const { rows: once } = await pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM (SELECT event_id FROM ledger_events GROUP BY event_id HAVING count(*) > 1) d',
    )
    assert.equal(once[0]?.n, 0, 'no event recorded twice')
  })
})
