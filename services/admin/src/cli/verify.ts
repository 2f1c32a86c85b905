import { LedgerError, findLedgerError } from '@integration-ledger/core'
import {
  type LedgerEventRange,
  LedgerEvents,
  type ReadOutcome,
  readLedgerEvents,
} from '@integration-ledger/ledger-reader'
import { createPool } from '@integration-ledger/postgres'
import { EnvelopeCodec, createKafkajsTransport } from '@integration-ledger/sdk'
import {
  type CliIo,
  csv,
  parseCommandLine,
  parseEnv,
  parseIsoTime,
  stackEnvSchema,
} from '@integration-ledger/service-kit'
import { Keyring, SourceStore } from '@integration-ledger/source-store'
import { z } from 'zod'
import { type AuditedSource, type EventCheck, checkEvent, loadAuditedSource } from '../verify/event-check.js'
import { SummaryBuilder, type VerifySummary, exitCodeFor } from '../verify/summary.js'

export const VERIFY_HELP = `Usage: npm run verify -- <event-id> [--now <time>] [--json]
       npm run verify -- --all --source <name> --since <time> [--until <time>]
                         [--now <time>] [--only-secret <secret-id>] [--json]

Re-checks events' signatures from the ledger: the byte-exact body and the signature headers kept
in Kafka (found through the projector's ledger_events table), against every secret the source
store holds for the source, current and retired, with the same verifier ingest uses. Prints which
secret signed each event (its ID, master key ID and when it was active; never the secret) and the
result of the signed timestamp's tolerance check.

Options:
  --now <time>            Judge the signed timestamp at this ISO 8601 time (e.g.
                          2025-01-31T14:03:00Z). Default: each event's received time, i.e. the
                          instant ingest judged it. Any later time would put every event older
                          than the tolerance (300 s by default) outside it, so the default answers
                          "was this accepted rightly?"; give --now to ask "would it be accepted at
                          this time?" (a replay). Kinds that sign no timestamp (github, shopify,
                          hmac without timestampHeader) show "unsigned".
  --all                   Re-verify every event of --source received in [--since, --until).
  --source <name>         With --all: the source (required).
  --since <time>          With --all: received at or after this ISO 8601 time (required).
  --until <time>          With --all: received before this time (default: no bound).
  --only-secret <id>      With --all: also list the events this secret ALONE signed (after it
                          leaked, the events nothing else vouches for). The per-secret table
                          always shows the count for every secret.
  --json                  Print JSON instead of text.
  -h, --help              Show this help.

With --all, progress goes to stderr (events done, rate, ETA) and the summary to stdout: events
per result, and per secret how many it signed and how many it alone signed (during a rotation a
sender signs with several secrets).

Exit codes:
  0  every event checked is signed by a known secret, timestamp within tolerance (or unsigned)
  1  some event is signed by no known secret (tampered, unknown secret, headers missing), or its
     Kafka record is gone or unreadable
  2  usage error: bad option, bad time, LEDGER_MASTER_KEYS missing or invalid, or
     DATABASE_URL names a database without the ledger table
  3  every signature is valid, but some signed timestamp is outside tolerance at --now
  4  not found: no such event in the ledger table, or its source is not in the source store
  5  could not run: PostgreSQL, Kafka or the schema registry unreachable

Environment: DATABASE_URL, KAFKA_BROKERS, SCHEMA_REGISTRY_URL (defaults: the local stack) and
LEDGER_MASTER_KEYS (required: the keys the admin service seals secrets with).

Examples:
  npm run verify -- 0b6f7c7e-3f0d-5d6a-9a51-2f1c9b1e8d42
  npm run verify -- 0b6f7c7e-3f0d-5d6a-9a51-2f1c9b1e8d42 --now 2025-01-31T14:03:00Z
  npm run verify -- --all --source billing --since 2025-01-01T00:00:00Z --json
  npm run verify -- --all --source billing --since 2025-01-01T00:00:00Z --only-secret <secret-id>
`

const verifyEnvSchema = stackEnvSchema.extend({
  /** Master keys the source store's secrets are sealed with; required to open them. */
  LEDGER_MASTER_KEYS: z.string().min(1, 'required to decrypt the source secrets'),
})

/** Rows read from the ledger table per pass over Kafka with --all. */
const PAGE_SIZE = 1_000

/** Progress lines at most this often. */
const PROGRESS_EVERY_MS = 1_000

const usage = (message: string) => new LedgerError('VALIDATION_FAILED', message)

