// `npm run bench:connect`: the projector beside what a user would pick instead, Kafka Connect with
// the Debezium JDBC sink connector (both from Maven Central, infra/connect/pom.xml), on the same
// events in the same run, one after the other so neither takes CPU from the other:
//   1. the storm (makeStorm: entities × versions, shuffled, re-sends) is published twice, to the
//      envelope topic (registry-encoded, as the projector reads it) and to a JSON-with-schema topic
//      (test/e2e/connect-support.ts says why that format), in the same order, keyed by entity ID;
//   2. the connector (standalone worker on its own port, -Xmx512m) upserts its topic by entity ID
//      into a table in its own database: timed until every entity's row is its last record;
//   3. the projector (its own process, server.ts) consumes the envelope topic into its own
//      database: timed until every distinct event is in the ledger;
//   4. per entity, is the final row the highest version? The connector writes whatever came last.
// Rates are records / seconds (steady: first committed row to the last; wall: from connector
// created / process spawned); CPU is the sink's process plus its PostgreSQL backends over the
// steady window, which a shared machine disturbs less than the rates.
// Environment: BENCH_EVENTS (distinct events, default 200000), BENCH_VERSIONS (per entity, 20),
// BENCH_DUPLICATES (share re-sent, 0.1), BENCH_CONNECT_TASKS (2), BENCH_CONNECT_BATCH (2000),
// BENCH_CONNECT_REDUCTION (1: the connector's use.reduction.buffer; default off, as the connector),
// BENCH_FIRST (connector | projector: which runs first; default connector),
// PROJECTOR_PARTITIONS_CONCURRENTLY (the projector's default). Starts the stack when it is not running.
import { cpus, loadavg } from 'node:os'
import { startConnectWorker, DEBEZIUM_JDBC_VERSION, ensureStack } from '@integration-ledger/local-stack'
import { type StackEnv, createTestDatabase, uniqueName, waitFor } from '@integration-ledger/testing'
import pg from 'pg'
import {
  SINK_TABLE,
  createJdbcSink,
  failedTaskTrace,
  produceSinkRecords,
  toSinkRecords,
} from '../e2e/connect-support.js'
import { type Storm, ledgerCount, makeStorm, projectorFixture, publishAll } from '../e2e/projector-support.js'
import { loadProjectorConfig } from '@integration-ledger/projector'
import { startService } from '../e2e/service-processes.js'
import { backendPids, cpuSecondsBetween, cpuSecondsEach } from './process-cpu.js'
import { benchScope } from './bench-scope.js'

const versions = Number(process.env.BENCH_VERSIONS ?? 20)
const entities = Math.ceil(Number(process.env.BENCH_EVENTS ?? 200_000) / versions)
const duplicateRatio = Number(process.env.BENCH_DUPLICATES ?? 0.1)
const tasks = Number(process.env.BENCH_CONNECT_TASKS ?? 2)
const batchSize = Number(process.env.BENCH_CONNECT_BATCH ?? 2000)
const reductionBuffer = process.env.BENCH_CONNECT_REDUCTION === '1'
const projectorFirst = process.env.BENCH_FIRST === 'projector'
const concurrency = String(loadProjectorConfig(process.env).partitionsConcurrently)

const { log, scope, cleanUp } = benchScope()
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')

interface Run {
  name: string
  records: number
  /** First committed row to the last. */
  steady: number
  /** Connector created / process spawned to the last row. */
  wall: number
  /** CPU seconds of the sink's process and its PostgreSQL backends, first row to the last. */
  cpu: number
  /** Entities whose final row is not their highest version. */
  stale: number
  keeps: string
}

const seconds = (from: bigint, to: bigint) => Number(to - from) / 1e9

/** The sink's own process and the PostgreSQL backends connected to its database, but the reader's. */
async function sinkPids(sinkPid: number, db: pg.Pool): Promise<number[]> {
  return [sinkPid, ...(await backendPids(db))]
}

/**
 * Polls `progress` (rows so far, done?) every 100 ms; times first row and done, and the CPU that
 * the sink (its process and its backends on `db`) spent between the two.
 */
