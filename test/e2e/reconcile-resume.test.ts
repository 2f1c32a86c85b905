import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cleanupScope } from '@integration-ledger/testing'
import type pg from 'pg'
import { customerIds, reconcileFixture, topicRecords, reconcileCliKilledAt } from './reconcile-support.js'

/** Deletes the projection rows of every other customer: drift on every page. */
async function loseProjections(pool: pg.Pool): Promise<string[]> {
  const lost = (await customerIds(pool)).filter((_, i) => i % 2 === 0)
  await pool.query(`DELETE FROM projections WHERE entity_id = ANY($1)`, [lost])
  return lost
}

/** Each lost customer has exactly one corrective publication recorded, and one ledger row at most. */
async function assertPublishedOnce(pool: pg.Pool, lost: readonly string[]): Promise<void> {
  const { rows } = await pool.query<{ entity_id: string; n: number }>(
    `SELECT entity_id, count(*)::int AS n FROM reconcile_publications GROUP BY entity_id ORDER BY entity_id`,
  )
  assert.deepEqual(
    rows.map((r) => [r.entity_id, r.n]),
    [...lost].sort().map((id) => [id, 1]),
  )
}

describe('reconciler runs that are interrupted or throttled', () => {
  it('a run aborted after page 2 resumes from its checkpoint and publishes no corrective event twice', async (test) => {
    const t = cleanupScope(test)
    const f = await reconcileFixture(t, 'reconcile-abort', { customers: 12, pageSize: 3 })
    const target = f.core.targets.get('billing')!
    const lost = await loseProjections(f.pool)
    const before = await topicRecords(f.fixture)

    const abort = new AbortController()
    await assert.rejects(
      f.core.reconciler.run(target, {
        entityType: 'customer',
        actor: 'test',
        signal: abort.signal,
        onProgress: (p) => {
          if (p.pages === 2) abort.abort(new Error('stop after page 2'))
        },
      }),
      /stop after page 2/,
    )
    const { rows: runs } = await f.pool.query<{ id: string; status: string; pages: number; cursor: string }>(
      'SELECT id, status, pages, cursor FROM reconcile_runs',
    )
    assert.equal(runs.length, 1)
    assert.equal(runs[0]!.status, 'running', 'left resumable')
    assert.equal(runs[0]!.pages, 2)
    const publishedSoFar = (await topicRecords(f.fixture)) - before
    assert.ok(
      publishedSoFar > 0 && publishedSoFar < lost.length,
      `part published before the abort (${publishedSoFar})`,
    )

    const report = await f.core.reconciler.run(target, { entityType: 'customer', actor: 'test' })
    assert.equal(report.runId, runs[0]!.id, 'the same run, resumed')
    assert.equal(report.resumed, 1)
    assert.equal(report.pages, 4)
    assert.equal(report.compared, 12)
    assert.equal(report.drift['missing-locally'], lost.length)
    assert.equal(report.repairsPublished, lost.length)
    assert.equal(
      (await topicRecords(f.fixture)) - before,
      lost.length,
      'each corrective event published once',
    )
    await assertPublishedOnce(f.pool, lost)
  })

  it('a run that fails midway marks nothing deleted; the next one resumes and judges deletes after the whole listing', async (test) => {
    const t = cleanupScope(test)
    const f = await reconcileFixture(t, 'reconcile-fail', { customers: 9, pageSize: 3 })
    const target = f.core.targets.get('billing')!
    const [removed] = await customerIds(f.pool)
    f.fakes.stripe.records.remove('customer', removed!, { webhookDelivered: false })
    await assert.rejects(
      f.core.reconciler.run(target, {
        entityType: 'customer',
        actor: 'test',
        onProgress: (p) => {
          // A refusal the client does not retry: the run fails on page 2.
          if (p.pages === 1)
            f.fakes.stripe.inject({
              path: '/v1/customers',
              times: 1,
              action: { kind: 'status', status: 400 },
            })
        },
      }),
      { code: 'PROVIDER_REJECTED' },
    )
    const { rows } = await f.pool.query<{
      status: string
      report: { status: string; deletesChecked: boolean }
    }>('SELECT status, report FROM reconcile_runs')
    assert.equal(rows[0]!.status, 'failed')
    assert.equal(rows[0]!.report.deletesChecked, false)
    assert.deepEqual(await f.core.review.list(), [], 'nothing judged deleted by a failed run')

    const report = await f.core.reconciler.run(target, { entityType: 'customer', actor: 'test' })
    assert.equal(report.resumed, 1)
    assert.equal(report.drift['missing-remotely'], 1)
    assert.deepEqual(
      (await f.core.review.list()).map((i) => [i.kind, i.entityId]),
      [['missing-remotely', removed]],
    )
  })

  it('a CLI run killed with SIGKILL midway resumes from its checkpoint and publishes nothing twice', async (test) => {
    const t = cleanupScope(test)
    const f = await reconcileFixture(t, 'reconcile-kill', { customers: 12, pageSize: 3 })
    const lost = await loseProjections(f.pool)
    const before = await topicRecords(f.fixture)
    // Every listing request is slow, so the kill lands while a page is being fetched.
    const slow = f.fakes.stripe.inject({ path: '/v1/customers', action: { kind: 'delay', ms: 1500 } })

    await reconcileCliKilledAt(t, f, 'page 2:')
    slow.remove()
    const { rows: runs } = await f.pool.query<{ id: string; status: string; pages: number }>(
      'SELECT id, status, pages FROM reconcile_runs',
    )
    assert.equal(runs[0]!.status, 'running')
    assert.ok(runs[0]!.pages >= 2 && runs[0]!.pages < 4, `checkpoint at page ${runs[0]!.pages}`)

    const report = await f.core.reconciler.run(f.core.targets.get('billing')!, {
      entityType: 'customer',
      actor: 'test',
    })
    assert.equal(report.runId, runs[0]!.id)
    assert.equal(report.resumed, 1)
    assert.equal(report.compared, 12)
    assert.equal(report.repairsPublished, lost.length)
    assert.equal(
      (await topicRecords(f.fixture)) - before,
      lost.length,
      'each corrective event published once',
    )
    await assertPublishedOnce(f.pool, lost)
  })

  it('429 and 503 storms slow the run down but lose nothing and publish nothing wrong', async (test) => {
    const t = cleanupScope(test)
    const f = await reconcileFixture(t, 'reconcile-storm', { customers: 12, pageSize: 3 })
    const lost = await loseProjections(f.pool)
    const before = await topicRecords(f.fixture)
    const storm = () => {
      f.fakes.stripe.inject({
        path: '/v1/customers',
        times: 2,
        action: { kind: 'status', status: 429, retryAfter: { seconds: 1 } },
      })
      f.fakes.stripe.inject({ path: '/v1/customers', times: 2, action: { kind: 'status', status: 503 } })
    }
    storm()
    const report = await f.core.reconciler.run(f.core.targets.get('billing')!, {
      entityType: 'customer',
      actor: 'test',
      onProgress: (p) => {
        if (p.pages === 2) storm()
      },
    })
    assert.equal(report.status, 'succeeded')
    assert.equal(report.compared, 12)
    assert.deepEqual(report.drift, { 'missing-locally': lost.length })
    assert.equal(report.repairsPublished, lost.length)
    assert.equal((await topicRecords(f.fixture)) - before, lost.length)
    await assertPublishedOnce(f.pool, lost)
    const refused = f.fakes.stripe
      .requests({ path: '/v1/customers' })
      .filter((r) => r.status === 429 || r.status === 503)
    assert.equal(refused.length, 8, 'both storms were answered')
    assert.ok(report.requests >= 4 + 8, `requests counted with retries (${report.requests})`)
    assert.ok(report.throttleWaits >= 8, `waits recorded (${report.throttleWaits})`)
    assert.ok(
      report.throttleWaitMs >= 4000,
      `the Retry-After waits were honoured (${report.throttleWaitMs} ms)`,
    )
  })
})
