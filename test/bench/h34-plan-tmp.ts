import { applyBatchParams, migrate, toLedgerRecord } from '@integration-ledger/projector'
import { APPLY_BATCH_SQL } from '../../services/projector/src/db/apply-batch.js'
import { createTestDatabase } from '@integration-ledger/testing'
import pg from 'pg'
import { makeStorm } from '../e2e/projector-support.js'
const hooks: (() => unknown)[] = []
const url = await createTestDatabase({ after: (f) => void hooks.push(f) }, 'postgres://postgres@127.0.0.1:5432/postgres')
const pool = new pg.Pool({ connectionString: url, max: 1 })
await migrate(pool)
const storm = makeStorm({ entities: 2000, versions: 5, duplicateRatio: 0 })
const recs = storm.events.map((e, i) => { const c = toLedgerRecord(e, { topic: 't', partition: 0, offset: String(i) }); if (!c.ok) throw new Error(); return c.record })
for (const size of [5, 20, 200]) {
  for (let round = 0; round < 8; round++) {
    const batch = recs.splice(0, size)
    const named = process.argv[2] === 'named'
    const q = named ? { name: 'apply', text: 'EXPLAIN (ANALYZE, SUMMARY, FORMAT JSON) ' + APPLY_BATCH_SQL, values: applyBatchParams(batch) } : { text: 'EXPLAIN (ANALYZE, SUMMARY, FORMAT JSON) ' + APPLY_BATCH_SQL, values: applyBatchParams(batch) }
    const t0 = performance.now()
    const { rows } = await pool.query(q)
    const wall = performance.now() - t0
    const plan = rows[0]['QUERY PLAN'][0]
    if (round >= 5) console.log(size, named ? 'named' : 'unnamed', 'plan', plan['Planning Time'].toFixed(2), 'exec', plan['Execution Time'].toFixed(2), 'wall', wall.toFixed(2))
  }
}
await pool.end(); for (const h of hooks.reverse()) await h()
