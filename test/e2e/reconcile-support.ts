// The reconciler's end-to-end fixture: the fake Stripe delivering webhooks to a real ingest, the
// projector in-process, and the reconciler's core, all on a unique topic and database.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { type FakeProviders, startFakeProviders } from '@integration-ledger/fake-providers'
import { loadIngestConfig, startIngest } from '@integration-ledger/ingest'
import { buildProjectorApp, loadProjectorConfig } from '@integration-ledger/projector'
import {
  type ReconcilerCore,
  loadReconcilerConfig,
  startReconcilerCore,
} from '@integration-ledger/reconciler'
import { silentLogger } from '@integration-ledger/core'
import { createKafkajsTransport } from '@integration-ledger/sdk'
import {
  type CleanupHost,
  createTestPool,
  stackEnv,
  uniqueName,
  waitFor,
  writeSourcesFile,
} from '@integration-ledger/testing'
import type pg from 'pg'
import { projectorFixture, type ProjectorFixture } from './projector-support.js'

export const WEBHOOK_SECRET = 'whsec_cmVjb25jaWxlci10ZXN0LXNlY3JldC0wMDAwMDA='
const RECOVERY_TOKEN = 'reconcile-recovery-token-000000'

export interface ReconcileFixture {
  fixture: ProjectorFixture
  fakes: FakeProviders
  pool: pg.Pool
  /** The reconciler's environment (add to it for a child process). */
  env: Record<string, string>
  core: ReconcilerCore
  /** Moves the fakes' (and the reconciler's) clock on, so the next change gets a later version (whole seconds). */
  tick(seconds?: number): void
  /** Ingest's origin (webhooks and POST /recovered). */
  ingestUrl: string
}

/**
 * A throwaway database and topic, ingest taking one webhook source into it (`extraEnv` on top,
 * such as recovery tokens) and the projector applying it: what every reconcile fixture starts from.
 */
async function pipelineWithSource(
  t: CleanupHost,
  name: string,
  source: { name: string; kind: string; secret: string },
  extraEnv: Record<string, string> = {},
) {
  const { url: databaseUrl, pool } = await createTestPool(t, stackEnv().databaseUrl)
  const fixture = await projectorFixture(t, name, { databaseUrl })
  const sourcesFile = await writeSourcesFile([
    `  - name: ${source.name}`,
    `    kind: ${source.kind}`,
    `    secrets: ["${source.secret}"]`,
    `    topic: ${fixture.topic}`,
  ])
  const ingest = await startIngest(
    loadIngestConfig({ ...fixture.env, LEDGER_SOURCES: sourcesFile, ...extraEnv }),
  )
  t.after(() => ingest.close())
  const ingestUrl = await ingest.listen({ host: '127.0.0.1', port: 0 })
  const { app: projector } = await buildProjectorApp(loadProjectorConfig(fixture.env))
  t.after(() => projector.close())
  return { pool, fixture, ingestUrl }
}

/**
 * Starts everything; `customers` Stripe customers are created through the fake (each webhook goes
 * through ingest and the projector) and projected before it returns.
 */