/** Runs `npm run verify`; returns the process exit code (see VERIFY_HELP). */
export async function runVerifyCli(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    {
      now: { type: 'string' },
      all: { type: 'boolean', default: false },
      source: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      'only-secret': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    VERIFY_HELP,
    io,
  )
  if (typeof parsed === 'number') return parsed
  const { values, positionals } = parsed
  const closers: (() => Promise<void>)[] = []
  try {
    const nowMs = values.now === undefined ? undefined : parseIsoTime(values.now, '--now').getTime()
    if (values.all === positionals.length > 0 || positionals.length > 1) {
      throw usage('Give one event ID, or --all with --source and --since (see --help).')
    }
    if (
      !values.all &&
      (values.source ?? values.since ?? values.until ?? values['only-secret']) !== undefined
    ) {
      throw usage('--source, --since, --until and --only-secret go with --all.')
    }
    const env = parseEnv(verifyEnvSchema, io.env)
    const pool = createPool({ connectionString: env.DATABASE_URL, max: 2 })
    closers.push(() => pool.end())
    const deps = {
      ledger: new LedgerEvents(pool),
      store: new SourceStore(pool, Keyring.parse(env.LEDGER_MASTER_KEYS)),
      read: {
        transport: createKafkajsTransport({ brokers: csv(env.KAFKA_BROKERS), clientId: 'ledger-verify-cli' }),
        codec: new EnvelopeCodec({ url: env.SCHEMA_REGISTRY_URL }),
      },
    }
    if (!values.all) return await verifyOne(positionals[0] as string, nowMs, values.json, deps, io)
    if (values.source === undefined || values.since === undefined) {
      throw usage('--all needs --source <name> and --since <time>.')
    }
    const range: LedgerEventRange = {
      source: values.source,
      since: parseIsoTime(values.since, '--since'),
      ...(values.until === undefined ? {} : { until: parseIsoTime(values.until, '--until') }),
    }
    return await verifyAll(range, nowMs, values['only-secret'], values.json, deps, io)
  } catch (err) {
    const error = findLedgerError(err)
    io.err(error ? `${error.code}: ${error.message}` : `Failed: ${String(err)}`)
    if (error?.code === 'VALIDATION_FAILED' || error?.code === 'CONFIG_INVALID') return 2
    return error?.code === 'NOT_FOUND' ? 4 : 5
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {})
  }
}

interface Deps {
  ledger: LedgerEvents
  store: SourceStore
  read: Parameters<typeof readLedgerEvents>[2]
}

async function verifyOne(
  eventId: string,
  nowMs: number | undefined,
  json: boolean,
  deps: Deps,
  io: CliIo,
): Promise<number> {
  const row = await deps.ledger.find(eventId)
  if (!row) {
    throw new LedgerError(
      'NOT_FOUND',
      `Event ${eventId} is not in the ledger table (ledger_events): the projector has not recorded it. Check the ID (a UUID, the "eventId" ingest answered), or whether the projector is behind.`,
    )
  }
  const source = await loadAuditedSource(deps.store, row.source)
  let check: EventCheck | undefined
  await readLedgerEvents([row], (outcome) => void (check = checkEvent(outcome, source, nowMs)), deps.read)
  if (!check) throw new Error(`reading event ${eventId} from Kafka ended without an answer`)
  if (json) io.out(JSON.stringify(check, null, 2))
  else printCheck(check, nowMs === undefined, io)
  return exitCodeFor({
    verified: 0,
    timestamp_outside_tolerance: 0,
    signature_failed: 0,
    unreadable: 0,
    [check.status]: 1,
  })
}

async function verifyAll(
  range: LedgerEventRange,
  nowMs: number | undefined,
  onlySecret: string | undefined,
  json: boolean,
  deps: Deps,
  io: CliIo,
): Promise<number> {
  const source: AuditedSource = await loadAuditedSource(deps.store, range.source)
  if (onlySecret !== undefined && !source.secrets.some((s) => s.id === onlySecret)) {
    throw usage(
      `--only-secret: source "${range.source}" has no secret ${onlySecret}; its secrets are ${source.secrets.map((s) => s.id).join(', ')} (GET /sources/${range.source}).`,
    )
  }
  const builder = new SummaryBuilder(
    source.secrets.map((s) => ({
      id: s.id,
      keyId: s.keyId,
      activeFrom: s.createdAt.toISOString(),
      retiredAt: s.retiredAt?.toISOString() ?? null,
    })),
    onlySecret,
  )
  const total = await deps.ledger.count(range)
  const progress = progressReporter(total, io)
  let after = '0'
  for (;;) {
    const rows = await deps.ledger.page(range, after, PAGE_SIZE)
    if (rows.length === 0) break
    after = rows[rows.length - 1]?.seq ?? after
    await readLedgerEvents(
      rows,
      (outcome: ReadOutcome) => {
        builder.add(checkEvent(outcome, source, nowMs))
        progress(builder.summary.checked, false)
      },
      deps.read,
    )
  }
  progress(builder.summary.checked, true)
  const summary = builder.summary
  if (json)
    io.out(
      JSON.stringify(
        { source: range.source, kind: source.config.kind, ...rangeView(range), ...summary },
        null,
        2,
      ),
    )
  else printSummary(range, source.config.kind, summary, io)
  return exitCodeFor(summary.byStatus)
}

