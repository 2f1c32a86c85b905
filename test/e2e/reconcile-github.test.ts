import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { describe, it } from 'node:test'
import { eventIdFor } from '@integration-ledger/core'
import { isFailedDelivery } from '@integration-ledger/providers'
import { cleanupScope, signGithub, waitFor } from '@integration-ledger/testing'
import {
  GITHUB_WEBHOOK_SECRET,
  type GithubReconcileFixture,
  githubReconcileFixture,
  topicRecords,
} from './reconcile-support.js'

/** A loopback URL nothing listens on: a delivery there fails with "failed to connect to host". */
async function deadUrl(): Promise<string> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return `http://127.0.0.1:${port}/webhooks/code`
}

/** Ledger rows of these provider event IDs (delivery GUIDs) in source `code`. */
async function ledgerRows(f: GithubReconcileFixture, guids: readonly string[]): Promise<number> {
  const { rows } = await f.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ledger_events WHERE source = 'code' AND provider_event_id = ANY($1)`,
    [guids],
  )
  return rows[0]!.n
}

async function projectedTitle(f: GithubReconcileFixture, entityId: string): Promise<string | undefined> {
  const { rows } = await f.pool.query<{ title: string | null }>(
    `SELECT coalesce(state->'issue'->>'title', state->>'title') AS title FROM projections WHERE entity_id = $1`,
    [entityId],
  )
  return rows[0]?.title ?? undefined
}

/** The GUIDs of the hook's deliveries with no successful attempt, as the log shows them. */
function failedGuids(f: GithubReconcileFixture): string[] {
  const deliveries = f.fakes.github.handler.records.deliveries
  const ok = new Set(deliveries.filter((d) => d.statusCode >= 200 && d.statusCode < 300).map((d) => d.guid))
  return [...new Set(deliveries.filter((d) => !ok.has(d.guid)).map((d) => d.guid))]
}

const redeliveryPosts = (f: GithubReconcileFixture) =>
  f.fakes.github.operations({ method: 'POST' }).filter((r) => r.path.endsWith('/attempts'))

describe('reconciler against the fake GitHub, the real stack, ingest and the projector', () => {
  it('asks GitHub to redeliver each failed delivery once; the redelivery passes ingest’s signature check and lands once; a failed one is asked again within the limit', async (test) => {
    const t = cleanupScope(test)
    const f = await githubReconcileFixture(t, 'reconcile-gh-redeliver', {
      issues: 3,
      pageSize: 2,
      settleSeconds: 3,
      redeliveryMaxAttempts: 2,
    })
    const { fakes, core } = f
    const github = fakes.github.handler
    const target = core.targets.get('code')!
    const run = () => core.reconciler.run(target, { entityType: 'issue', actor: 'test' })
    const down = await deadUrl()

    // Signed with a secret ingest no longer has (a rotation gone wrong): ingest answers 401.
    github.setWebhookTarget({ url: f.webhookUrl, secret: 'rotated-away-secret' })
    fakes.github.records.update('issue', '1', { title: 'Signed wrongly' })
    await github.settled()
    // And one that found nobody listening.
    github.setWebhookTarget({ url: down, secret: GITHUB_WEBHOOK_SECRET })
    const created = fakes.github.records.create('issue', { title: 'Never arrived' })
    await github.settled()
    github.setWebhookTarget({ url: f.webhookUrl, secret: GITHUB_WEBHOOK_SECRET })
    const failed = github.records.deliveries.filter(isFailedDeliveryRow)
    assert.deepEqual(
      failed.map((d) => d.statusCode),
      [401, 0],
      'the log shows the refusal and the lost connection',
    )
    const lost = failed.map((d) => d.guid)
    assert.equal(await ledgerRows(f, lost), 0)
    const before = await topicRecords(f.fixture)

    const first = await run()
    assert.equal(first.status, 'succeeded')
    assert.equal(first.catchUp?.log, 'github-deliveries')
    assert.equal(first.catchUp?.missing, 2)
    assert.equal(first.catchUp?.redeliveriesRequested, 2)
    assert.equal(redeliveryPosts(f).length, 2, 'one redelivery request per failed delivery')
    assert.deepEqual(first.drift, {}, 'the redeliveries were applied before the scan compared')
    assert.equal(first.repairsPublished, 0)
    assert.equal(await ledgerRows(f, lost), 2, 'each redelivered webhook is in the ledger once')
    assert.equal((await topicRecords(f.fixture)) - before, 2)
    assert.equal(await projectedTitle(f, f.issueId(1)), 'Signed wrongly')
    assert.equal(await projectedTitle(f, f.issueId(created.number)), 'Never arrived')
    const { rows: types } = await f.pool.query<{ type: string; provider_event_id: string }>(
      `SELECT e.type, e.provider_event_id FROM projections p JOIN ledger_events e ON e.event_id = p.last_event_id
        WHERE p.entity_id = $1`,
      [f.issueId(created.number)],
    )
    assert.deepEqual(types[0], { type: 'issues.opened', provider_event_id: lost[1] }, 'the webhook’s own ID')

    // GitHub redelivers with the original X-GitHub-Delivery: a copy sent again is a duplicate.
    const detail = await fetch(
      `${fakes.credentials.github.baseUrl}/repos/acme/widgets/hooks/${github.hookId}/deliveries/${failed[1]!.id}`,
      { headers: { authorization: `Bearer ${fakes.credentials.github.token}` } },
    )
    const { request } = (await detail.json()) as {
      request: { headers: Record<string, string>; payload: unknown }
    }
    const body = JSON.stringify(request.payload)
    const again = await fetch(f.webhookUrl, {
      method: 'POST',
      headers: { ...request.headers, ...signGithub({ body, secret: GITHUB_WEBHOOK_SECRET }) },
      body,
    })
    assert.deepEqual(await again.json(), { eventId: eventIdFor('code', lost[1]!), duplicate: true })

    const second = await run()
    assert.equal(second.catchUp?.missing, 0, 'the redeliveries succeeded: nothing failed is left')
    assert.equal(second.catchUp?.redeliveriesRequested, 0)
    assert.equal(redeliveryPosts(f).length, 2, 'the second run requests nothing')
    assert.equal((await topicRecords(f.fixture)) - before, 2, 'and publishes nothing')

    // A redelivery that fails again is asked for again, up to the limit (2 here).
    github.setWebhookTarget({ url: down, secret: GITHUB_WEBHOOK_SECRET })
    fakes.github.records.update('issue', '2', { title: 'While ingest was away' })
    await github.settled()
    const [stillLost] = failedGuids(f)
    assert.ok(stillLost)
    const third = await run()
    assert.equal(third.catchUp?.redeliveriesRequested, 1)
    assert.deepEqual(third.drift, { 'local-behind': 1 }, 'the redelivery failed too: the scan repairs')
    assert.equal(third.repairsPublished, 1)
    await github.settled()
    assert.equal(
      github.records.deliveries.filter((d) => d.guid === stillLost && d.redelivery).length,
      1,
      'the log shows the failed redelivery',
    )
    github.setWebhookTarget({ url: f.webhookUrl, secret: GITHUB_WEBHOOK_SECRET })
    const fourth = await run()
    assert.equal(fourth.catchUp?.redeliveriesRequested, 1, 'asked again: the log showed it failed')
    assert.equal(redeliveryPosts(f).length, 4)
    await waitFor(async () => (await ledgerRows(f, [stillLost])) === 1, {
      description: 'the second redelivery in the ledger',
    })
    const fifth = await run()
    assert.equal(fifth.catchUp?.redeliveriesRequested, 0)
    assert.deepEqual(fifth.drift, {}, 'the webhook of the repaired state changed nothing')
    assert.equal(await ledgerRows(f, [stillLost]), 1, 'landed once')

    // The limit: with ingest away for good, asked twice, then no more.
    github.setWebhookTarget({ url: down, secret: GITHUB_WEBHOOK_SECRET })
    fakes.github.records.update('issue', '3', { title: 'Gone for good' })
    await github.settled()
    const asks: number[] = []
    for (let i = 0; i < 3; i++) {
      const report = await run()
      await github.settled()
      asks.push(report.catchUp?.redeliveriesRequested ?? -1)
    }
    assert.deepEqual(asks, [1, 1, 0])
    const { rows } = await f.pool.query<{ attempts: number }>(
      `SELECT attempts FROM reconcile_redeliveries WHERE source = 'code' ORDER BY requested_at DESC LIMIT 1`,
    )
    assert.equal(rows[0]?.attempts, 2)
  })

  it('a failed delivery older than GitHub’s log window does not hold the checkpoint back', async (test) => {
    const t = cleanupScope(test)
    const f = await githubReconcileFixture(t, 'reconcile-gh-window', {
      issues: 1,
      pageSize: 2,
      settleSeconds: 3,
    })
    const github = f.fakes.github.handler
    github.setWebhookTarget({ url: await deadUrl(), secret: GITHUB_WEBHOOK_SECRET })
    f.fakes.github.records.create('issue', { title: 'Lost long ago' })
    await github.settled()
    github.setWebhookTarget({ url: f.webhookUrl, secret: GITHUB_WEBHOOK_SECRET })
    // The fake keeps deliveries of any age; GitHub keeps about three days. Ten days old, then.
    const [old] = github.records.deliveries.filter(isFailedDeliveryRow)
    assert.ok(old)
    old.deliveredAt -= 10 * 86_400
    const run = () =>
      f.core.reconciler.run(f.core.targets.get('code')!, { entityType: 'issue', actor: 'test' })

    const first = await run()
    assert.equal(first.status, 'succeeded')
    const second = await run()
    assert.equal(second.catchUp?.windowExceeded, false, second.catchUp?.warning)
    assert.ok(
      Date.parse(second.catchUp.checkpointBefore!) > Date.now() - 86_400_000,
      `checkpoint ${second.catchUp?.checkpointBefore} is recent, not the old delivery's time`,
    )
  })

  it('classifies drift in GitHub issues, repairs the safe cases through the ledger, confirms a delete with a direct GET; a second run publishes nothing', async (test) => {
    const t = cleanupScope(test)
    const f = await githubReconcileFixture(t, 'reconcile-gh-drift', { issues: 7, pulls: 1, pageSize: 3 })
    const { fakes, pool, core } = f
    const github = fakes.github.handler
    const target = core.targets.get('code')!
    const id = f.issueId
    const [deletedRow, behind, quiet, ahead, differs, removed] = [1, 2, 3, 4, 5, 6].map(id)

    await pool.query(`DELETE FROM projections WHERE entity_id = $1`, [deletedRow])
    await pool.query(`UPDATE projections SET version = version - 5000 WHERE entity_id = $1`, [behind])
    await pool.query(`UPDATE projections SET version = version + 100000 WHERE entity_id = $1`, [ahead])
    await pool.query(
      `UPDATE projections SET state = jsonb_set(state, '{issue,title}', '"Edited locally"') WHERE entity_id = $1`,
      [differs],
    )
    // Changes GitHub logs as delivered, though nothing arrived (no target): no redelivery helps.
    github.setWebhookTarget(undefined)
    fakes.github.records.update('issue', '3', { title: 'Changed quietly', labels: ['bug'] })
    fakes.github.records.remove('issue', '6')
    const unseen = fakes.github.records.create('issue', { title: 'Never delivered' })
    github.setWebhookTarget({ url: f.webhookUrl, secret: GITHUB_WEBHOOK_SECRET })
    const before = await topicRecords(f.fixture)

    const report = await core.reconciler.run(target, { entityType: 'issue', actor: 'test' })
    assert.equal(report.status, 'succeeded')
    assert.equal(report.catchUp?.redeliveriesRequested, 0, 'the log shows no failed delivery')
    assert.deepEqual(report.drift, {
      'missing-locally': 2,
      'local-behind': 2,
      'local-ahead': 1,
      'content-differs': 1,
      'missing-remotely': 1,
    })
    assert.equal(report.compared, 7, 'the 7 live issues listed (the pull request left out)')
    assert.equal(report.pages, 3, '9 threads listed by the issues endpoint, 3 a page')
    assert.equal(report.repairsPublished, 4)
    assert.equal(report.reviewNew, 3)
    assert.deepEqual(
      fakes.github.requests({ path: '/repos/acme/widgets/issues/' }).map((r) => [r.path, r.status]),
      [['/repos/acme/widgets/issues/6', 410]],
      'the delete believed only after a direct GET answered 410 Gone',
    )

    for (const entityId of [deletedRow!, behind!, quiet!, id(unseen.number)]) {
      const number = Number(entityId.split('#')[1])
      const remote = fakes.github.records.get('issue', String(number)) as { title: string; updatedAt: number }
      await waitFor(
        async () => {
          const { rows } = await pool.query<{ type: string; version: string }>(
            `SELECT e.type, p.version FROM projections p JOIN ledger_events e ON e.event_id = p.last_event_id
              WHERE p.entity_id = $1`,
            [entityId],
          )
          return rows[0]?.type === 'ledger.reconciled' && Number(rows[0].version) === remote.updatedAt * 1000
        },
        { description: `the corrective event of ${entityId} applied at the remote updated_at` },
      )
      assert.equal(await projectedTitle(f, entityId), remote.title)
      const { rows: history } = await pool.query<{ provider_event_id: string; outcome: string }>(
        `SELECT provider_event_id, outcome FROM ledger_events WHERE entity_id = $1 AND type = 'ledger.reconciled'`,
        [entityId],
      )
      assert.deepEqual(history, [
        { provider_event_id: `reconcile:issue:${entityId}:${remote.updatedAt * 1000}`, outcome: 'applied' },
      ])
    }
    assert.deepEqual(
      (await core.review.list()).map((i) => [i.kind, i.entityId]).sort(),
      [
        ['content-differs', differs],
        ['local-ahead', ahead],
        ['missing-remotely', removed],
      ].sort(),
    )
    assert.equal((await topicRecords(f.fixture)) - before, 4, 'one record per repair')

    const second = await core.reconciler.run(target, { entityType: 'issue', actor: 'test' })
    assert.deepEqual(second.drift, { 'local-ahead': 1, 'content-differs': 1, 'missing-remotely': 1 })
    assert.equal(second.repairsPublished, 0)
    assert.equal(second.reviewNew, 0)
    assert.equal((await topicRecords(f.fixture)) - before, 4, 'the second run publishes nothing')

    // A windowed run reads GitHub's `since` (updated at or after) and judges no delete.
    const windowed = await core.reconciler.run(target, {
      entityType: 'issue',
      actor: 'test',
      since: new Date(Date.now() + 3600_000),
      dryRun: true,
    })
    assert.equal(windowed.compared, 0)
    assert.equal(windowed.deletesChecked, false)
  })

  it('a 429 / secondary-rate-limit storm slows the run down and loses nothing', async (test) => {
    const t = cleanupScope(test)
    const f = await githubReconcileFixture(t, 'reconcile-gh-storm', { issues: 6, pageSize: 2 })
    const { fakes, core } = f
    const github = fakes.github.handler
    github.setWebhookTarget(undefined)
    for (const n of [2, 5]) fakes.github.records.update('issue', String(n), { title: `Quiet ${n}` })
    github.setWebhookTarget({ url: f.webhookUrl, secret: GITHUB_WEBHOOK_SECRET })
    const before = await topicRecords(f.fixture)
    const storm = (path: string) => {
      // Primary limit spent: 429, remaining 0, wait until the reset (GitHub's epoch seconds).
      fakes.github.inject({
        path,
        times: 1,
        action: {
          kind: 'status',
          status: 429,
          headers: {
            'x-ratelimit-limit': '5000',
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 1),
          },
        },
      })
      // Secondary limit: 403 with retry-after.
      fakes.github.inject({ path, times: 1, action: { kind: 'rate-limited', retryAfter: { seconds: 1 } } })
      fakes.github.inject({ path, times: 1, action: { kind: 'status', status: 503 } })
    }
    storm('/repos/acme/widgets/hooks')
    storm('/repos/acme/widgets/issues')
    const report = await core.reconciler.run(core.targets.get('code')!, {
      entityType: 'issue',
      actor: 'test',
      onProgress: (p) => {
        if (p.pages === 1) storm('/repos/acme/widgets/issues')
      },
    })
    test.diagnostic(
      `storm run: ${report.requests} requests, ${report.throttleWaits} waits, ${report.throttleWaitMs} ms waited, ${report.durationSeconds.toFixed(1)} s`,
    )
    assert.equal(report.status, 'succeeded')
    assert.deepEqual(report.drift, { 'local-behind': 2 })
    assert.equal(report.repairsPublished, 2)
    assert.equal(report.compared, 6)
    assert.ok(report.throttleWaits >= 4, `the run waited (${report.throttleWaits} waits)`)
    assert.ok(report.throttleWaitMs >= 2000, `for the reset and retry-after (${report.throttleWaitMs} ms)`)
    const refused = fakes.github
      .requests()
      .filter((r) => r.status === 429 || r.status === 403 || (r.status ?? 0) >= 500)
    assert.equal(refused.length, 9, 'three storms of three answered')
    assert.equal((await topicRecords(f.fixture)) - before, 2, 'nothing lost, nothing extra')
    for (const n of [2, 5]) {
      await waitFor(async () => (await projectedTitle(f, f.issueId(n))) === `Quiet ${n}`, {
        description: `issue ${n} repaired`,
      })
    }
    const second = await core.reconciler.run(core.targets.get('code')!, {
      entityType: 'issue',
      actor: 'test',
    })
    assert.deepEqual(second.drift, {})
    assert.equal((await topicRecords(f.fixture)) - before, 2)
  })
})

function isFailedDeliveryRow(d: { status: string; statusCode: number }): boolean {
  return isFailedDelivery({ status: d.status, status_code: d.statusCode })
}
