import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type AuditRecord, AdminTokenStore } from '@integration-ledger/access'
import {
  buildReconcilerApp,
  loadReconcilerConfig,
  startReconcilerCore,
  startSchedule,
} from '@integration-ledger/reconciler'
import { cleanupScope, createTestDatabase, stackEnv, waitFor } from '@integration-ledger/testing'
import { customerIds, reconcileFixture } from './reconcile-support.js'

const ADA = 'ada-token-0123456789abcdef'
const GRACE = 'grace-token-0123456789abcdef'

describe('reconciler HTTP API', () => {
  it('starts runs (one at a time), serves reports and review items, records who resolved what in the audit log', async (test) => {
    const t = cleanupScope(test)
    const f = await reconcileFixture(t, 'reconcile-api', { customers: 6, pageSize: 2 })
    const core = await startReconcilerCore(
      loadReconcilerConfig({ ...f.env, RECONCILER_TOKENS: `ada=${ADA},grace=${GRACE}` }),
    )
    t.after(() => core.close())
    const app = await buildReconcilerApp(core)
    t.after(() => app.close())
    const as = (token: string) => ({ authorization: `Bearer ${token}` })
    // Named admin tokens (the admin service's, in the shared database) work here too.
    const store = new AdminTokenStore(f.pool)
    const viewer = (await store.create({ name: 'viewer', role: 'read-only' }, 'test')).token
    const hopper = await store.create({ name: 'hopper', role: 'operator' }, 'test')

    assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200)
    assert.equal((await app.inject({ url: '/readyz' })).statusCode, 200)
    assert.equal((await app.inject({ url: '/runs' })).statusCode, 401)
    assert.equal((await app.inject({ url: '/runs', headers: as('wrong-token-0123456789') })).statusCode, 401)

    const [ahead] = await customerIds(f.pool)
    await f.pool.query(`UPDATE projections SET version = version + 100 WHERE entity_id = $1`, [ahead])
    // Slow listings keep the first run going while the second asks.
    const slow = f.fakes.stripe.inject({ path: '/v1/customers', action: { kind: 'delay', ms: 300 } })
    const readOnly = await app.inject({
      method: 'POST',
      url: '/runs',
      headers: as(viewer),
      payload: { source: 'billing', entityType: 'customer' },
    })
    assert.equal(readOnly.statusCode, 403, readOnly.body)
    assert.equal((await app.inject({ url: '/runs', headers: as(viewer) })).statusCode, 200)
    const badLimit = await app.inject({ url: '/runs?limit=abc', headers: as(viewer) })
    assert.equal(badLimit.statusCode, 400, "a bad query is the caller's mistake, not a 500")
    assert.match(badLimit.json<{ message: string }>().message, /^Invalid runs query: limit: /)
    const started = await app.inject({
      method: 'POST',
      url: '/runs',
      headers: as(ADA),
      payload: { source: 'billing', entityType: 'customer' },
    })
    assert.equal(started.statusCode, 202, started.body)
    const { runId } = started.json<{ runId: string }>()
    const again = await app.inject({
      method: 'POST',
      url: '/runs',
      headers: as(GRACE),
      payload: { source: 'billing', entityType: 'customer' },
    })
    assert.equal(again.statusCode, 409, again.body)
    assert.match(again.json<{ message: string }>().message, /already running/)
    const unknown = await app.inject({
      method: 'POST',
      url: '/runs',
      headers: as(ADA),
      payload: { source: 'nope', entityType: 'customer' },
    })
    assert.equal(unknown.statusCode, 404)

    const run = await waitFor(
      async () => {
        const r = (await app.inject({ url: `/runs/${runId}`, headers: as(ADA) })).json<{
          status: string
          startedBy: string
          report: { drift: Record<string, number>; pages: number } | null
        }>()
        return r.status === 'succeeded' ? r : undefined
      },
      { description: 'the run finished' },
    )
    slow.remove()
    assert.equal(run.startedBy, 'ada')
    assert.deepEqual(run.report?.drift, { 'local-ahead': 1 })
    assert.equal(run.report?.pages, 3)
    const list = (await app.inject({ url: '/runs', headers: as(ADA) })).json<{ runs: { id: string }[] }>()
    assert.deepEqual(
      list.runs.map((r) => r.id),
      [runId],
    )

    const review = (await app.inject({ url: '/review', headers: as(ADA) })).json<{
      items: { id: number; kind: string; entityId: string }[]
    }>()
    assert.deepEqual(
      review.items.map((i) => [i.kind, i.entityId]),
      [['local-ahead', ahead]],
    )
    const bad = await app.inject({
      method: 'POST',
      url: `/review/${review.items[0]!.id}/resolve`,
      headers: as(GRACE),
      payload: { action: 'delete-everything' },
    })
    assert.equal(bad.statusCode, 400)
    const resolved = await app.inject({
      method: 'POST',
      url: `/review/${review.items[0]!.id}/resolve`,
      headers: as(hopper.token),
      payload: { action: 'keep-local', resolvedBy: 'mallory' },
    })
    assert.equal(resolved.statusCode, 200, resolved.body)
    assert.equal(resolved.json<{ resolvedBy: string; status: string }>().resolvedBy, 'hopper')
    assert.equal(
      (
        await app.inject({
          url: '/review/999999/resolve',
          method: 'POST',
          headers: as(ADA),
          payload: { action: 'ignore' },
        })
      ).statusCode,
      404,
    )

    await store.revoke('hopper', 'test')
    const revoked = await app.inject({
      method: 'POST',
      url: `/review/${review.items[0]!.id}/resolve`,
      headers: as(hopper.token),
      payload: { action: 'ignore' },
    })
    assert.equal(revoked.statusCode, 401)

    // The same audit log as the admin service's: who (from the token), what, and how it went.
    const { rows } = await f.pool.query<Omit<AuditRecord, 'id' | 'at' | 'details'> & { details: object }>(
      `SELECT service, actor, actor_token_id AS "actorTokenId", action, target, outcome, error_code AS "errorCode", details
         FROM ledger_audit_log ORDER BY id`,
    )
    const item = review.items[0]!.id
    assert.deepEqual(
      rows.map((r) => [r.service, r.actor, r.action, r.target, r.outcome, r.errorCode]),
      [
        ['reconciler', 'viewer', 'reconcile.start', 'reconcile:billing/customer', 'refused', 'FORBIDDEN'],
        ['reconciler', 'ada', 'reconcile.start', 'reconcile:billing/customer', 'succeeded', null],
        ['reconciler', 'grace', 'reconcile.start', 'reconcile:billing/customer', 'failed', 'CONFLICT'],
        ['reconciler', 'ada', 'reconcile.start', 'reconcile:nope/customer', 'failed', 'NOT_FOUND'],
        ['reconciler', 'grace', 'review.resolve', `review:${item}`, 'failed', 'VALIDATION_FAILED'],
        ['reconciler', 'hopper', 'review.resolve', `review:${item}`, 'succeeded', null],
        ['reconciler', 'ada', 'review.resolve', 'review:999999', 'failed', 'NOT_FOUND'],
      ],
    )
    assert.deepEqual(rows[1]!.details, { runId })
    assert.equal(rows[1]!.actorTokenId, null, 'a RECONCILER_TOKENS token has no ID')
    assert.equal(rows[5]!.actorTokenId, hopper.id)
    assert.deepEqual(rows[5]!.details, { action: 'keep-local' })

    const metrics = (await app.inject({ url: '/metrics' })).body
    /** The value of the one series of `name` whose labels include every `labels` pair. */
    const value = (name: string, labels: Record<string, string>) => {
      const line = metrics
        .split('\n')
        .find(
          (l) =>
            l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
        )
      return Number(line?.split(' ').at(-1))
    }
    assert.equal(
      value('ledger_reconcile_drift_total', {
        source: 'billing',
        entity_type: 'customer',
        kind: 'local-ahead',
      }),
      1,
    )
    assert.equal(
      value('ledger_reconcile_records_compared_total', { source: 'billing', entity_type: 'customer' }),
      6,
    )
    assert.ok(
      value('ledger_reconcile_last_success_timestamp_seconds', {
        source: 'billing',
        entity_type: 'customer',
      }) > 0,
    )
    assert.equal(value('ledger_reconcile_review_open', {}), 0)
    assert.equal(
      value('ledger_reconcile_run_duration_seconds_count', { source: 'billing', status: 'succeeded' }),
      1,
    )
  })
})

