import { AuditLog, migrateAccess } from '@integration-ledger/access'
import { createPool } from '@integration-ledger/postgres'
import { userInfo } from 'node:os'
import { LedgerError, findLedgerError, newCorrelationId } from '@integration-ledger/core'
import { DlqOperations, type DlqActionResult, type DlqPage } from '@integration-ledger/dlq'
import { EnvelopeCodec, connectRawProducer, createKafkajsTransport } from '@integration-ledger/sdk'
import {
  type CliIo,
  csv,
  parseCommandLine,
  parseEnv,
  parseRequest,
  processIo,
  stackEnvSchema,
} from '@integration-ledger/service-kit'
import { dlqFilterSchema, dlqPageSchema, dlqRefSchema } from '../dlq/requests.js'

export const DLQ_HELP = `Usage: npm run dlq -- <command> --group <group> [options]

Inspect and act on a consumer group's dead-letter queue (<group>.dlq).

Commands:
  list                       List one page of DLQ records (oldest first) with their status.
  show <p:o>                 Show one record: every header and the decoded envelope.
  reindex [--rebuild]        Bring the DLQ index up to date with the topic (every command does
                             this first, within 30 s); --rebuild re-reads the whole topic.
  replay (<p:o>... | --all)  Produce records to their original topic, once each.
  discard (<p:o>... | --all) --reason <text>
                             Mark records as discarded (nothing is produced).

Options:
  --group <group>            Consumer group, e.g. ledger.projector (required)
  --source <source>          Only records whose envelope source is this
  --error-class <class>      Only records with this ledger-error-class, e.g. DECODE_FAILED
  --since <time>             Only records dead-lettered at or after this ISO 8601 time
  --until <time>             Only records dead-lettered before this ISO 8601 time
  --status <status>          list only: pending | replayed | discarded | all (default all)
  --limit <n>                list only: records per page, 1-10000 (default 100)
  --after <p:o>              list only: the page after this record (the "next page" printed)
  --rebuild                  reindex only: forget the index positions and re-read the topic
  --all                      replay/discard: every pending record matching the filters
  --actor <name>             Recorded as who acted, in dlq_actions and the audit log
                             (default cli:<OS user>)
  --reason <text>            Recorded as why (required for discard)
  --json                     Print JSON instead of a table
  -h, --help                 Show this help

Listing and showing read the DLQ index in PostgreSQL (dlq_index), which each command first
catches up from the topic: only records dead-lettered since the last command are read from Kafka.
Replays read the records they produce from Kafka.

Every replay and discard is written to the audit log (GET /audit on the admin API) as done by
the --actor.

Replays are idempotent: a record replayed or discarded before is skipped (and the attempt is
recorded). Consumers check event versions, so a replayed event older than the entity's current
state is simply recorded as stale.

Environment: DATABASE_URL, KAFKA_BROKERS, SCHEMA_REGISTRY_URL (defaults: the local stack).

Examples:
  npm run dlq -- list --group ledger.projector --error-class DECODE_FAILED
  npm run dlq -- list --group ledger.projector --limit 50 --after 2:17
  npm run dlq -- reindex --group ledger.projector
  npm run dlq -- show --group ledger.projector 2:17
  npm run dlq -- replay --group ledger.projector --all --source stripe --reason "schema fixed"
  npm run dlq -- discard --group ledger.projector 2:17 --reason "test event"
`

const COMMANDS = ['list', 'show', 'reindex', 'replay', 'discard'] as const

/** `reindex` may read a large backlog: it gets far longer than the other commands' 30 s. */
const REINDEX_TIMEOUT_MS = 3_600_000

