import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { PermanentError, type LedgerEvent } from '@integration-ledger/core'
import { createTestPool, stackEnv, waitFor } from '@integration-ledger/testing'
import { DlqOperations, REPLAYED_FROM_HEADER } from '@integration-ledger/dlq'
import { connectRawProducer } from '@integration-ledger/sdk'
import { Registry } from 'prom-client'
import { consumerFixture, testEvent, type ConsumerFixture } from '../../sdk/test/consumer/helpers.js'

/** A "legacy" wire format the first consumer cannot read: JSON instead of registry Avro. */
const toLegacyJson = (event: LedgerEvent) =>
  Buffer.from(JSON.stringify({ ...event, rawBody: event.rawBody.toString('base64') }))

function decodeLegacyJson(value: Buffer): LedgerEvent {
  const wire = JSON.parse(value.toString('utf8')) as LedgerEvent & {
    rawBody: string
    occurredAt: string
    receivedAt: string
  }
  return {
    ...wire,
    occurredAt: new Date(wire.occurredAt),
    receivedAt: new Date(wire.receivedAt),
    rawBody: Buffer.from(wire.rawBody, 'base64'),
  }
}

async function dlqFixture(t: Parameters<typeof consumerFixture>[0]) {
  const f = await consumerFixture(t)
  const { pool } = await createTestPool(f.cleanup, stackEnv().databaseUrl, { max: 2 })
  const sink = await connectRawProducer(f.transport)
  f.cleanup.after(() => sink.close())
  const dlq = new DlqOperations({ transport: f.transport, codec: f.codec, pool, sink })
  await dlq.migrate()
  return { f, pool, dlq }
}

const waitForDlq = (dlq: DlqOperations, f: ConsumerFixture, n: number) =>
  waitFor(
    async () => {
      const { records } = await dlq.list(f.group)
      return records.length === n && records
    },
    { timeoutMs: 20_000, description: `${n} DLQ records` },
  )