describe('reconciler schedule', () => {
  it('runs a source with an API key and an interval on its own, recorded as started by "schedule"', async (test) => {
    const t = cleanupScope(test)
    const f = await reconcileFixture(t, 'reconcile-schedule', { customers: 3, pageSize: 2 })
    const sources = JSON.parse(f.env.RECONCILER_SOURCES!) as Record<string, unknown>[]
    const core = await startReconcilerCore(
      loadReconcilerConfig({
        ...f.env,
        RECONCILER_SOURCES: JSON.stringify([{ ...sources[0], intervalSeconds: 1 }]),
      }),
    )
    t.after(() => core.close())
    const logged: string[] = []
    const stop = startSchedule(
      core.targets.values(),
      core.reconciler,
      {
        info: (_obj, msg) => logged.push(msg),
        warn: (_obj, msg) => logged.push(msg),
      },
      core.metrics,
    )
    t.after(stop)
    const run = await waitFor(
      async () =>
        (
          await f.pool.query<{ started_by: string }>(
            `SELECT started_by FROM reconcile_runs WHERE status = 'succeeded' LIMIT 1`,
          )
        ).rows[0],
      { description: 'a scheduled run finished' },
    )
    assert.equal(run.started_by, 'schedule')
    assert.ok(logged.includes('scheduled reconciliation started'), logged.join('; '))
  })

  it('schedules nothing for a source without its API key', async (test) => {
    const t = cleanupScope(test)
    const core = await startReconcilerCore(
      loadReconcilerConfig({
        DATABASE_URL: await createTestDatabase(t, stackEnv().databaseUrl),
        LOG_LEVEL: 'silent',
        RECONCILER_SOURCES: JSON.stringify([
          { name: 'billing', kind: 'stripe', credentialEnv: 'UNSET_KEY_FOR_TEST', intervalSeconds: 1 },
        ]),
      }),
    )
    t.after(() => core.close())
    assert.equal(core.targets.size, 0)
  })
})