export async function reconcileFixture(
  t: CleanupHost,
  name: string,
  options: {
    customers: number
    pageSize: number
    rateLimitPerSecond?: number | false
    /** Runs start with the catch-up phase (ingest takes recovered events). @default false */
    catchUp?: boolean
  },
): Promise<ReconcileFixture> {
  const { pool, fixture, ingestUrl } = await pipelineWithSource(
    t,
    name,
    { name: 'billing', kind: 'stripe', secret: WEBHOOK_SECRET },
    options.catchUp === true ? { INGEST_RECOVERY_TOKENS: `reconciler=${RECOVERY_TOKEN}` } : {},
  )

  // Close to real time (ingest checks the signature's timestamp), moved on by hand between changes.
  let offsetMs = 0
  const fakes = await startFakeProviders({
    seed: 9,
    clock: { now: () => Date.now() + offsetMs },
    stripe: {
      sizes: { customers: 0, subscriptions: 0, invoices: 0, paymentIntents: 0, charges: 0 },
      webhook: { url: `${ingestUrl}/webhooks/billing`, secret: WEBHOOK_SECRET },
      ...(options.rateLimitPerSecond === undefined ? {} : { rateLimitPerSecond: options.rateLimitPerSecond }),
    },
  })
  t.after(() => fakes.close())
  for (let i = 0; i < options.customers; i++)
    fakes.stripe.records.create('customer', { name: `Customer ${i}` })
  await fakes.stripe.handler.settled()
  await waitFor(
    async () =>
      (
        await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM projections WHERE entity_type = 'customer'`,
        )
      ).rows[0]!.n === options.customers,
    { description: 'every created customer projected' },
  )

  const env: Record<string, string> = {
    ...fixture.env,
    ...(options.catchUp === true
      ? { RECONCILER_INGEST_URL: ingestUrl, RECONCILER_INGEST_TOKEN: RECOVERY_TOKEN }
      : {}),
    TEST_STRIPE_KEY: fakes.credentials.stripe.secretKey,
    RECONCILER_SOURCES: JSON.stringify([
      {
        name: 'billing',
        kind: 'stripe',
        topic: fixture.topic,
        baseUrl: fakes.credentials.stripe.baseUrl,
        credentialEnv: 'TEST_STRIPE_KEY',
        pageSize: options.pageSize,
      },
    ]),
  }
  const core = await startReconcilerCore(loadReconcilerConfig(env), {
    clock: { now: () => Date.now() + offsetMs },
    logger: silentLogger,
  })
  t.after(() => core.close())
  return {
    fixture,
    fakes,
    pool,
    env,
    core,
    tick: (seconds = 5) => {
      offsetMs += seconds * 1000
    },
    ingestUrl,
  }
}

/** The number of records in the topic (all partitions): what anyone ever published to it. */
export async function topicRecords(fixture: ProjectorFixture): Promise<number> {
  const admin = createKafkajsTransport({ brokers: fixture.stack.kafkaBrokers }).admin()
  await admin.connect()
  try {
    const offsets = await admin.topicOffsets(fixture.topic)
    return offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0)
  } finally {
    await admin.disconnect()
  }
}

/** Customer IDs in projection order. */
export async function customerIds(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ entity_id: string }>(
    `SELECT entity_id FROM projections WHERE entity_type = 'customer' ORDER BY entity_id`,
  )
  return rows.map((r) => r.entity_id)
}

export const GITHUB_WEBHOOK_SECRET = 'github-reconcile-webhook-secret-0000'

export interface GithubReconcileFixture extends Omit<ReconcileFixture, 'tick'> {
  /** Where the fake GitHub posts deliveries when they should arrive (ingest's webhook route). */
  webhookUrl: string
  /** The projection entity ID of issue `number`. */
  issueId: (number: number) => string
}

/**
 * The GitHub counterpart of `reconcileFixture`: the fake GitHub delivering `issues` webhooks,
 * signed with the source's secret, to a real ingest (`code`, kind github), the projector, and the
 * reconciler's core with the GitHub source (issues, redelivery catch-up over the hook's log).
 * `issues` issues and `pulls` pull requests are created through the fake and projected first.
 */
export async function githubReconcileFixture(
  t: CleanupHost,
  name: string,
  options: {
    issues: number
    pulls?: number
    pageSize: number
    /** @default 30 */
    settleSeconds?: number
    /** @default 3 */
    redeliveryMaxAttempts?: number
  },
): Promise<GithubReconcileFixture> {
  const { pool, fixture, ingestUrl } = await pipelineWithSource(t, name, {
    name: 'code',
    kind: 'github',
    secret: GITHUB_WEBHOOK_SECRET,
  })

  const webhookUrl = `${ingestUrl}/webhooks/code`
  const fakes = await startFakeProviders({
    seed: 9,
    stripe: { sizes: { customers: 0, subscriptions: 0, invoices: 0, paymentIntents: 0, charges: 0 } },
    shopify: { sizes: { orders: 0, products: 0, customers: 0 } },
    github: {
      sizes: { issues: 0, pulls: 0, deliveries: 0 },
      webhook: { url: webhookUrl, secret: GITHUB_WEBHOOK_SECRET },
    },
  })
  t.after(() => fakes.close())
  for (let i = 0; i < options.issues; i++) fakes.github.records.create('issue', { title: `Issue ${i}` })
  for (let i = 0; i < (options.pulls ?? 0); i++) fakes.github.records.create('pull', { title: `Pull ${i}` })
  await fakes.github.handler.settled()
  const total = options.issues + (options.pulls ?? 0)
  await waitFor(
    async () =>
      (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM projections`)).rows[0]!.n === total,
    { description: 'every created issue and pull request projected' },
  )

  const { baseUrl, token, owner, repo, hookId } = fakes.credentials.github
  const env: Record<string, string> = {
    ...fixture.env,
    TEST_GITHUB_TOKEN: token,
    RECONCILER_SOURCES: JSON.stringify([
      {
        name: 'code',
        kind: 'github',
        topic: fixture.topic,
        baseUrl,
        credentialEnv: 'TEST_GITHUB_TOKEN',
        owner,
        repo,
        hookId,
        pageSize: options.pageSize,
        ...(options.settleSeconds === undefined ? {} : { catchUpSettleSeconds: options.settleSeconds }),
        ...(options.redeliveryMaxAttempts === undefined
          ? {}
          : { redeliveryMaxAttempts: options.redeliveryMaxAttempts }),
      },
    ]),
  }
  const core = await startReconcilerCore(loadReconcilerConfig(env), { logger: silentLogger })
  t.after(() => core.close())
  return {
    fixture,
    fakes,
    pool,
    env,
    core,
    ingestUrl,
    webhookUrl,
    issueId: (number) => `${owner}/${repo}#${number}`,
  }
}

/**
 * Runs `npm run reconcile -- --source billing --type customer` as its own process against the
 * fixture's environment and SIGKILLs it as soon as its progress on stderr contains `killAt`;
 * asserts that the kill is what ended it and returns what it printed. Returns only once the
 * killed process's PostgreSQL sessions have ended: a backend notices its closed socket a moment
 * after the kill, and until then the session's run lock is still held (CI once started the next
 * run in that moment and was told a run was already going).
 */
export async function reconcileCliKilledAt(
  t: CleanupHost,
  fixture: { env: NodeJS.ProcessEnv; pool: pg.Pool },
  killAt: string,
): Promise<string> {
  const applicationName = uniqueName('killed_reconcile_cli')
  const child = spawn(
    process.execPath,
    [
      '--conditions=@integration-ledger/source',
      '--import',
      'tsx',
      'services/reconciler/src/cli/main.ts',
      '--source',
      'billing',
      '--type',
      'customer',
    ],
    {
      env: { ...process.env, ...fixture.env, LOG_LEVEL: 'silent', PGAPPNAME: applicationName },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  t.after(() => void child.kill('SIGKILL'))
  let stderr = ''
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk
    if (stderr.includes(killAt)) child.kill('SIGKILL')
  })
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null]
  assert.equal(signal, 'SIGKILL', `killed (exit ${code}); stderr: ${stderr}`)
  await waitFor(
    async () => {
      const { rows } = await fixture.pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
        [applicationName],
      )
      return rows[0]?.n === 0
    },
    { timeoutMs: 10_000, description: "the killed CLI's PostgreSQL sessions to end" },
  )
  return stderr
}
