// `npm run projector:rebuild`: rebuilds the projections table from the ledger table.
import { createPool } from '@integration-ledger/postgres'
import { parseArgs } from 'node:util'
import { describeError } from '@integration-ledger/core'
import { loadProjectorConfig } from '../config.js'
import { migrate } from '../db/migrate.js'
import { rebuildProjections } from '../db/rebuild.js'

const HELP = `Usage: npm run projector:rebuild -- [options]

Rebuilds the projections from the ledger table (ledger_events) into a fresh table and swaps it in
atomically. The projector may keep running: events recorded during the rebuild are folded in
before the swap. Reads DATABASE_URL (default postgres://postgres@127.0.0.1:5432/ledger).

Options:
  --chunk-size <n>   ledger rows per transaction (default 50000)
  --keep-previous    keep the replaced table as projections_replaced_<timestamp>
  --force            swap even if live entities have no applied event in the ledger (they are lost)
  -h, --help         show this help
`

function fail(message: string): never {
  process.stderr.write(`projector:rebuild: ${message}\n\n${HELP}`)
  process.exit(2)
}

const args = (() => {
  try {
    return parseArgs({
      options: {
        'chunk-size': { type: 'string' },
        'keep-previous': { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    })
  } catch (err) {
    return fail(describeError(err).message)
  }
})()
if (args.values.help) {
  process.stdout.write(HELP)
  process.exit(0)
}
const chunkSize = Number(args.values['chunk-size'] ?? 50_000)
if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) fail(`--chunk-size must be a positive integer`)

const config = loadProjectorConfig()
const pool = createPool({ connectionString: config.databaseUrl, max: 1 })
const number = new Intl.NumberFormat('en')
try {
  await migrate(pool)
  const result = await rebuildProjections(pool, {
    chunkSize,
    keepPrevious: args.values['keep-previous'],
    force: args.values.force,
    onProgress: (p) =>
      process.stderr.write(
        `rebuild: ${p.percent.toFixed(1).padStart(5)}%  ${number.format(p.processed)}/${number.format(p.total)} ledger rows  ${number.format(Math.round(p.eventsPerSecond))} events/s\n`,
      ),
  })
  process.stdout.write(
    `rebuilt ${number.format(result.entities)} projections from ${number.format(result.processed)} ledger rows in ${result.seconds.toFixed(1)} s` +
      (result.previousTable ? `; previous table kept as ${result.previousTable}` : '') +
      '\n',
  )
} catch (err) {
  const { errorClass, message } = describeError(err)
  process.stderr.write(`projector:rebuild failed (${errorClass}): ${message}\n`)
  process.exitCode = 1
} finally {
  await pool.end()
}
