// `npm run bench:projector`: events/s applied with version checks end to end (Kafka → projector →
// PostgreSQL) beside two baselines on the same events in the same run:
//   - "apply, no Kafka": the projector's version-checked statement called directly, same batches;
//   - "plain insert, no Kafka": one multi-row INSERT per batch into a copy of the ledger table,
//     no version rule, no projection — the floor of what PostgreSQL costs here.
// Environment: BENCH_ENTITIES (default 5000), BENCH_VERSIONS (20), BENCH_DUPLICATES (0.1),
// PROJECTOR_PARTITIONS_CONCURRENTLY (the projector's default). Starts the stack when it is not running.
import { cpus } from 'node:os'
import { createHash } from 'node:crypto'
import {
  applyBatchParams,
  buildProjectorApp,
  LedgerStore,
  loadProjectorConfig,
  migrate,
  toLedgerRecord,
} from '@integration-ledger/projector'
import type { LedgerRecord } from '@integration-ledger/projector'
import { type StackEnv, createTestDatabase, waitFor } from '@integration-ledger/testing'
import pg from 'pg'
import { ensureStack } from '@integration-ledger/local-stack'
import { ledgerCount, makeStorm, projectorFixture, publishAll } from '../e2e/projector-support.js'
import { benchScope } from './bench-scope.js'

const entities = Number(process.env.BENCH_ENTITIES ?? 5000)
const versions = Number(process.env.BENCH_VERSIONS ?? 20)
const duplicateRatio = Number(process.env.BENCH_DUPLICATES ?? 0.1)
const concurrency = process.env.PROJECTOR_PARTITIONS_CONCURRENTLY

const { log, scope, cleanUp } = benchScope()

interface Row {
  name: string
  events: number
  seconds: number
  note: string
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint()
  await fn()
  return Number(process.hrtime.bigint() - started) / 1e9
}

async function runEndToEnd(
  stack: StackEnv,
  storm: ReturnType<typeof makeStorm>,
): Promise<{ rows: Row[]; meanBatch: number }> {
  const { topic, env } = await projectorFixture(scope, 'bench', { stack })
  const publishSeconds = await timed(() => publishAll(stack, topic, storm.events))
  log(`published ${storm.events.length} records in ${publishSeconds.toFixed(1)} s`)

  let projector: Awaited<ReturnType<typeof buildProjectorApp>> | undefined
  let firstRowAt: bigint | undefined
  const wall = await timed(async () => {
    projector = await buildProjectorApp(
      loadProjectorConfig({
        ...env,
        ...(concurrency === undefined ? {} : { PROJECTOR_PARTITIONS_CONCURRENTLY: concurrency }),
      }),
    )
    const { pool } = projector.projector
    await waitFor(
      async () => {
        const count = await ledgerCount(pool)
        if (count > 0) firstRowAt ??= process.hrtime.bigint()
        return count >= storm.distinctEventIds.size
      },
      {
        timeoutMs: 300_000,
        intervalMs: 50,
        description: 'every event in the ledger',
      },
    )
  })
  const doneAt = process.hrtime.bigint()
  const { app } = projector!
  const metrics = await app.inject({ url: '/metrics' })
  const sum = Number(/^ledger_projector_batch_size_sum\{[^}]*\} (\S+)$/m.exec(metrics.body)?.[1] ?? 0)
  const count = Number(/^ledger_projector_batch_size_count\{[^}]*\} (\S+)$/m.exec(metrics.body)?.[1] ?? 1)
  await app.close()
  const records = storm.events.length
  return {
    meanBatch: Math.max(1, Math.round(sum / count)),
    rows: [
      {
        name: 'end to end, steady (Kafka → PG)',
        events: records,
        // From the first committed batch to the last: consumption without the group join.
        seconds: Number(doneAt - (firstRowAt ?? doneAt)) / 1e9,
        note: `first to last batch (±50 ms polling); ${count} batches, mean ${Math.round(sum / count)} records`,
      },
      {
        name: 'end to end, wall (incl. group join)',
        events: records,
        seconds: wall,
        note: 'start → last row',
      },
    ],
  }
}

