import { userInfo } from 'node:os'
import { LedgerError } from '@integration-ledger/core'
import { type CliIo, parseCommandLine, processIo } from '@integration-ledger/service-kit'
import { loadReconcilerConfig } from '../config.js'
import { REVIEW_ACTIONS, type ReviewAction } from '../review/review-service.js'
import { summarise } from '../run/report.js'
import { type ReconcilerCore, startReconcilerCore } from '../start.js'
import { targetFor } from '../targets.js'

export const RECONCILE_HELP = `Usage:
  npm run reconcile -- --source <name> --type <entity type> [--since <ISO time>] [--dry-run]
  npm run reconcile -- review list [--status open|accepted-remote|kept-local|ignored|all] [--limit n] [--after id]
  npm run reconcile -- review resolve <id> --action accept-remote|keep-local|ignore

Compares the projections of a source's entities with the provider's records and:
  repairs    missing locally, local version behind: a corrective event (type ledger.reconciled)
             is published into the ledger and applied by the projector like any other event;
  reviews    local version ahead, same version with different content, deleted remotely: a
             review item, resolved by a person (accept-remote publishes a corrective event).
Sources (RECONCILER_SOURCES, "kind"):
  stripe     customers (--type customer); API key in STRIPE_API_KEY (or the source's credentialEnv)
  github     issues of one repository (--type issue): "owner", "repo", "hookId" (the repository
             webhook that delivers to ingest); token in GITHUB_TOKEN (or credentialEnv)
Catch-up: a run first reads the provider's event log from the source's checkpoint.
  Stripe: GET /v1/events (30 days kept); every event the ledger lacks is handed to ingest
  (POST /recovered/:source, RECONCILER_INGEST_URL + RECONCILER_INGEST_TOKEN) under its own provider
  event ID: its webhook arriving later is a duplicate. A checkpoint older than 20 days is warned
  about; one older than 30 days means events may be lost, and the scan that follows is needed.
  GitHub: the hook's deliveries log (about 3 days kept); each delivery with no successful attempt
  (and not in the ledger) is redelivered once (POST .../deliveries/:id/attempts), through ingest's
  webhook path and signature check; asked again only when the log shows that redelivery failed,
  up to redeliveryMaxAttempts (3).
A run saves its checkpoint after every page; a run killed or failed midway is resumed by the
next run with the same options, and publishes no corrective event twice. Deletes are judged only
after a complete listing without --since.

Options:
  --source <name>      Source to reconcile, as configured in RECONCILER_SOURCES (e.g. billing)
  --type <type>        Entity type (customer for Stripe, issue for GitHub)
  --since <time>       Only records changed since then (Stripe: created, GitHub: updated); deletes
                       are not judged
  --dry-run            Classify and report only: publish nothing, write no review item
  --skip-catch-up      Do not read the provider's event log first (see Catch-up below)
  --action <action>    review resolve: accept-remote | keep-local | ignore
  --status <status>    review list: which items (default open)
  --actor <name>       Recorded as who acted, in the run or item and the audit log
                       (default cli:<OS user>)
  --json               Print the JSON report / items instead of a summary
  -h, --help           Show this help

Environment: RECONCILER_SOURCES (default [{"name":"billing","kind":"stripe"}]), the API key
variable each source names (default STRIPE_API_KEY, GITHUB_TOKEN), RECONCILER_INGEST_URL (default
http://127.0.0.1:8080) and RECONCILER_INGEST_TOKEN (unset: no catch-up), DATABASE_URL, KAFKA_BROKERS,
SCHEMA_REGISTRY_URL (defaults: the local stack).

Examples:
  STRIPE_API_KEY=sk_test_fake_ledger_0000000000000000 \\
  RECONCILER_SOURCES='[{"name":"billing","kind":"stripe","baseUrl":"http://127.0.0.1:12111"}]' \\
    npm run reconcile -- --source billing --type customer
  GITHUB_TOKEN=ghp_fakeLedger000000000000000000000000 \\
  RECONCILER_SOURCES='[{"name":"code","kind":"github","baseUrl":"http://127.0.0.1:12113","owner":"acme","repo":"widgets","hookId":424242}]' \\
    npm run reconcile -- --source code --type issue
  npm run reconcile -- review list
  npm run reconcile -- review resolve 3 --action keep-local
`

