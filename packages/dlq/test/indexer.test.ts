import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LedgerError, PermanentError } from '@integration-ledger/core'
import { createPool } from '@integration-ledger/postgres'
import {
  cleanupScope,
  createTestPool,
  stackEnv,
  startPostgresCluster,
  waitFor,
} from '@integration-ledger/testing'
import { DlqOperations, type DlqRecordView, REPLAYED_FROM_HEADER } from '@integration-ledger/dlq'
import { EnvelopeCodec, connectRawProducer, createKafkajsTransport, readTopic } from '@integration-ledger/sdk'
import { consumerFixture, testEvent } from '../../sdk/test/consumer/helpers.js'
import { DlqIndexStore } from '../src/index-store.js'
import { countingTransport } from './counting-transport.js'
import { syntheticDlq } from './synthetic-dlq.js'

const RECORDS = 100_000
const PARTITIONS = 6

interface PlanNode {
  'Node Type': string
  'Relation Name'?: string
  Plans?: PlanNode[]
}

/** Every node of an EXPLAIN (FORMAT JSON) plan, as `<node type> <relation>`. */
function planNodes(plan: PlanNode): string[] {
  return [`${plan['Node Type']} ${plan['Relation Name'] ?? ''}`, ...(plan.Plans ?? []).flatMap(planNodes)]
}

const byPosition = (a: DlqRecordView, b: DlqRecordView) =>
  a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset))