async function freshPool(stack: StackEnv): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: await createTestDatabase(scope, stack.databaseUrl), max: 2 })
  scope.after(() => pool.end())
  await migrate(pool)
  return pool
}

function toRecords(storm: ReturnType<typeof makeStorm>): LedgerRecord[] {
  return storm.events.map((event, i) => {
    const checked = toLedgerRecord(event, { topic: 'bench', partition: 0, offset: String(i) })
    if (!checked.ok) throw new Error(checked.reason)
    return checked.record
  })
}

async function runApplyOnly(stack: StackEnv, records: LedgerRecord[], batch: number): Promise<Row> {
  const store = new LedgerStore(await freshPool(stack))
  const seconds = await timed(async () => {
    for (let i = 0; i < records.length; i += batch) await store.applyBatch(records.slice(i, i + batch))
  })
  return {
    name: 'version-checked apply, no Kafka',
    events: records.length,
    seconds,
    note: `batches of ${batch}`,
  }
}

async function runPlainInsert(stack: StackEnv, records: LedgerRecord[], batch: number): Promise<Row> {
  const pool = await freshPool(stack)
  await pool.query('CREATE TABLE baseline_events (LIKE ledger_events INCLUDING DEFAULTS INCLUDING IDENTITY)')
  await pool.query('CREATE INDEX ON baseline_events (entity_type, entity_id, seq)')
  // Same parameters, in the same order, as the projector's statement.
  const sql = `INSERT INTO baseline_events (event_id, source, provider_event_id, type, entity_type, entity_id,
      entity_version, occurred_at, received_at, correlation_id, content_type, payload, payload_sha256,
      kafka_topic, kafka_partition, kafka_offset, outcome)
    SELECT e, s, pe, ty, et, ei, v, oa, ra, c, ct, p, decode(h, 'hex'), kt, kp, ko, 'applied'
      FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
        $8::timestamptz[], $9::timestamptz[], $10::text[], $11::text[], $12::jsonb[], $13::text[],
        $14::text[], $15::int[], $16::bigint[]) AS x(e, s, pe, ty, et, ei, v, oa, ra, c, ct, p, h, kt, kp, ko)`
  const seconds = await timed(async () => {
    for (let i = 0; i < records.length; i += batch)
      await pool.query(sql, applyBatchParams(records.slice(i, i + batch)))
  })
  return {
    name: 'plain multi-row INSERT, no Kafka',
    events: records.length,
    seconds,
    note: `batches of ${batch}`,
  }
}

function printTable(rows: readonly Row[]): void {
  const lines = [
    '| run | records | seconds | records/s | note |',
    '| --- | ---: | ---: | ---: | --- |',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.events.toLocaleString('en')} | ${r.seconds.toFixed(2)} | ${Math.round(r.events / r.seconds).toLocaleString('en')} | ${r.note} |`,
    ),
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
}

const infra = await ensureStack({ prometheus: false, log })
try {
  const stack = infra.env
  const storm = makeStorm({ entities, versions, duplicateRatio })
  log(
    `${storm.events.length} records (${storm.distinctEventIds.size} distinct events, ${entities} entities, ` +
      `${Math.round(duplicateRatio * 100)} % re-sends), ${cpus().length} CPUs, partitions concurrently ${concurrency ?? 'default'}`,
  )
  const e2e = await runEndToEnd(stack, storm)
  const records = toRecords(storm)
  const rows = [
    ...e2e.rows,
    await runApplyOnly(stack, records, e2e.meanBatch),
    await runPlainInsert(stack, records, e2e.meanBatch),
  ]
  printTable(rows)
  process.stdout.write(
    `digest of the storm: ${createHash('sha256')
      .update(storm.events.map((e) => e.eventId).join())
      .digest('hex')
      .slice(0, 12)}\n`,
  )
} finally {
  await cleanUp()
  if (process.env.LEDGER_KEEP_STACK !== '1') await infra.stop()
}