/** Runs the CLI; returns the exit code (0 ok, 1 failed, 2 usage). */
export async function runReconcileCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    {
      source: { type: 'string' },
      type: { type: 'string' },
      since: { type: 'string' },
      'dry-run': { type: 'boolean' },
      'skip-catch-up': { type: 'boolean' },
      action: { type: 'string' },
      status: { type: 'string' },
      limit: { type: 'string' },
      after: { type: 'string' },
      actor: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    RECONCILE_HELP,
    io,
  )
  if (typeof parsed === 'number') return parsed
  const { values, positionals } = parsed
  const usage = checkUsage(values, positionals)
  if (usage !== undefined) {
    io.err(`${usage}\n\n${RECONCILE_HELP}`)
    return 2
  }
  const actor = values.actor ?? `cli:${userInfo().username}`
  let core: ReconcilerCore | undefined
  try {
    core = await startReconcilerCore(loadReconcilerConfig(io.env))
    if (positionals[0] === 'review') return await review(core, positionals, values, actor, io)
    const target = targetFor(core.targets, core.config.sources, values.source!, values.type!)
    const started = Date.now()
    let lastProgress = 0
    const { reconciler } = core
    const report = await core.audit.track(
      {
        actor: { name: actor, role: 'operator', tokenId: null },
        action: 'reconcile.start',
        target: `reconcile:${target.source}/${values.type!}`,
        details: { since: values.since, dryRun: values['dry-run'] === true },
      },
      () =>
        reconciler.run(target, {
          entityType: values.type!,
          actor,
          ...(values.since === undefined ? {} : { since: new Date(values.since) }),
          ...(values['dry-run'] === true ? { dryRun: true } : {}),
          ...(io.signal === undefined ? {} : { signal: io.signal }),
          ...(values['skip-catch-up'] === true ? { catchUp: false } : {}),
          onCatchUpPage: (c) =>
            io.err(
              `catch-up page ${c.pages}: ${c.listed} read, ${c.missing} missing, ${c.published} published`,
            ),
          // Every page at first (so a start is visible), then at most every 2 s.
          onProgress: (p) => {
            if (p.pages > 5 && Date.now() - lastProgress < 2000) return
            lastProgress = Date.now()
            io.err(
              `page ${p.pages}: ${p.compared} records compared, ${p.ratePerSecond.toFixed(0)}/s, ${((Date.now() - started) / 1000).toFixed(1)} s`,
            )
          },
        }),
      (finished) => ({ runId: finished.runId, drift: finished.drift }),
    )
    io.out(values.json === true ? JSON.stringify(report, null, 2) : summarise(report))
    return 0
  } catch (err) {
    io.err(err instanceof LedgerError ? `${err.code}: ${err.message}` : `failed: ${(err as Error).message}`)
    return 1
  } finally {
    await core?.close()
  }
}

type Values = Record<string, string | boolean | undefined>

function checkUsage(values: Values, positionals: readonly string[]): string | undefined {
  if (positionals[0] === 'review') {
    const command = positionals[1]
    if (command === 'list') return undefined
    if (command !== 'resolve') return 'review needs a command: list or resolve'
    if (positionals[2] === undefined || !/^\d+$/.test(positionals[2]))
      return 'review resolve needs an item ID'
    if (!REVIEW_ACTIONS.includes(values['action'] as ReviewAction))
      return `--action must be one of ${REVIEW_ACTIONS.join(', ')}`
    return undefined
  }
  if (positionals.length > 0) return `unknown command "${positionals[0]}"`
  if (typeof values['source'] !== 'string' || typeof values['type'] !== 'string')
    return '--source and --type are required'
  if (typeof values['since'] === 'string' && Number.isNaN(Date.parse(values['since'])))
    return '--since must be an ISO 8601 time'
  return undefined
}

async function review(
  core: ReconcilerCore,
  positionals: readonly string[],
  values: Values,
  actor: string,
  io: CliIo,
): Promise<number> {
  if (positionals[1] === 'list') {
    const status = typeof values['status'] === 'string' ? values['status'] : 'open'
    const items = await core.review.list({
      status: status === 'all' ? null : status,
      ...(typeof values['limit'] === 'string' ? { limit: Number(values['limit']) } : {}),
      ...(typeof values['after'] === 'string' ? { after: Number(values['after']) } : {}),
    })
    if (values['json'] === true) io.out(JSON.stringify(items, null, 2))
    else if (items.length === 0) io.out(`no ${status} review items`)
    else {
      for (const i of items) {
        io.out(
          `${i.id}\t${i.status}\t${i.kind}\t${i.source}/${i.entityType}/${i.entityId}\tlocal v${i.localVersion ?? '-'} remote v${i.remoteVersion ?? '-'}\tfound ${i.foundAt}${i.resolvedBy === null ? '' : `\tby ${i.resolvedBy} at ${i.resolvedAt}`}`,
        )
      }
    }
    return 0
  }
  const id = Number(positionals[2])
  const action = values['action'] as ReviewAction
  const item = await core.audit.track(
    {
      actor: { name: actor, role: 'operator', tokenId: null },
      action: 'review.resolve',
      target: `review:${id}`,
      details: { action },
    },
    () => core.review.resolve(id, action, actor),
  )
  io.out(
    values['json'] === true
      ? JSON.stringify(item, null, 2)
      : `review item ${item.id}: ${item.status} by ${item.resolvedBy}${item.resolutionEventId === null ? '' : `, corrective event ${item.resolutionEventId}`}`,
  )
  return 0
}