async function timeUntil(
  description: string,
  sinkPid: number,
  db: pg.Pool,
  progress: () => Promise<{ rows: number; done: boolean }>,
): Promise<{ firstRowAt: bigint; doneAt: bigint; cpu: number }> {
  let firstRowAt: bigint | undefined
  let atFirstRow = new Map<number, number>()
  await waitFor(
    async () => {
      const { rows, done } = await progress()
      if (rows > 0 && firstRowAt === undefined) {
        firstRowAt = process.hrtime.bigint()
        atFirstRow = cpuSecondsEach(await sinkPids(sinkPid, db))
      }
      return done
    },
    { timeoutMs: 900_000, intervalMs: 100, description },
  )
  const doneAt = process.hrtime.bigint()
  const cpu = cpuSecondsBetween(atFirstRow, cpuSecondsEach(await sinkPids(sinkPid, db)))
  return { firstRowAt: firstRowAt ?? doneAt, doneAt, cpu }
}

async function pool(url: string): Promise<pg.Pool> {
  const p = new pg.Pool({ connectionString: url, max: 1 })
  scope.after(() => p.end())
  return p
}

async function runConnector(stack: StackEnv, storm: Storm, topic: string): Promise<Run> {
  const { records, arrivals } = toSinkRecords(storm.events)
  const started = Date.now()
  scope.after(await produceSinkRecords(stack, topic, records))
  log(
    `produced ${records.length} JSON-with-schema records in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  )

  const sinkUrl = await createTestDatabase(scope, stack.databaseUrl)
  const sink = await pool(sinkUrl)
  // What the reader compares the connector's table with: each entity's count of records (the
  // arrival of its last) and its highest version.
  await sink.query(`CREATE TABLE expected (entity_id text PRIMARY KEY, arrivals int, max_version bigint)`)
  const ids = [...arrivals.keys()]
  await sink.query(`INSERT INTO expected SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[])`, [
    ids,
    ids.map((id) => arrivals.get(id)),
    ids.map((id) => storm.oracle.get(id)?.entityVersion),
  ])

  const worker = await startConnectWorker({ brokers: stack.kafkaBrokers, log })
  try {
    const name = uniqueName('bench-jdbc-sink')
    const createdAt = process.hrtime.bigint()
    const remove = await createJdbcSink(
      worker.url,
      name,
      { topic, databaseUrl: sinkUrl },
      { tasks, batchSize },
    )
    const { firstRowAt, doneAt, cpu } = await timeUntil(
      'every entity at its last record',
      worker.pid,
      sink,
      async () => {
        const trace = await failedTaskTrace(worker.url, name)
        if (trace) throw new Error(`connector task failed: ${trace}`)
        const { rows } = await sink.query<{ exists: boolean }>(
          `SELECT to_regclass($1) IS NOT NULL AS exists`,
          [SINK_TABLE],
        )
        if (!rows[0]?.exists) return { rows: 0, done: false }
        const counted = await sink.query<{ rows: number; done: number }>(
          `SELECT count(*)::int AS rows, count(*) FILTER (WHERE s.arrival = e.arrivals)::int AS done
           FROM ${SINK_TABLE} s JOIN expected e USING (entity_id)`,
        )
        const row = counted.rows[0] ?? { rows: 0, done: 0 }
        return { rows: row.rows, done: row.done === arrivals.size }
      },
    )
    await remove()
    const columns = await sink.query<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`,
      [SINK_TABLE],
    )
    log(`the connector's table: ${columns.rows.map((c) => `${c.column_name} ${c.data_type}`).join(', ')}`)
    const stale = await sink.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${SINK_TABLE} s JOIN expected e USING (entity_id) WHERE s.version <> e.max_version`,
    )
    return {
      name: `Debezium JDBC sink ${DEBEZIUM_JDBC_VERSION} (Connect, ${tasks} tasks, batch ${batchSize}${reductionBuffer ? ', reduction buffer' : ''})`,
      records: records.length,
      steady: seconds(firstRowAt, doneAt),
      wall: seconds(createdAt, doneAt),
      cpu,
      stale: stale.rows[0]?.n ?? -1,
      keeps: 'last row per entity',
    }
  } finally {
    await worker.stop()
  }
}

async function runProjector(stack: StackEnv, storm: Storm): Promise<Run> {
  const { topic, env, databaseUrl } = await projectorFixture(scope, 'connect-bench', { stack })
  const started = Date.now()
  await publishAll(stack, topic, storm.events)
  log(`published ${storm.events.length} envelopes in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  const db = await pool(databaseUrl)
  const spawnedAt = process.hrtime.bigint()
  const projector = await startService(scope, 'projector', {
    ...env,
    PROJECTOR_PARTITIONS_CONCURRENTLY: concurrency,
  })
  const { firstRowAt, doneAt, cpu } = await timeUntil(
    'every event in the ledger',
    projector.pid,
    db,
    async () => {
      const rows = await ledgerCount(db).catch(() => 0) // before the projector's migration
      return { rows, done: rows >= storm.distinctEventIds.size }
    },
  )
  await projector.stop()
  const stale = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM projections p JOIN unnest($1::text[], $2::bigint[]) AS e(entity_id, max_version)
       USING (entity_id) WHERE p.version <> e.max_version`,
    [[...storm.oracle.keys()], [...storm.oracle.values()].map((e) => e.entityVersion)],
  )
  const ledger = await ledgerCount(db)
  return {
    name: `projector (own process, ${concurrency} partitions concurrently)`,
    records: storm.events.length,
    steady: seconds(firstRowAt, doneAt),
    wall: seconds(spawnedAt, doneAt),
    cpu,
    stale: stale.rows[0]?.n ?? -1,
    keeps: `projection per entity + ledger (${ledger.toLocaleString('en')} events, each once)`,
  }
}

/** Entities whose last record on the topic is not their highest version: what last-write-wins gets wrong. */
function staleLastInInput(storm: Storm): number {
  const last = new Map<string, number>()
  for (const event of storm.events) last.set(event.entityId, event.entityVersion)
  let stale = 0
  for (const [id, version] of last) if (storm.oracle.get(id)?.entityVersion !== version) stale++
  return stale
}

function printTable(runs: readonly Run[], storm: Storm): void {
  const rate = (n: number, s: number) => Math.round(n / s).toLocaleString('en')
  const lines = [
    '| sink | records | steady s | records/s steady | wall s | records/s wall | CPU ms per 1,000 records | entities not at highest version | keeps |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...runs.map(
      (r) =>
        `| ${r.name} | ${r.records.toLocaleString('en')} | ${r.steady.toFixed(2)} | ${rate(r.records, r.steady)} | ` +
        `${r.wall.toFixed(2)} | ${rate(r.records, r.wall)} | ${Math.round((r.cpu * 1e6) / r.records).toLocaleString('en')} | ${r.stale.toLocaleString('en')} of ${storm.oracle.size.toLocaleString('en')} | ${r.keeps} |`,
    ),
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
  process.stdout.write(
    `input: entities whose last record is not their highest version: ${staleLastInInput(storm).toLocaleString('en')}\n`,
  )
}

const infra = await ensureStack({ prometheus: false, log })
try {
  const stack = infra.env
  const storm = makeStorm({ entities, versions, duplicateRatio })
  log(
    `${storm.events.length} records (${storm.distinctEventIds.size} distinct events, ${entities} entities × ${versions} versions, ` +
      `${Math.round(duplicateRatio * 100)} % re-sends), ${cpus().length} CPUs, load ${load()}`,
  )
  const connectorRun = async () => {
    const run = await runConnector(stack, storm, uniqueName('connect-bench.json').replaceAll('_', '.'))
    log(`connector done, load ${load()}`)
    return run
  }
  const projectorRun = async () => {
    const run = await runProjector(stack, storm)
    log(`projector done, load ${load()}`)
    return run
  }
  // The connector's row first in the table either way.
  let runs: Run[]
  if (projectorFirst) {
    const projector = await projectorRun()
    runs = [await connectorRun(), projector]
  } else {
    const connector = await connectorRun()
    runs = [connector, await projectorRun()]
  }
  printTable(runs, storm)
} finally {
  await cleanUp()
  if (process.env.LEDGER_KEEP_STACK !== '1') await infra.stop()
}