/** Runs the DLQ CLI; returns the process exit code (0 ok, 1 failure, 2 usage error). */
export async function runDlqCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    {
      group: { type: 'string' },
      source: { type: 'string' },
      'error-class': { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      status: { type: 'string' },
      limit: { type: 'string' },
      after: { type: 'string' },
      rebuild: { type: 'boolean', default: false },
      all: { type: 'boolean', default: false },
      actor: { type: 'string' },
      reason: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    DLQ_HELP,
    io,
  )
  if (typeof parsed === 'number') return parsed
  const { values, positionals } = parsed
  const [command, ...refs] = positionals
  if (command === undefined) {
    io.out(DLQ_HELP)
    return 2
  }
  if (!(COMMANDS as readonly string[]).includes(command)) {
    io.err(`Unknown command "${command}"; expected one of ${COMMANDS.join(', ')}.\n\n${DLQ_HELP}`)
    return 2
  }
  if (!values.group) {
    io.err('--group is required, e.g. --group ledger.projector')
    return 2
  }
  const group = values.group

  let dlq: DlqOperations | undefined
  const closers: (() => Promise<void>)[] = []
  try {
    const filter = parseRequest(
      dlqFilterSchema,
      {
        source: values.source,
        errorClass: values['error-class'],
        since: values.since,
        until: values.until,
        status: values.status,
      },
      'filter options',
    )
    const page = parseRequest(dlqPageSchema, { limit: values.limit, after: values.after }, 'page options')
    const records = refs.map((ref) => parseRequest(dlqRefSchema, ref, `record "${ref}"`))
    if ((command === 'replay' || command === 'discard') && (records.length === 0) === !values.all) {
      throw new LedgerError(
        'VALIDATION_FAILED',
        `${command}: give record IDs (<partition>:<offset>) or --all, not both.`,
      )
    }
    if (command === 'show' && records.length !== 1) {
      throw new LedgerError('VALIDATION_FAILED', 'show: give exactly one record ID, <partition>:<offset>.')
    }

    const env = parseEnv(stackEnvSchema, io.env)
    const transport = createKafkajsTransport({ brokers: csv(env.KAFKA_BROKERS), clientId: 'ledger-dlq-cli' })
    const pool = createPool({ connectionString: env.DATABASE_URL, max: 2 })
    closers.push(() => pool.end())
    const producer = command === 'replay' ? await connectRawProducer(transport) : undefined
    if (producer) closers.push(() => producer.close())
    dlq = new DlqOperations({
      transport,
      codec: new EnvelopeCodec({ url: env.SCHEMA_REGISTRY_URL }),
      pool,
      sink: producer ?? { produceRaw: () => Promise.reject(new Error('read-only command')) },
    })
    await dlq.migrate()

    const print = (value: unknown) => io.out(JSON.stringify(value, null, 2))
    switch (command) {
      case 'list': {
        const list = await dlq.list(group, filter, page)
        if (values.json) print(list)
        else printTable(list, io)
        break
      }
      case 'reindex': {
        const options = { timeoutMs: REINDEX_TIMEOUT_MS }
        const indexed = values.rebuild
          ? await dlq.rebuildIndex(group, options)
          : await dlq.catchUp(group, options)
        io.out(`indexed ${indexed} record(s); the DLQ index of ${group} is up to date`)
        break
      }
      case 'show':
        print(await dlq.show(group, records[0]!))
        break
      case 'replay':
      case 'discard': {
        const selection = values.all ? { filter: { ...filter, status: undefined } } : { records }
        const actor = values.actor ?? `cli:${io.env.USER ?? userInfo().username}`
        let lastShown = 0
        const onProgress = ({ done, total }: { done: number; total: number }) => {
          // Roughly every 5 % on large replays, and at the end.
          if (done === total || done - lastShown >= Math.max(1, Math.floor(total / 20))) {
            lastShown = done
            io.err(`${command}: ${done}/${total}`)
          }
        }
        // Replayed records keep their own correlation IDs and carry this run's beside them.
        const correlationId = newCorrelationId()
        if (command === 'replay') io.err(`replay correlation ID: ${correlationId}`)
        const options = { actor, reason: values.reason, onProgress, correlationId }
        await migrateAccess(pool)
        const audit = new AuditLog(pool, 'dlq-cli')
        const operations = dlq
        const result = await audit.track(
          {
            actor: { name: actor, role: 'operator', tokenId: null },
            action: `dlq.${command}`,
            target: `dlq:${group}`,
            details: { reason: values.reason, ...selection },
          },
          () =>
            command === 'replay'
              ? operations.replay(group, selection, options)
              : operations.discard(group, selection, options),
          (r) => ({ done: r.done.length, skipped: r.skipped.length, missing: r.missing.length }),
        )
        if (values.json) print(result)
        else printResult(result, io)
        if (result.missing.length > 0) return 1
        break
      }
    }
    return 0
  } catch (err) {
    const ledgerError = findLedgerError(err)
    io.err(ledgerError ? `${ledgerError.code}: ${ledgerError.message}` : `Failed: ${String(err)}`)
    return ledgerError?.code === 'VALIDATION_FAILED' || ledgerError?.code === 'CONFIG_INVALID' ? 2 : 1
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {})
  }
}

function printTable({ records, total, next }: DlqPage, io: CliIo): void {
  if (records.length === 0) {
    io.out('No DLQ records match.')
    return
  }
  io.out(['ID', 'DEAD-LETTERED', 'STATUS', 'KIND', 'ERROR', 'SOURCE', 'ENTITY', 'ORIGIN'].join('\t'))
  for (const r of records) {
    io.out(
      [
        `${r.partition}:${r.offset}`,
        r.deadLetteredAt,
        r.status,
        r.failureKind ?? '-',
        r.errorClass ?? '-',
        r.event?.source ?? '-',
        r.event ? `${r.event.entityType}/${r.event.entityId}@${r.event.entityVersion}` : '(undecodable)',
        `${r.originalTopic}/${r.originalPartition}/${r.originalOffset}`,
      ].join('\t'),
    )
  }
  io.out(`${records.length} of ${total} record(s)${next ? `; next page: --after ${next}` : ''}`)
}

function printResult(result: DlqActionResult, io: CliIo): void {
  const ids = (refs: { partition: number; offset: string }[]) =>
    refs.map((r) => `${r.partition}:${r.offset}`).join(' ')
  const verb = result.action === 'replay' ? 'replayed' : 'discarded'
  io.out(`${verb}: ${result.done.length}${result.done.length ? ` (${ids(result.done)})` : ''}`)
  if (result.skipped.length)
    io.out(`skipped, already replayed or discarded: ${result.skipped.length} (${ids(result.skipped)})`)
  if (result.missing.length) io.out(`not in the DLQ: ${result.missing.length} (${ids(result.missing)})`)
}
