import pg from 'pg'
import { randomUUID } from 'node:crypto'
import { migrate } from '../services/projector/src/db/migrate.ts'
import { APPLY_BATCH_SQL } from '../services/projector/src/db/apply-batch.ts'
const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' })
await admin.connect(); await admin.query('DROP DATABASE IF EXISTS plantest'); await admin.query('CREATE DATABASE plantest'); await admin.end()
const pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:5432/plantest', max: 1 })
await migrate(pool)
const c = await pool.connect()
let n = 0
const batch = (k: number) => {
  const rows = Array.from({ length: k }, () => { n++; return [randomUUID(), 'bench', `p${n}`, 't', 'e', `id${n % 1000}`, String(n), new Date().toISOString(), new Date().toISOString(), 'c', 'application/json', '{}', 'ab'.repeat(32), 'topic', 0, String(n)] })
  return rows[0]!.map((_, i) => rows.map((r) => r[i]))
}
const lit = (v: unknown[]) => "'{" + v.map((x) => '"' + String(x).replaceAll('"', '\\"') + '"').join(',') + "}'"
const exec = (k: number) => `EXECUTE x(${batch(k).map(lit).join(',')})`
await c.query(`PREPARE x AS ${APPLY_BATCH_SQL}`)
const explain = async (label: string) => {
  const r = await c.query(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) ${exec(3)}`)
  console.log(label + '\n' + r.rows.map((x: any) => x['QUERY PLAN']).filter((l: string) => /Scan|Join|Exec|Plan/.test(l)).join('\n'))
}
const time = async (label: string) => { const t0 = performance.now(); for (let i = 0; i < 200; i++) await c.query(exec(3)); console.log(label, ((performance.now()-t0)/200).toFixed(3), 'ms per batch of 3') }
for (let i = 0; i < 8; i++) await c.query(exec(3))
await c.query(`INSERT INTO ledger_events (event_id, source, provider_event_id, type, entity_type, entity_id, entity_version, occurred_at, received_at, correlation_id, content_type, payload, payload_sha256, kafka_topic, kafka_partition, kafka_offset, outcome) SELECT gen_random_uuid(), 's', 'x'||g, 't', 'e', 'id'||g, g, now(), now(), 'c', 'j', '{}', '\\x00', 't', 0, g, 'applied' FROM generate_series(1, 50000) g`)
await c.query(`INSERT INTO projections (entity_type, entity_id, version, last_event_id, state, state_sha256) SELECT 'e', 'idx'||g, g, gen_random_uuid(), '{}', '\\x00' FROM generate_series(1, 50000) g`)
await explain('after 50k rows, plan from the empty tables:')
await time('plan from the empty tables:')
await c.query('ANALYZE ledger_events, projections')
await time('after ANALYZE:')
c.release(); await pool.end()