function rangeView(range: LedgerEventRange) {
  return { since: range.since.toISOString(), until: range.until?.toISOString() ?? null }
}

/** Writes `verify: done/total (pct), rate, ETA` to stderr at most once a second, and at the end. */
function progressReporter(total: number, io: CliIo): (done: number, last: boolean) => void {
  const started = Date.now()
  let shown = 0
  return (done, last) => {
    const now = Date.now()
    if (!last && now - shown < PROGRESS_EVERY_MS) return
    shown = now
    const seconds = Math.max((now - started) / 1000, 0.001)
    const rate = done / seconds
    const known = total >= done && rate > 0
    const eta = known ? ` ETA ${Math.ceil((total - done) / rate)} s` : ''
    const pct = total > 0 ? ` (${((100 * Math.min(done, total)) / total).toFixed(1)} %)` : ''
    io.err(
      `verify: ${done}/${total} events${pct}, ${rate.toFixed(0)} events/s,${last ? ` done in ${seconds.toFixed(1)} s` : eta}`,
    )
  }
}

function secretLine(s: { id: string; keyId: string; activeFrom: string; retiredAt: string | null }): string {
  return `secret ${s.id} (master key ${s.keyId}), active ${s.activeFrom} – ${s.retiredAt ?? 'now'}`
}

function printCheck(check: EventCheck, atReceipt: boolean, io: CliIo): void {
  io.out(`event      ${check.eventId} (source ${check.source}, ${check.kind})`)
  io.out(`entity     ${check.entity.type}/${check.entity.id} version ${check.entity.version}`)
  io.out(
    `received   ${check.receivedAt}, Kafka ${check.kafka.topic}/${check.kafka.partition}/${check.kafka.offset}`,
  )
  io.out(`result     ${check.status.toUpperCase().replaceAll('_', ' ')}`)
  for (const signer of check.signedBy) io.out(`signed by  ${secretLine(signer)}`)
  const { timestamp } = check
  const when = `${timestamp.judgedAt}${atReceipt ? ' (the received time)' : ''}`
  const signed = timestamp.signedAt ? `signed at ${timestamp.signedAt}; ` : ''
  const results = {
    within: `${signed}within the tolerance at ${when}`,
    outside: `${signed}OUTSIDE the tolerance at ${when}`,
    unsigned: `not signed: ${check.kind} signs no timestamp (replays are only de-duplicated)`,
    not_checked: 'not checked',
  }
  io.out(`timestamp  ${results[timestamp.result]}`)
  if (check.message) io.out(`why        ${check.message}`)
}

function printSummary(range: LedgerEventRange, kind: string, summary: VerifySummary, io: CliIo): void {
  const { since, until } = rangeView(range)
  io.out(
    `source ${range.source} (${kind}), received ${since} – ${until ?? 'now'}: ${summary.checked} event(s)`,
  )
  const s = summary.byStatus
  io.out(
    `verified ${s.verified}, signature failed ${s.signature_failed}, timestamp outside tolerance ${s.timestamp_outside_tolerance}, unreadable ${s.unreadable}`,
  )
  io.out('')
  io.out(['SECRET', 'MASTER KEY', 'ACTIVE FROM', 'RETIRED', 'SIGNED', 'ONLY THIS SECRET'].join('\t'))
  for (const t of summary.secrets) {
    io.out([t.id, t.keyId, t.activeFrom, t.retiredAt ?? '-', t.signed, t.onlyThisSecret].join('\t'))
  }
  if (summary.onlySecret) {
    io.out('')
    io.out(`events signed by ${summary.onlySecret.id} alone: ${summary.onlySecret.eventIds.length}`)
    for (const id of summary.onlySecret.eventIds) io.out(id)
  }
  if (summary.problems.length > 0) {
    io.out('')
    io.out('not verified:')
    for (const p of summary.problems) io.out(`${p.eventId}\t${p.status}\t${p.message ?? ''}`)
  }
}
