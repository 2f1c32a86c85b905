import { findLedgerError } from '@integration-ledger/core'
import { createPool } from '@integration-ledger/postgres'
import { type CliIo, parseCommandLine, parseEnv, stackEnvSchema } from '@integration-ledger/service-kit'
import { entityAsOf } from '../routes/entity-as-of.js'

export const ENTITY_HELP = `Usage: npm run entity -- <type> <id> [--as-of <time>]

Prints what the projection of one entity held at a time, derived from the append-only ledger
table (ledger_events) under the projector's version rule: of the entity's events the projector
applied by then, the one with the highest version. An older event that arrived after a newer one
was recorded as stale and never becomes the answer. The answer is the JSON of
GET /entities/<type>/<id>?asOf=<time>: version, the event that set it (setBy) and the state.

Options:
  --as-of <time>   ISO 8601 time with a zone, e.g. 2025-01-31T14:03:00Z (default: now). Times
                   are the projection's own clock: when the projector committed each event.
  -h, --help       Show this help.

Exit codes: 0 found; 2 usage error (bad time, or DATABASE_URL without the ledger table);
4 the entity had no state yet at that time; 5 PostgreSQL unreachable.

Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/ledger).

Examples:
  npm run entity -- customer cus_123 --as-of 2025-01-31T14:03:00Z
  npm run entity -- issue 'acme/api#42' --as-of 2025-01-31T14:03:00+01:00
`

/** Runs `npm run entity`; returns the process exit code (see ENTITY_HELP). */
export async function runEntityCli(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    {
      'as-of': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    ENTITY_HELP,
    io,
  )
  if (typeof parsed === 'number') return parsed
  const { values, positionals } = parsed
  const [type, id, ...extra] = positionals
  if (type === undefined || id === undefined || extra.length > 0) {
    io.err(`Give the entity's type and ID.\n\n${ENTITY_HELP}`)
    return 2
  }
  let pool
  try {
    const env = parseEnv(stackEnvSchema, io.env)
    pool = createPool({ connectionString: env.DATABASE_URL, max: 1 })
    const { meta, stateJson } = await entityAsOf(pool, type, id, values['as-of'] ?? new Date().toISOString())
    // The state as PostgreSQL rendered it, re-indented for reading.
    io.out(JSON.stringify({ ...meta, state: JSON.parse(stateJson) as unknown }, null, 2))
    return 0
  } catch (err) {
    const error = findLedgerError(err)
    io.err(error ? `${error.code}: ${error.message}` : `Failed: ${String(err)}`)
    if (error?.code === 'VALIDATION_FAILED' || error?.code === 'CONFIG_INVALID') return 2
    return error?.code === 'NOT_FOUND' ? 4 : 5
  } finally {
    await pool?.end().catch(() => {})
  }
}
