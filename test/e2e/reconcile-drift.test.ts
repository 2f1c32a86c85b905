import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { correctiveProviderEventId } from '@integration-ledger/reconciler'
import { cleanupScope, waitFor } from '@integration-ledger/testing'
import { eventIdFor } from '@integration-ledger/core'
import { customerIds, reconcileFixture, topicRecords } from './reconcile-support.js'

describe('reconciler against the fake Stripe, the real stack and the projector', () => {
  it('finds every kind of drift, repairs the safe ones through the ledger, reviews the rest; a second run publishes nothing', async (test) => {
    const t = cleanupScope(test)
    const f = await reconcileFixture(t, 'reconcile-drift', { customers: 12, pageSize: 5 })
    const { pool, fakes, core } = f
    const target = core.targets.get('billing')!
    const ids = await customerIds(pool)
    const [deletedRow, skewedBehind, changedSilently, ahead, differs, removed] = ids

    // Drift, injected behind the pipeline's back.
    f.tick()
    await pool.query(`DELETE FROM projections WHERE entity_id = $1`, [deletedRow])
    await pool.query(`UPDATE projections SET version = version - 10 WHERE entity_id = $1`, [skewedBehind])
    fakes.stripe.records.update(
      'customer',
      changedSilently!,
      { name: 'Changed Quietly' },
      { webhookDelivered: false },
    )
    await pool.query(`UPDATE projections SET version = version + 100 WHERE entity_id = $1`, [ahead])
    await pool.query(
      `UPDATE projections SET state = jsonb_set(state, '{data,object,email}', '"mallory@example.com"') WHERE entity_id = $1`,
      [differs],
    )
    fakes.stripe.records.remove('customer', removed!, { webhookDelivered: false })
    const neverDelivered = fakes.stripe.records.create(
      'customer',
      { name: 'Never Delivered' },
      { webhookDelivered: false },
    )
    await fakes.stripe.handler.settled()

    // A dry run sees the same and changes nothing; a windowed one does not judge deletes.
    const topicBeforeDry = await topicRecords(f.fixture)
    const dry = await core.reconciler.run(target, { entityType: 'customer', actor: 'test', dryRun: true })
    assert.equal(dry.drift['missing-remotely'], 1)
    assert.equal(dry.repairsPublished, 0)
    assert.equal(dry.reviewNew, 0)
    const windowed = await core.reconciler.run(target, {
      entityType: 'customer',
      actor: 'test',
      dryRun: true,
      since: new Date(0),
    })
    assert.equal(windowed.deletesChecked, false)
    assert.equal(windowed.drift['missing-remotely'], undefined)
    assert.equal(await topicRecords(f.fixture), topicBeforeDry, 'dry runs publish nothing')
    assert.deepEqual(await core.review.list(), [], 'dry runs write no review item')

    const report = await core.reconciler.run(target, { entityType: 'customer', actor: 'test' })
    assert.equal(report.status, 'succeeded')
    assert.notEqual(report.runId, dry.runId)
    assert.deepEqual(report.drift, dry.drift)
    assert.deepEqual(report.drift, {
      'missing-locally': 2,
      'local-behind': 2,
      'local-ahead': 1,
      'content-differs': 1,
      'missing-remotely': 1,
    })
    assert.equal(report.compared, 12, 'the 11 live customers listed plus the deleted one retrieved')
    assert.equal(report.pages, 3)
    assert.equal(report.repairsPublished, 4)
    assert.equal(report.reviewNew, 3)
    assert.equal(report.deletesChecked, true)

    // The repairs went through the ledger: the projector applied them as corrective events.
    const repaired = [deletedRow!, skewedBehind!, changedSilently!, neverDelivered.id]
    for (const id of repaired) {
      const remote = fakes.stripe.records.get('customer', id) as Record<string, unknown>
      const row = await waitFor(
        async () => {
          const { rows } = await pool.query<{
            type: string
            version: string
            state: Record<string, unknown>
          }>(
            `SELECT e.type, p.version, p.state FROM projections p JOIN ledger_events e ON e.event_id = p.last_event_id
              WHERE p.entity_id = $1`,
            [id],
          )
          return rows[0]?.type === 'ledger.reconciled' ? rows[0] : undefined
        },
        { description: `the corrective event of ${id} applied` },
      )
      assert.equal(row.state['name'], remote['name'], `${id} projected from the provider's record`)
      const { rows: history } = await pool.query<{ provider_event_id: string; outcome: string }>(
        `SELECT provider_event_id, outcome FROM ledger_events WHERE entity_id = $1 AND type = 'ledger.reconciled'`,
        [id],
      )
      assert.equal(history.length, 1, `${id}: one corrective event in its history`)
      assert.match(history[0]!.provider_event_id, /^reconcile:customer:/)
      assert.equal(history[0]!.outcome, 'applied')
    }
    const silent = await pool.query<{ state: { name: string } }>(
      `SELECT state FROM projections WHERE entity_id = $1`,
      [changedSilently],
    )
    assert.equal(silent.rows[0]!.state.name, 'Changed Quietly')

    // The ambiguous ones are in review, and nothing about them changed.
    const open = await core.review.list()
    assert.deepEqual(
      open.map((i) => [i.kind, i.entityId]).sort(),
      [
        ['content-differs', differs],
        ['local-ahead', ahead],
        ['missing-remotely', removed],
      ].sort(),
    )
    const untouched = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ledger_events WHERE entity_id = ANY($1) AND type = 'ledger.reconciled'`,
      [[ahead, differs, removed]],
    )
    assert.equal(untouched.rows[0]!.n, 0, 'nothing ambiguous is changed automatically')

    // A second run finds the open items again, adds none and publishes nothing.
    const recordsBefore = await topicRecords(f.fixture)
    const second = await core.reconciler.run(target, { entityType: 'customer', actor: 'test' })
    assert.deepEqual(second.drift, { 'local-ahead': 1, 'content-differs': 1, 'missing-remotely': 1 })
    assert.equal(second.repairsPublished, 0)
    assert.equal(second.reviewNew, 0)
    assert.equal(second.reviewExisting, 3)
    assert.equal(await topicRecords(f.fixture), recordsBefore, 'no record published by the second run')

    // Resolutions: accept remote publishes a corrective event, the others only record who and when.
    const item = (kind: string) => open.find((i) => i.kind === kind)!
    const accepted = await core.review.resolve(item('content-differs').id, 'accept-remote', 'ada')
    assert.equal(accepted.status, 'accepted-remote')
    assert.equal(accepted.resolvedBy, 'ada')
    assert.ok(accepted.resolutionEventId)
    assert.equal(accepted.resolutionEventId, eventIdFor('billing', `reconcile-accept:${accepted.id}`))
    await core.review.resolve(item('local-ahead').id, 'keep-local', 'ada')
    await core.review.resolve(item('missing-remotely').id, 'accept-remote', 'grace')
    await assert.rejects(core.review.resolve(item('local-ahead').id, 'ignore', 'ada'), { code: 'CONFLICT' })
    await waitFor(
      async () => {
        const { rows } = await pool.query<{ state: { email?: string; deleted?: boolean } }>(
          `SELECT state FROM projections WHERE entity_id = ANY($1) ORDER BY entity_id = $2 DESC`,
          [[differs, removed], differs],
        )
        const remote = fakes.stripe.records.get('customer', differs!) as unknown as { email: string }
        return rows[0]?.state.email === remote.email && rows[1]?.state.deleted === true
      },
      { description: 'the accepted resolutions applied by the projector' },
    )

    // After the resolutions: nothing new to review, nothing published.
    const third = await core.reconciler.run(target, { entityType: 'customer', actor: 'test' })
    assert.equal(third.reviewNew, 0)
    assert.equal(third.repairsPublished, 0)
    assert.deepEqual(
      third.drift,
      { 'local-ahead': 1 },
      'only the item kept local is still found (and stays resolved)',
    )
    assert.deepEqual(await core.review.list(), [])

    // The same long-lived process, later: a change without a webhook is judged with fresh versions.
    f.tick()
    fakes.stripe.records.update(
      'customer',
      changedSilently!,
      { name: 'Changed Again' },
      { webhookDelivered: false },
    )
    const fourth = await core.reconciler.run(target, { entityType: 'customer', actor: 'test' })
    assert.deepEqual(fourth.drift, { 'local-ahead': 1, 'local-behind': 1 })
    assert.equal(fourth.repairsPublished, 1)

    // A projection row lost after its correction was applied: the ledger holds the correction, so
    // publishing it again would change nothing; it goes to review with a hint instead.
    await waitFor(
      async () =>
        (
          await pool.query(
            `SELECT 1 FROM projections p JOIN ledger_events e ON e.event_id = p.last_event_id
          WHERE p.entity_id = $1 AND e.type = 'ledger.reconciled'`,
            [changedSilently],
          )
        ).rowCount === 1,
      { description: "the fourth run's correction applied" },
    )
    await pool.query(`DELETE FROM projections WHERE entity_id = $1`, [changedSilently])
    const fifth = await core.reconciler.run(target, { entityType: 'customer', actor: 'test' })
    assert.equal(fifth.repairsPublished, 0)
    assert.equal(fifth.reviewNew, 1)
    const [lostAgain] = await core.review.list()
    assert.equal(lostAgain?.kind, 'missing-locally')
    assert.equal(lostAgain?.entityId, changedSilently)
    await core.review.resolve(lostAgain.id, 'accept-remote', 'ada')
    await waitFor(
      async () =>
        (
          await pool.query<{ name: string }>(
            `SELECT state->>'name' AS name FROM projections WHERE entity_id = $1`,
            [changedSilently],
          )
        ).rows[0]?.name === 'Changed Again',
      { description: 'the accepted correction applied' },
    )

    assert.equal(
      correctiveProviderEventId('customer', neverDelivered.id, 1),
      `reconcile:customer:${neverDelivered.id}:1`,
    )
  })
})
