import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildProjectorApp, loadProjectorConfig } from '@integration-ledger/projector'
import { createKafkajsTransport } from '@integration-ledger/sdk'
import { cleanupScope, uniqueName, waitFor } from '@integration-ledger/testing'
import {
  assertMatchesOracle,
  ensureTestTopics,
  ledgerCount,
  makeStorm,
  projectorFixture,
  publishAll,
} from './projector-support.js'

describe('projector storm: publisher → Kafka → projector → PostgreSQL', () => {
  it('ends with every projection equal to the oracle and every distinct event in the ledger once, also after a full replay', async (test) => {
    const t = cleanupScope(test)
    const { stack, topic, env } = await projectorFixture(t, 'storm')
    // 500 entities × 20 versions = 10,000 distinct events, plus 30 % re-sends of the same event
    // IDs: 13,000 records, shuffled, so versions arrive out of order on every partition.
    const storm = makeStorm({ entities: 500, versions: 20, duplicateRatio: 0.3 })

    const { app, projector } = await buildProjectorApp(loadProjectorConfig(env))
    t.after(() => app.close())
    // Published while the projector consumes, so batches end at arbitrary points of the storm.
    await publishAll(stack, topic, storm.events)

    await waitFor(async () => (await ledgerCount(projector.pool)) >= storm.distinctEventIds.size, {
      timeoutMs: 45_000,
      description: `${storm.distinctEventIds.size} ledger rows`,
    })
    await assertMatchesOracle(projector.pool, storm)

    const metrics = (await app.inject({ url: '/metrics' })).body
    const counted = [...metrics.matchAll(/^ledger_projector_events_total\{outcome="\w+"[^}]*\} (\d+)$/gm)]
    assert.equal(
      counted.reduce((sum, m) => sum + Number(m[1]), 0),
      storm.distinctEventIds.size,
      'outcome counters add up to the distinct events',
    )
    assert.match(metrics, /^ledger_projector_redeliveries_total\{[^}]*\} [1-9]\d*$/m)
    // Every record handled on its first delivery is timed once, from ingest's receipt to the commit.
    const observed = (name: string) =>
      Number(new RegExp(`^${name}_count(?:\\{[^}]*\\})? (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0)
    const timed = observed('ledger_projector_receipt_to_commit_seconds')
    assert.ok(
      timed >= storm.distinctEventIds.size && timed <= storm.events.length,
      `${timed} records timed from receipt to commit`,
    )
    assert.equal(observed('ledger_projector_fetch_delay_seconds'), timed)
    await app.close()

    // Replay: a new consumer group reads the whole topic again into the same database, as after an
    // offset reset. Every record is a redelivery now; nothing may change.
    const replayGroup = uniqueName('storm-replay')
    await ensureTestTopics(t, stack, topic, replayGroup)
    const replay = await buildProjectorApp(loadProjectorConfig({ ...env, PROJECTOR_GROUP_ID: replayGroup }))
    t.after(() => replay.app.close())
    const admin = createKafkajsTransport({ brokers: stack.kafkaBrokers }).admin()
    await admin.connect()
    t.after(() => admin.disconnect())
    const ends = new Map((await admin.topicOffsets(topic)).map((p) => [p.partition, p.high]))
    await waitFor(
      async () => {
        const committed = await admin.groupOffsets(replayGroup, topic)
        return committed.length === ends.size && committed.every((p) => p.offset === ends.get(p.partition))
      },
      { timeoutMs: 45_000, description: 'the replay group at the end of every partition' },
    )
    await assertMatchesOracle(replay.projector.pool, storm)
    const replayed = (await replay.app.inject({ url: '/metrics' })).body
    assert.match(
      replayed,
      new RegExp(`^ledger_projector_redeliveries_total\\{[^}]*\\} ${storm.events.length}$`, 'm'),
      'every replayed record recognised as a redelivery',
    )
  })
})
