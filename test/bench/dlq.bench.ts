// `npm run bench:dlq`: what DLQ reads cost at size. Fills a fresh DLQ topic with BENCH_DLQ_RECORDS
// (default 100000) records as the retry router writes them, indexes it once, then times list and
// show from the index (median of BENCH_REPEAT, default 20, calls each) beside the cost of one read
// before the index: the whole topic through a throwaway group (what every list and show did).
import { cpus } from 'node:os'
import { createPool } from '@integration-ledger/postgres'
import { DlqOperations } from '@integration-ledger/dlq'
import { EnvelopeCodec, createKafkajsTransport, readTopic } from '@integration-ledger/sdk'
import { createTestDatabase } from '@integration-ledger/testing'
import { ensureStack } from '@integration-ledger/local-stack'
import { countingTransport } from '../../packages/dlq/test/counting-transport.js'
import { syntheticDlq } from '../../packages/dlq/test/synthetic-dlq.js'
import { benchScope } from './bench-scope.js'

const size = Number(process.env.BENCH_DLQ_RECORDS ?? 100_000)
const repeat = Number(process.env.BENCH_REPEAT ?? 20)

const { log, scope, cleanUp } = benchScope()

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = process.hrtime.bigint()
  const value = await fn()
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, value }
}

async function median(fn: () => Promise<unknown>): Promise<number> {
  const runs: number[] = []
  for (let i = 0; i < repeat; i++) runs.push((await timed(fn)).ms)
  runs.sort((a, b) => a - b)
  return runs[Math.floor(runs.length / 2)]!
}

const infra = await ensureStack({ prometheus: false, log })
try {
  const stack = infra.env
  const real = createKafkajsTransport({ brokers: stack.kafkaBrokers, clientId: 'bench-dlq' })
  const counting = countingTransport(real)
  const codec = new EnvelopeCodec({ url: stack.schemaRegistryUrl })
  const pool = createPool({ connectionString: await createTestDatabase(scope, stack.databaseUrl), max: 3 })
  scope.after(() => pool.end())
  const dlq = new DlqOperations({
    transport: counting.transport,
    codec,
    pool,
    sink: { produceRaw: () => Promise.reject(new Error('read-only benchmark')) },
  })
  await dlq.migrate()
  const synthetic = await syntheticDlq(scope, real, codec)
  const { group } = synthetic
  log(`filling ${group}.dlq with ${size} records, ${cpus().length} CPUs`)
  await synthetic.fill(0, size)

  const rows: [string, string, string][] = []
  const row = async (name: string, fn: () => Promise<unknown>) => {
    counting.reset()
    await fn()
    const read = `${counting.counts.records} records, ${counting.counts.consumers} consumers`
    rows.push([name, (await median(fn)).toFixed(1), read])
  }

  const index = await timed(() => dlq.catchUp(group, { timeoutMs: 600_000 }))
  rows.push([`index ${index.value} records (once)`, index.ms.toFixed(0), `${index.value} records`])
  const first = await dlq.list(group, {}, { limit: 100 })
  const middle = (await dlq.list(group, {}, { limit: 1, after: `3:${Math.floor(size / 12)}` })).records[0]!
  await row('list, first page of 100', () => dlq.list(group, {}, { limit: 100 }))
  await row('list, a page of 100 in the middle', () =>
    dlq.list(group, {}, { limit: 100, after: `${middle.partition}:${middle.offset}` }),
  )
  await row('list, source=alpha status=pending, 100', () =>
    dlq.list(group, { source: 'alpha', status: 'pending' }, { limit: 100 }),
  )
  await row('show one record', () => dlq.show(group, first.records[42]!))
  await synthetic.fill(size, 100)
  counting.reset()
  const delta = await timed(() => dlq.list(group, {}, { limit: 100 }))
  rows.push([
    'list after 100 new DLQ records (indexes them)',
    delta.ms.toFixed(0),
    `${counting.counts.records} records, ${counting.counts.consumers} consumers`,
  ])
  const before = await timed(() => readTopic(real, synthetic.dlqTopic))
  rows.push([
    'before the index, the topic read alone of every list/show (decoding came on top)',
    before.ms.toFixed(0),
    `${before.value.length} records`,
  ])

  process.stdout.write(
    [
      `DLQ of ${size} records, 6 partitions; median of ${repeat} calls (single runs for indexing and the old read)`,
      '',
      '| operation | ms | read from Kafka by the call |',
      '| --- | ---: | --- |',
      ...rows.map((r) => `| ${r.join(' | ')} |`),
      '',
    ].join('\n'),
  )
} finally {
  await cleanUp()
  if (process.env.LEDGER_KEEP_STACK !== '1') await infra.stop()
}
