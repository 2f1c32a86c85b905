// `npm run bench:reconcile`: records compared per second by one reconciliation of BENCH_RECORDS
// (default 100000) fake Stripe customers against as many projections with 1 % drift (half deleted
// rows, half versions behind: every drifted record is repaired, so the run publishes 1 % of them),
// once with the fake enforcing no rate limit (the reconciler's own cost) and once with Stripe's
// test-mode limit of 25 requests/s (the provider-bound time). Each mode gets its own database and
// topic; the projector does not run (the corrective events are only published).
import { cpus, loadavg } from 'node:os'
import { startFakeProviders } from '@integration-ledger/fake-providers'
import { createPool } from '@integration-ledger/postgres'
import { migrate } from '@integration-ledger/projector'
import { buildTargets, loadReconcilerConfig, startReconcilerCore } from '@integration-ledger/reconciler'
import { createKafkajsTransport, declareTopology } from '@integration-ledger/sdk'
import { createTestDatabase, uniqueName } from '@integration-ledger/testing'
import { Registry } from 'prom-client'
import { ensureStack } from '@integration-ledger/local-stack'
import { benchScope } from './bench-scope.js'

const size = Number(process.env.BENCH_RECORDS ?? 100_000)
const { log, scope, cleanUp } = benchScope()

// Both fakes start their clock at the same whole second, so the same seed gives the same customers
// and versions; each clock then runs in real time, as the rate limiter needs.
const t0 = Math.floor(Date.now() / 1000) * 1000
const fake = (rateLimitPerSecond: number | false) => {
  const base = Date.now()
  return startFakeProviders({
    seed: 3,
    clock: { now: () => t0 + (Date.now() - base) },
    stripe: {
      rateLimitPerSecond,
      sizes: { customers: size, subscriptions: 0, invoices: 0, paymentIntents: 0, charges: 0 },
    },
  })
}

const infra = await ensureStack({ prometheus: false, log })
try {
  const stack = infra.env
  log(`${size} customers, ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)}`)

  // What the projections hold when nothing drifted: the remote records as the reconciler reads them.
  const seedFake = await fake(false)
  scope.after(() => seedFake.close())
  const readerConfig = loadReconcilerConfig({
    BENCH_STRIPE_KEY: seedFake.credentials.stripe.secretKey,
    RECONCILER_SOURCES: JSON.stringify([
      {
        name: 'billing',
        kind: 'stripe',
        baseUrl: seedFake.credentials.stripe.baseUrl,
        credentialEnv: 'BENCH_STRIPE_KEY',
      },
    ]),
  })
  const readerTarget = buildTargets(readerConfig, new Registry()).get('billing')!
  const reader = readerTarget.remote
  const remote: { id: string; version: number; state: unknown }[] = []
  for (let cursor: string | undefined, first = true; first || cursor !== undefined; first = false) {
    const page = await reader.listPage('customer', cursor, {})
    for (const r of page.records) remote.push({ id: r.entityId, version: r.version, state: r.state })
    cursor = page.nextCursor
  }
  await readerTarget.close()
  log(`read ${remote.length} remote customers`)

  const rows: string[] = []
  for (const limit of [false, 25] as const) {
    const fakes = limit === false ? seedFake : await fake(limit)
    if (fakes !== seedFake) scope.after(() => fakes.close())
    const databaseUrl = await createTestDatabase(scope, stack.databaseUrl)
    const pool = createPool({ connectionString: databaseUrl, max: 2 })
    scope.after(() => pool.end())
    await migrate(pool)
    for (let i = 0; i < remote.length; i += 5000) {
      const chunk = remote.slice(i, i + 5000)
      await pool.query(
        `WITH e AS (
           INSERT INTO ledger_events (event_id, source, provider_event_id, type, entity_type, entity_id, entity_version,
             occurred_at, received_at, correlation_id, content_type, payload, payload_sha256, kafka_topic,
             kafka_partition, kafka_offset, outcome)
           SELECT gen_random_uuid(), 'billing', 'seed_' || id, 'customer.created', 'customer', id, v, now(), now(),
             'bench', 'application/json', s, '\\x00', 'bench', 0, 0, 'applied'
             FROM unnest($1::text[], $2::bigint[], $3::jsonb[]) AS t(id, v, s)
           RETURNING event_id, entity_id, entity_version, payload)
         INSERT INTO projections (entity_type, entity_id, version, last_event_id, state)
         SELECT 'customer', entity_id, entity_version, event_id, payload FROM e`,
        [chunk.map((r) => r.id), chunk.map((r) => r.version), chunk.map((r) => JSON.stringify(r.state))],
      )
    }
    // 1 % drift: every 200th row deleted, every 200th (offset 100) a version behind.
    const lost = remote.filter((_, i) => i % 200 === 0).map((r) => r.id)
    const behind = remote.filter((_, i) => i % 200 === 100).map((r) => r.id)
    await pool.query('DELETE FROM projections WHERE entity_id = ANY($1)', [lost])
    await pool.query('UPDATE projections SET version = version - 1 WHERE entity_id = ANY($1)', [behind])
    await pool.query('ANALYZE')

    const topic = uniqueName('bench.reconcile').replaceAll('_', '.')
    const admin = createKafkajsTransport({ brokers: stack.kafkaBrokers }).admin()
    await admin.connect()
    await admin.ensureTopics(declareTopology({ eventTopics: [topic] }).filter((s) => s.topic === topic))
    scope.after(async () => {
      await admin.deleteTopics([topic]).catch(() => {})
      await admin.disconnect()
    })

    const core = await startReconcilerCore(
      loadReconcilerConfig({
        DATABASE_URL: databaseUrl,
        KAFKA_BROKERS: stack.kafkaBrokers.join(','),
        SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
        LOG_LEVEL: 'silent',
        BENCH_STRIPE_KEY: fakes.credentials.stripe.secretKey,
        RECONCILER_SOURCES: JSON.stringify([
          {
            name: 'billing',
            kind: 'stripe',
            topic,
            baseUrl: fakes.credentials.stripe.baseUrl,
            credentialEnv: 'BENCH_STRIPE_KEY',
          },
        ]),
      }),
    )
    scope.after(() => core.close())
    let lastLog = 0
    const report = await core.reconciler.run(core.targets.get('billing')!, {
      entityType: 'customer',
      actor: 'bench',
      onProgress: (p) => {
        if (Date.now() - lastLog < 5000) return
        lastLog = Date.now()
        log(
          `${limit === false ? 'no limit' : `${limit}/s`}: ${p.compared} compared, ${p.ratePerSecond.toFixed(0)}/s`,
        )
      },
    })
    const drift = Object.entries(report.drift)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')
    rows.push(
      `| ${limit === false ? 'none' : `${limit} requests/s`} | ${report.compared} | ${report.durationSeconds.toFixed(1)} | ${Math.round(report.compared / report.durationSeconds)} | ${report.requests} | ${report.throttleWaits} (${(report.throttleWaitMs / 1000).toFixed(1)} s) | ${drift} | ${report.repairsPublished} |`,
    )
  }
  process.stdout.write(
    [
      '| fake Stripe limit | records compared | run s | records/s | requests | throttle waits | drift found | repairs published |',
      '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
      ...rows,
      '',
    ].join('\n'),
  )
} finally {
  await cleanUp()
  if (process.env.LEDGER_KEEP_STACK !== '1') await infra.stop()
}
