import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { eventIdFor } from '@integration-ledger/core'
import { cleanupScope, signStripe } from '@integration-ledger/testing'
import type pg from 'pg'
import {
  WEBHOOK_SECRET,
  type ReconcileFixture,
  reconcileFixture,
  topicRecords,
  reconcileCliKilledAt,
} from './reconcile-support.js'

/** The fake's events whose webhook was never delivered (`pending_webhooks: 1`), as Stripe lists them. */
async function undelivered(f: ReconcileFixture): Promise<Record<string, unknown>[]> {
  const { baseUrl, secretKey } = f.fakes.credentials.stripe
  const res = await fetch(`${baseUrl}/v1/events?delivery_success=false&limit=100`, {
    headers: { authorization: `Bearer ${secretKey}` },
  })
  return ((await res.json()) as { data: Record<string, unknown>[] }).data
}

async function ledgerRows(pool: pg.Pool, providerEventIds: readonly string[]): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ledger_events WHERE source = 'billing' AND provider_event_id = ANY($1)`,
    [providerEventIds],
  )
  return rows[0]!.n
}

describe('reconciler catch-up from Stripe GET /v1/events (real stack, fake Stripe, ingest, projector)', () => {
  it('recovers events never delivered through ingest; their late webhooks are duplicates; a second catch-up publishes nothing', async (test) => {
    const t = cleanupScope(test)
    const f = await reconcileFixture(t, 'reconcile-catchup', { customers: 3, pageSize: 2, catchUp: true })
    const target = f.core.targets.get('billing')!
    f.tick()
    const [existing] = (await f.pool.query<{ entity_id: string }>('SELECT entity_id FROM projections')).rows
    f.fakes.stripe.records.update(
      'customer',
      existing!.entity_id,
      { name: 'Quiet Update' },
      { webhookDelivered: false },
    )
    const lost = f.fakes.stripe.records.create(
      'customer',
      { name: 'Never Delivered' },
      { webhookDelivered: false },
    )
    const missed = await undelivered(f)
    assert.equal(missed.length, 2)
    const before = await topicRecords(f.fixture)

    const report = await f.core.reconciler.run(target, { entityType: 'customer', actor: 'test' })
    assert.equal(report.status, 'succeeded')
    assert.ok(report.catchUp, 'the run caught up first')
    assert.equal(report.catchUp.checkpointBefore, null, 'first pass: the whole window')
    assert.equal(report.catchUp.listed, 5, '3 creations, the update, the lost creation')
    assert.equal(report.catchUp.missing, 2)
    assert.equal(report.catchUp.published, 2)
    assert.ok(report.catchUp.checkpointAfter !== null)
    assert.deepEqual(report.drift, {}, 'the scan found the recovered events applied: nothing to repair')
    assert.equal(report.repairsPublished, 0)
    assert.equal((await topicRecords(f.fixture)) - before, 2, 'one record per recovered event')

    // Through the ledger into the projection, under the webhook's own provider event ID and version.
    const { rows } = await f.pool.query<{ version: string; name: string; type: string }>(
      `SELECT p.version, p.state->'data'->'object'->>'name' AS name, e.type
         FROM projections p JOIN ledger_events e ON e.event_id = p.last_event_id WHERE p.entity_id = $1`,
      [lost.id],
    )
    assert.equal(rows[0]!.name, 'Never Delivered')
    assert.equal(rows[0]!.type, 'customer.created')
    assert.equal(Number(rows[0]!.version), lost['created'])

    // The webhooks arrive after all: duplicates at ingest, never a second ledger row.
    for (const event of missed) {
      const body = JSON.stringify(event)
      const res = await fetch(`${f.ingestUrl}/webhooks/billing`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signStripe({ body, secret: WEBHOOK_SECRET }) },
        body,
      })
      assert.equal(res.status, 200)
      const answer = (await res.json()) as { eventId: string; duplicate: boolean }
      assert.deepEqual(answer, { eventId: eventIdFor('billing', String(event['id'])), duplicate: true })
    }
    assert.equal(
      await ledgerRows(
        f.pool,
        missed.map((e) => String(e['id'])),
      ),
      2,
      'one ledger row each',
    )
    assert.equal((await topicRecords(f.fixture)) - before, 2)

    const second = await f.core.reconciler.run(target, { entityType: 'customer', actor: 'test' })
    assert.equal(second.catchUp!.checkpointBefore, report.catchUp.checkpointAfter)
    assert.equal(second.catchUp!.missing, 0)
    assert.equal(second.catchUp!.published, 0)
    assert.equal((await topicRecords(f.fixture)) - before, 2, 'the second run publishes nothing')
  })

  it('a CLI catch-up killed with SIGKILL midway resumes from its checkpoint and publishes nothing twice', async (test) => {
    const t = cleanupScope(test)
    const f = await reconcileFixture(t, 'reconcile-catchup-kill', {
      customers: 0,
      pageSize: 3,
      catchUp: true,
    })
    f.tick()
    const lost = Array.from({ length: 12 }, (_, i) =>
      f.fakes.stripe.records.create('customer', { name: `Lost ${i}` }, { webhookDelivered: false }),
    )
    const before = await topicRecords(f.fixture)
    const slow = f.fakes.stripe.inject({ path: '/v1/events', action: { kind: 'delay', ms: 1500 } })
    await reconcileCliKilledAt(t, f, 'catch-up page 2:')
    slow.remove()
    const { rows } = await f.pool.query<{ pass: { cursor?: string } | null; checkpoint: unknown }>(
      'SELECT pass, checkpoint FROM reconcile_catchup',
    )
    assert.ok(rows[0]?.pass?.cursor !== undefined, 'a pass in progress, with its cursor')
    assert.equal(rows[0]?.checkpoint, null, 'not completed')
    const midway = (await topicRecords(f.fixture)) - before
    assert.ok(midway >= 6 && midway < 12, `part published before the kill (${midway})`)

    const report = await f.core.reconciler.run(f.core.targets.get('billing')!, {
      entityType: 'customer',
      actor: 'test',
    })
    assert.equal(report.resumed, 1)
    assert.equal(report.catchUp!.published, 12 - midway, 'only what the killed pass had not published')
    assert.equal(report.catchUp!.checkpointBefore, null)
    assert.deepEqual(report.drift, {})
    assert.equal((await topicRecords(f.fixture)) - before, 12, 'each event published once')
    const { rows: projected } = await f.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM projections WHERE entity_id = ANY($1)`,
      [lost.map((c) => c.id)],
    )
    assert.equal(projected[0]!.n, 12)
  })

  it('429 and 503 storms on the events list slow the catch-up but lose nothing', async (test) => {
    const t = cleanupScope(test)
    const f = await reconcileFixture(t, 'reconcile-catchup-storm', {
      customers: 0,
      pageSize: 3,
      catchUp: true,
    })
    f.tick()
    for (let i = 0; i < 7; i++)
      f.fakes.stripe.records.create('customer', { name: `Lost ${i}` }, { webhookDelivered: false })
    const before = await topicRecords(f.fixture)
    const storm = () => {
      f.fakes.stripe.inject({
        path: '/v1/events',
        times: 2,
        action: { kind: 'status', status: 429, retryAfter: { seconds: 1 } },
      })
      f.fakes.stripe.inject({ path: '/v1/events', times: 2, action: { kind: 'status', status: 503 } })
    }
    storm()
    const report = await f.core.reconciler.run(f.core.targets.get('billing')!, {
      entityType: 'customer',
      actor: 'test',
      onCatchUpPage: (c) => {
        if (c.pages === 1) storm()
      },
    })
    assert.equal(report.status, 'succeeded')
    assert.equal(report.catchUp!.listed, 7)
    assert.equal(report.catchUp!.published, 7)
    assert.deepEqual(report.drift, {})
    assert.equal((await topicRecords(f.fixture)) - before, 7)
    const refused = f.fakes.stripe
      .requests({ path: '/v1/events' })
      .filter((r) => r.status === 429 || r.status === 503)
    assert.ok(refused.length >= 8, `both storms answered (${refused.length})`)
  })

  it('warns well before the checkpoint falls out of the 30-day window, and says events may be lost past it', async (test) => {
    const t = cleanupScope(test)
    const f = await reconcileFixture(t, 'reconcile-catchup-window', {
      customers: 1,
      pageSize: 10,
      catchUp: true,
    })
    const target = f.core.targets.get('billing')!
    const run = () => f.core.reconciler.run(target, { entityType: 'customer', actor: 'test' })
    const age = async () => {
      const metric = await f.core.registry
        .getSingleMetric('ledger_reconcile_catchup_checkpoint_age_seconds')!
        .get()
      return metric.values.find((v) => v.labels['source'] === 'billing')?.value
    }
    const first = await run()
    assert.equal(first.catchUp!.warning, undefined)
    assert.ok((await age())! < 600, 'a fresh checkpoint')

    f.tick(25 * 86_400)
    assert.ok((await age())! > 25 * 86_400 - 1, 'the gauge ages between runs')
    const late = await run()
    assert.equal(late.catchUp!.windowExceeded, false)
    assert.match(late.catchUp!.warning ?? '', /days old; Stripe lists events for 30 days/)

    f.tick(31 * 86_400)
    const lost = await run()
    assert.equal(lost.catchUp!.windowExceeded, true)
    assert.match(lost.catchUp!.warning ?? '', /may be lost\. A full scan/)
    const { summarise } = await import('@integration-ledger/reconciler')
    assert.match(summarise(lost), /EVENTS MAY BE LOST/)
  })
})