describe('DLQ index', () => {
  it('lists and shows pages of a 100,000-record DLQ reading only what each page needs', async (test) => {
    const t = cleanupScope(test)
    const stack = stackEnv()
    const real = createKafkajsTransport({ brokers: stack.kafkaBrokers, clientId: 'sdk-dlq-index-test' })
    const counting = countingTransport(real)
    const codec = new EnvelopeCodec({ url: stack.schemaRegistryUrl })
    const synthetic = await syntheticDlq(t, real, codec, PARTITIONS)
    const { group } = synthetic
    await synthetic.fill(0, RECORDS)

    const { pool } = await createTestPool(t, stack.databaseUrl, { max: 3 })
    const sink = await connectRawProducer(real)
    t.after(() => sink.close())
    const dlq = new DlqOperations({
      transport: counting.transport,
      codec,
      pool,
      sink,
    })
    await dlq.migrate()

    // The first read indexes the DLQ: each record is read from Kafka once.
    const first = await dlq.list(group, {}, { limit: 50 })
    assert.equal(counting.counts.records, RECORDS, 'the first read indexed every record once')

    counting.reset()
    const page1 = await dlq.list(group, {}, { limit: 50 })
    assert.equal(counting.counts.records, 0, 'listing a page of an indexed DLQ reads nothing from Kafka')
    const page2 = await dlq.list(group, {}, { limit: 50, after: page1.next })
    const shown = await dlq.show(group, page2.records[3]!)
    const alpha = await dlq.list(group, { source: 'alpha', status: 'pending' }, { limit: 20 })
    const poison = await dlq.list(group, { errorClass: 'DECODE_FAILED' }, { limit: 20, after: '3:100' })
    assert.deepEqual(
      counting.counts,
      { consumers: 0, records: 0, bytes: 0 },
      'an indexed DLQ is listed and shown without reading Kafka',
    )

    assert.equal(first.total, RECORDS)
    assert.equal(page1.records.length, 50)
    assert.equal(page2.records.length, 50)
    assert.deepEqual([...page1.records].sort(byPosition), page1.records, 'oldest partition/offset first')
    assert.deepEqual(
      page1.records.slice(0, 2).map((r) => [r.partition, r.offset]),
      [
        [0, '0'],
        [0, '1'],
      ],
    )
    const last = page1.records.at(-1)!
    assert.equal(page1.next, `${last.partition}:${last.offset}`)
    assert.deepEqual(
      [page2.records[0]!.partition, page2.records[0]!.offset],
      [0, '50'],
      'page 2 starts after page 1',
    )
    assert.equal(shown.partition, page2.records[3]!.partition)
    assert.equal(shown.offset, page2.records[3]!.offset)
    assert.match(shown.headers['ledger-error-message'] ?? '', /record \d+ refused/)
    assert.equal(shown.headers['ledger-consumer-group'], group)
    assert.equal(shown.event?.source, page2.records[3]!.event?.source)
    assert.ok(shown.valueBytes > 0)
    await assert.rejects(dlq.show(group, { partition: 0, offset: '999999' }), /holds no record 0:999999/)

    assert.equal(alpha.total, RECORDS / 10)
    assert.ok(alpha.records.every((r) => r.event?.source === 'alpha' && r.status === 'pending'))
    assert.equal(poison.total, RECORDS / 5)
    assert.ok(poison.records.every((r) => r.errorClass === 'DECODE_FAILED'))
    assert.ok(poison.records.every((r) => r.partition > 3 || (r.partition === 3 && BigInt(r.offset) > 100n)))

    // The page queries walk an index: no sequential scan of the DLQ index, no sort.
    await pool.query('ANALYZE dlq_index')
    const store = new DlqIndexStore(pool)
    for (const [filter, after] of [
      [{}, undefined],
      [{}, { partition: 2, offset: '9000' }],
      [{ source: 'alpha', status: 'pending' as const }, undefined],
      [{ errorClass: 'DECODE_FAILED' }, { partition: 3, offset: '100' }],
    ] as const) {
      const query = store.pageQuery(group, filter, { limit: 50, after })
      const { rows } = await pool.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
        `EXPLAIN (FORMAT JSON) ${query.text}`,
        query.values,
      )
      const nodes = planNodes(rows[0]!['QUERY PLAN'][0].Plan)
      assert.ok(
        !nodes.some((n) => /Seq Scan dlq_index|Sort/.test(n)),
        `plan for ${JSON.stringify(filter)}: ${nodes.join(', ')}`,
      )
      assert.ok(
        nodes.some((n) => /Index.*Scan dlq_index/.test(n)),
        `plan for ${JSON.stringify(filter)}: ${nodes.join(', ')}`,
      )
    }

    // A replay reads the span of its records from Kafka, not the DLQ.
    const [deep] = (await dlq.list(group, {}, { limit: 1, after: '5:15000' })).records
    const targets = [page2.records[3]!, deep!].map((r) => ({ partition: r.partition, offset: r.offset }))
    counting.reset()
    const replayed = await dlq.replay(group, { records: targets }, { actor: 'test' })
    assert.deepEqual(replayed.done, targets)
    const read: number = counting.counts.records
    assert.ok(read < RECORDS / 10, `a replay read ${read} records`)
    const produced = await readTopic(real, synthetic.originalTopic)
    assert.deepEqual(
      produced.map((r) => r.headers[REPLAYED_FROM_HEADER]).sort(),
      targets.map((r) => `${synthetic.dlqTopic}/${r.partition}/${r.offset}`).sort(),
    )
    assert.equal((await dlq.list(group, { status: 'replayed' })).total, 2)

    // Records dead-lettered after the last read: the next read indexes just those.
    await synthetic.fill(RECORDS, 10)
    counting.reset()
    const after = await dlq.list(group, {}, { limit: 1 })
    assert.equal(after.total, RECORDS + 10)
    assert.equal(counting.counts.records, 10, 'only the new records were read')
  })

  it('loses no DLQ record while PostgreSQL is down: they are indexed once it returns', async (test) => {
    const t = cleanupScope(test)
    // A cluster this test owns: stopping the machine's shared server is never an option.
    const cluster = await startPostgresCluster({ throwaway: true, database: 'ledger', log: () => {} })
    t.after(() => cluster.kill())
    const pool = createPool({ connectionString: cluster.url, max: 2 })
    t.after(() => pool.end())
    const f = await consumerFixture(t)
    const dlq = new DlqOperations({
      transport: f.transport,
      codec: f.codec,
      pool,
      sink: { produceRaw: () => Promise.reject(new Error('read-only test')) },
    })
    await dlq.migrate()
    await f.subscribe({
      handleEvent: async ({ event }) => {
        throw new PermanentError('VALIDATION_FAILED', `entity ${event.entityId} is invalid`)
      },
    })
    const dlqSize = async () => {
      const admin = f.transport.admin()
      await admin.connect()
      try {
        return (await admin.topicOffsets(`${f.group}.dlq`)).reduce((n, o) => n + Number(o.high), 0)
      } finally {
        await admin.disconnect()
      }
    }
    await f.publish([testEvent('before-1', 1), testEvent('before-2', 1)])
    await waitFor(async () => (await dlq.list(f.group)).total === 2, { timeoutMs: 20_000 })

    await cluster.stop()
    await f.publish([testEvent('during-1', 1), testEvent('during-2', 1), testEvent('during-3', 1)])
    await waitFor(async () => (await dlqSize()) === 5, {
      timeoutMs: 20_000,
      description: '5 records in the DLQ',
    })
    await assert.rejects(dlq.list(f.group), { code: 'DATABASE_UNAVAILABLE' })
    await assert.rejects(dlq.show(f.group, { partition: 0, offset: '0' }), { code: 'DATABASE_UNAVAILABLE' })

    await cluster.start()
    const page = await waitFor(
      async () => {
        try {
          return await dlq.list(f.group)
        } catch {
          return false
        }
      },
      { timeoutMs: 20_000, description: 'a list once PostgreSQL is back' },
    )
    assert.equal(page.total, 5)
    assert.deepEqual(page.records.map((r) => r.event?.entityId).sort(), [
      'before-1',
      'before-2',
      'during-1',
      'during-2',
      'during-3',
    ])
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM dlq_index')
    assert.equal(rows[0]?.n, '5', 'each record indexed once')
  })

  it('keeps a consistent index when PostgreSQL fails in the middle of indexing', async (test) => {
    const t = cleanupScope(test)
    const cluster = await startPostgresCluster({ throwaway: true, database: 'ledger', log: () => {} })
    t.after(() => cluster.kill())
    const pool = createPool({ connectionString: cluster.url, max: 3 })
    t.after(() => pool.end())
    const stack = stackEnv()
    const real = createKafkajsTransport({ brokers: stack.kafkaBrokers, clientId: 'sdk-dlq-index-test' })
    const codec = new EnvelopeCodec({ url: stack.schemaRegistryUrl })
    const { group, fill } = await syntheticDlq(t, real, codec, PARTITIONS)
    const size = 30_000
    await fill(0, size)
    const dlq = new DlqOperations({
      transport: real,
      codec,
      pool,
      sink: { produceRaw: () => Promise.reject(new Error('read-only test')) },
    })
    await dlq.migrate()
    const indexed = async () =>
      Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM dlq_index')).rows[0]?.n)

    // Settled into a value at once: it fails while the cluster is being stopped.
    const interrupted = dlq.list(group).then(
      () => 'finished before the outage',
      (err: unknown) => err,
    )
    await waitFor(async () => (await indexed()) > 0, {
      timeoutMs: 20_000,
      intervalMs: 10,
      description: 'indexing under way',
    })
    // Holds the indexer's next write until the server goes, so the outage lands mid-indexing.
    const locker = await pool.connect()
    locker.on('error', () => {})
    await locker.query('BEGIN')
    await locker.query('LOCK TABLE dlq_index IN SHARE MODE')
    await cluster.stop()
    locker.release(true)
    const failure = await interrupted
    assert.ok(failure instanceof LedgerError && failure.retryable, `a retryable failure: ${String(failure)}`)

    await cluster.start()
    const page = await waitFor(
      async () => {
        try {
          return await dlq.list(group)
        } catch {
          return false
        }
      },
      { timeoutMs: 20_000, description: 'a list once PostgreSQL is back' },
    )
    assert.equal(page.total, size)
    const { rows } = await pool.query<{ n: string; next: string }>(
      `SELECT (SELECT count(*) FROM dlq_index) AS n, (SELECT sum(next_offset) FROM dlq_index_positions) AS next`,
    )
    assert.deepEqual(
      rows[0],
      { n: String(size), next: String(size) },
      'every record indexed once, positions at the end',
    )
  })

  it('indexes each record once when several readers catch up at the same time', async (test) => {
    const t = cleanupScope(test)
    const stack = stackEnv()
    const real = createKafkajsTransport({ brokers: stack.kafkaBrokers, clientId: 'sdk-dlq-index-test' })
    const codec = new EnvelopeCodec({ url: stack.schemaRegistryUrl })
    const { group, fill } = await syntheticDlq(t, real, codec, PARTITIONS)
    await fill(0, 3_000)

    // Two "processes": their own pools and transports, one database.
    const { url } = await createTestPool(t, stack.databaseUrl, { max: 1 })
    const readers = [0, 1].map(() => {
      const pool = createPool({ connectionString: url, max: 3 })
      t.after(() => pool.end())
      const counting = countingTransport(real)
      const ops = new DlqOperations({
        transport: counting.transport,
        codec,
        pool,
        sink: { produceRaw: () => Promise.reject(new Error('read-only test')) },
      })
      return { ops, counting }
    })
    await readers[0]!.ops.migrate()
    const pages = await Promise.all(readers.map(({ ops }) => ops.list(group, {}, { limit: 10 })))
    assert.deepEqual(
      pages.map((p) => p.total),
      [3_000, 3_000],
    )
    assert.equal(
      readers.reduce((n, r) => n + r.counting.counts.records, 0),
      3_000,
      'every record was read from Kafka once, by one of the readers',
    )
  })

  it('indexes records PostgreSQL text cannot hold as they are, not wedging on them', async (test) => {
    const t = cleanupScope(test)
    const stack = stackEnv()
    const real = createKafkajsTransport({ brokers: stack.kafkaBrokers, clientId: 'sdk-dlq-index-test' })
    const codec = new EnvelopeCodec({ url: stack.schemaRegistryUrl })
    const { group, dlqTopic, fill } = await syntheticDlq(t, real, codec, 1)
    const producer = real.producer()
    await producer.connect()
    t.after(() => producer.disconnect())
    // U+0000 in a key and a header, and a record with no value at all.
    await producer.send([
      { topic: dlqTopic, key: 'nul\u0000key', value: Buffer.from([0]), headers: { 'x-odd': 'a\u0000b' } },
      { topic: dlqTopic, key: null, value: Buffer.alloc(0) },
    ])
    await fill(2, 3)
    const { pool } = await createTestPool(t, stack.databaseUrl, { max: 2 })
    const dlq = new DlqOperations({
      transport: real,
      codec,
      pool,
      sink: { produceRaw: () => Promise.reject(new Error('read-only test')) },
    })
    await dlq.migrate()
    const page = await dlq.list(group)
    assert.equal(page.total, 5)
    const odd = await dlq.show(group, { partition: 0, offset: '0' })
    assert.equal(odd.key, 'nul\uFFFDkey')
    assert.equal(odd.headers['x-odd'], 'a\uFFFDb')
    assert.ok(odd.decodeError)
    const empty = await dlq.show(group, { partition: 0, offset: '1' })
    assert.equal(empty.valueBytes, 0)
    assert.ok(empty.decodeError)
  })
})
