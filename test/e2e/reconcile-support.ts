// The reconciler's end-to-end fixture: the fake Stripe delivering webhooks to a real ingest, the
// projector in-process, and the reconciler's core, all on a unique topic and database.
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
  const { url: databaseUrl, pool } = await createTestPool(t, stackEnv().databaseUrl)
  const fixture = await projectorFixture(t, name, { databaseUrl })
  const sourcesFile = await writeSourcesFile([
    '  - name: billing',
    '    kind: stripe',
    `    secrets: ["${WEBHOOK_SECRET}"]`,
    `    topic: ${fixture.topic}`,
  ])
  const ingest = await startIngest(
    loadIngestConfig({
      ...fixture.env,
      LEDGER_SOURCES: sourcesFile,
      ...(options.catchUp === true ? { INGEST_RECOVERY_TOKENS: `reconciler=${RECOVERY_TOKEN}` } : {}),
    }),
  )
  t.after(() => ingest.close())
  const ingestUrl = await ingest.listen({ host: '127.0.0.1', port: 0 })
  const { app: projector } = await buildProjectorApp(loadProjectorConfig(fixture.env))
  t.after(() => projector.close())

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
