import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { eventIdFor } from '@integration-ledger/core'
import { cleanupScope, signStripe } from '@integration-ledger/testing'
import { startHarness } from '../helpers/harness.js'

const STRIPE = 'whsec_stripe_recovered_0123456789'
const TOKEN = 'recovery-token-0123456789'

const stripeBody = (id: string) =>
  JSON.stringify({
    id,
    object: 'event',
    type: 'customer.updated',
    created: 1_700_000_000,
    data: { object: { id: 'cus_recovered', object: 'customer' } },
  })

describe('POST /recovered/:source (real Kafka and PostgreSQL)', () => {
  it('shares the webhook claim both ways, keeps who recovered it, refuses strangers and unusable bodies', async (test) => {
    const t = cleanupScope(test)
    const h = await startHarness(t, {
      sources: [
        '  - name: billing',
        '    kind: stripe',
        `    secrets: ["${STRIPE}"]`,
        '    topic: __TOPIC__',
      ],
      env: { INGEST_RECOVERY_TOKENS: `reconciler=${TOKEN}` },
    })
    const recover = (body: string, token = TOKEN, source = 'billing') =>
      h.app.inject({
        method: 'POST',
        url: `/recovered/${source}`,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        payload: body,
      })
    const webhook = (body: string) =>
      h.app.inject({
        method: 'POST',
        url: '/webhooks/billing',
        headers: { 'content-type': 'application/json', ...signStripe({ body, secret: STRIPE }) },
        payload: body,
      })

    // Recovered first: the webhook arriving later is a duplicate with the same event ID.
    const first = stripeBody('evt_recovered_first')
    const recovered = await recover(first)
    assert.equal(recovered.statusCode, 202, recovered.body)
    const { eventId } = recovered.json<{ eventId: string }>()
    assert.equal(eventId, eventIdFor('billing', 'evt_recovered_first'), 'the webhook path’s event ID')
    const late = await webhook(first)
    assert.equal(late.statusCode, 200, late.body)
    assert.deepEqual(late.json(), { eventId, duplicate: true })

    // Webhook first: recovering it again publishes nothing.
    const second = stripeBody('evt_webhook_first')
    assert.equal((await webhook(second)).statusCode, 202)
    const again = await recover(second)
    assert.equal(again.statusCode, 200, again.body)
    assert.equal(again.json<{ duplicate: boolean }>().duplicate, true)

    const events = await h.events()
    assert.equal(events.length, 2, 'one record per provider event')
    const stored = events.find((e) => e.eventId === eventId)!
    assert.deepEqual(stored.headers, { 'ledger-recovered-by': 'reconciler' })
    assert.equal(stored.entityType, 'customer')
    assert.equal(stored.entityVersion, 1_700_000_000, 'the webhook path’s version')

    assert.equal((await recover(first, 'not-the-token-0123456789')).statusCode, 401)
    assert.equal((await recover(first, TOKEN, 'nowhere')).statusCode, 404)
    const unusable = await recover(JSON.stringify({ id: 'evt_x' }))
    assert.equal(unusable.statusCode, 400, unusable.body)
    assert.equal(await h.countRecords(), 2, 'refusals publish nothing')
  })
})