describe('DLQ operations', () => {
  it('replays a poison record after a fix exactly once, even when replayed twice', async (t) => {
    const { f, pool, dlq } = await dlqFixture(t)
    const legacy = testEvent('legacy-1', 3)
    const first = await f.subscribe({ handleEvent: async () => {} })
    await f.produceRaw(toLegacyJson(legacy), legacy.entityId)
    const [poison] = await waitForDlq(dlq, f, 1)
    assert.equal(poison!.errorClass, 'DECODE_FAILED')
    assert.equal(poison!.failureKind, 'poison')
    assert.equal(poison!.status, 'pending')
    assert.ok(poison!.decodeError)
    await first.close()

    // The fix: a consumer that also understands the legacy format.
    const applied: string[] = []
    await f.subscribe({
      decode: async (value) => {
        try {
          return await f.codec.decode(value)
        } catch (err) {
          if (value[0] === 0x7b) return decodeLegacyJson(value)
          throw err
        }
      },
      handleEvent: async ({ event, record }) => {
        assert.equal(
          record.headers[REPLAYED_FROM_HEADER],
          `${f.group}.dlq/${poison!.partition}/${poison!.offset}`,
        )
        applied.push(event.eventId)
      },
    })
    const ref = { partition: poison!.partition, offset: poison!.offset }
    const progress: number[] = []
    const once = await dlq.replay(
      f.group,
      { records: [ref] },
      { actor: 'alice', onProgress: (p) => progress.push(p.done) },
    )
    const twice = await dlq.replay(f.group, { records: [ref] }, { actor: 'bob' })
    assert.deepEqual(
      [once.done.length, once.skipped.length, twice.done.length, twice.skipped.length],
      [1, 0, 0, 1],
    )
    assert.deepEqual(progress, [1])
    await waitFor(() => applied.length === 1)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    assert.deepEqual(applied, [legacy.eventId], 'applied exactly once')

    const { rows } = await pool.query<{
      action: string
      outcome: string
      actor: string
      target_topic: string
    }>('SELECT action, outcome, actor, target_topic FROM dlq_actions ORDER BY id')
    assert.deepEqual(rows, [
      { action: 'replay', outcome: 'done', actor: 'alice', target_topic: f.topic },
      { action: 'replay', outcome: 'skipped', actor: 'bob', target_topic: f.topic },
    ])
    const [after] = (await dlq.list(f.group)).records
    assert.equal(after!.status, 'replayed')
    assert.equal(after!.resolution?.actor, 'alice')
  })

  it('lists with filters, shows headers and envelope, discards with a reason', async (t) => {
    const { f, pool, dlq } = await dlqFixture(t)
    await f.subscribe({
      handleEvent: async ({ event }) => {
        throw new PermanentError('VALIDATION_FAILED', `entity ${event.entityId} is invalid`)
      },
    })
    const since = new Date(Date.now() - 1000)
    await f.publish([testEvent('bad-1', 1), testEvent('bad-2', 1)])
    await f.produceRaw(Buffer.from([0, 0, 0]))
    await waitForDlq(dlq, f, 3)
    assert.equal((await dlq.list(f.group, { errorClass: 'VALIDATION_FAILED' })).total, 2)
    assert.equal((await dlq.list(f.group, { errorClass: 'DECODE_FAILED' })).total, 1)
    assert.equal((await dlq.list(f.group, { source: 'test' })).total, 2)
    assert.equal((await dlq.list(f.group, { since })).total, 3)
    assert.equal((await dlq.list(f.group, { until: since })).total, 0)

    const [one] = (await dlq.list(f.group, { errorClass: 'VALIDATION_FAILED' })).records
    const detail = await dlq.show(f.group, one!)
    assert.equal(detail.headers['ledger-original-topic'], f.topic)
    assert.equal(detail.event?.source, 'test')
    assert.match(detail.errorMessage ?? '', /is invalid/)
    await assert.rejects(dlq.show(f.group, { partition: 0, offset: '999' }), /holds no record 0:999/)

    await assert.rejects(dlq.discard(f.group, { records: [one!] }, { actor: 'carol' }), /needs a reason/)
    const discarded = await dlq.discard(
      f.group,
      { filter: { errorClass: 'VALIDATION_FAILED' } },
      { actor: 'carol', reason: 'test data' },
    )
    assert.equal(discarded.done.length, 2)
    assert.equal((await dlq.list(f.group, { status: 'pending' })).total, 1)
    // A discarded record is not replayed afterwards.
    const replay = await dlq.replay(f.group, { records: [one!] }, { actor: 'dave' })
    assert.deepEqual([replay.done.length, replay.skipped.length], [0, 1])
    const { rows } = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM dlq_actions WHERE action = 'discard' AND reason = 'test data'`,
    )
    assert.equal(rows[0]?.n, '2')
  })
})

describe('DLQ operations: metrics', () => {
  it('ages the oldest pending record between reads, so an alert on its age fires without a list', async (t) => {
    const f = await consumerFixture(t)
    const { pool } = await createTestPool(f.cleanup, stackEnv().databaseUrl, { max: 2 })
    const sink = await connectRawProducer(f.transport)
    f.cleanup.after(() => sink.close())
    const registry = new Registry()
    const dlq = new DlqOperations({ transport: f.transport, codec: f.codec, pool, sink, metrics: registry })
    await dlq.migrate()
    await f.subscribe({ handleEvent: async () => {} })
    await f.produceRaw(Buffer.from('not an envelope'), 'poison-age')
    await waitForDlq(dlq, f, 1)
    const age = async () => {
      const metric = await registry.getSingleMetric('ledger_dlq_oldest_pending_age_seconds')?.get()
      return metric?.values.find((v) => v.labels.group === f.group)?.value ?? Number.NaN
    }
    const first = await age()
    await sleep(1_100)
    // No list, replay or discard in between: only the scrape.
    const second = await age()
    assert.ok(second >= first + 1, `age ${first}s, then ${second}s a second later`)
    assert.equal(
      (await registry.getSingleMetric('ledger_dlq_pending_records')?.get())?.values.find(
        (v) => v.labels.group === f.group,
      )?.value,
      1,
    )
  })
})
