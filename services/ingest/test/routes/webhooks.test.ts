import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseSourceConfig, reverifyEvent } from '@integration-ledger/providers'
import { cleanupScope, signGithub, signStandard, signStripe } from '@integration-ledger/testing'
import { startHarness } from '../helpers/harness.js'

const STRIPE_OLD = 'whsec_stripe_old_0123456789'
const STRIPE_NEW = 'whsec_stripe_new_0123456789'
const GITHUB = 'github-secret-0123456789'
const STANDARD = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

const stripeBody = (id: string, customer = 'cus_1') =>
  JSON.stringify({
    id,
    object: 'event',
    type: 'customer.updated',
    created: 1_700_000_000,
    data: { object: { id: customer, object: 'customer' } },
  })

describe('POST /webhooks/:source (real Kafka and PostgreSQL)', () => {
  // One service for every case: starting one costs a second or two.
  it('serves every case below from one ingest instance', async (test) => {
    const t = cleanupScope(test)
    const h = await startHarness(t, {
      sources: [
        '  - name: billing',
        '    kind: stripe',
        `    secrets: ["${STRIPE_NEW}", "${STRIPE_OLD}"]`,
        '    topic: __TOPIC__',
        '  - name: code',
        '    kind: github',
        `    secrets: ["${GITHUB}"]`,
        '    topic: __TOPIC__',
        '    maxBodyBytes: 2048',
        '  - name: acme',
        '    kind: standard',
        `    secrets: ["${STANDARD}"]`,
        '    topic: __TOPIC__',
        '    entity: { type: /data/object, id: /data/id, version: /data/version }',
        '  - name: limited',
        '    kind: github',
        `    secrets: ["${GITHUB}"]`,
        '    topic: __TOPIC__',
        '    rateLimit: { max: 3, windowMs: 60000 }',
        '  - name: off',
        '    kind: github',
        `    secrets: ["${GITHUB}"]`,
        '    enabled: false',
      ],
    })
    const { app } = h
    const post = (source: string, body: string, headers: Record<string, string>) =>
      app.inject({
        method: 'POST',
        url: `/webhooks/${source}`,
        headers: { 'content-type': 'application/json', ...headers },
        payload: body,
      })
    const reason = (res: { json<T>(): T }) => res.json<{ reason: string }>().reason

    await test.test(
      'accepts a Standard Webhooks delivery whose header also holds an entry that does not decode',
      async () => {
        const body = JSON.stringify({
          type: 'customer.updated',
          data: { object: 'customer', id: 'cus_mixed', version: 1 },
        })
        const signed = signStandard({ secret: STANDARD, msgId: 'msg_mixed_entries', body })
        const res = await post('acme', body, {
          ...signed,
          'webhook-signature': `v1,not*base64 v1,aGVsbG8= ${signed['webhook-signature']}`,
        })
        assert.equal(res.statusCode, 202, res.body)
      },
    )

    await test.test('accepts a freshly signed Stripe delivery with 202 and its event ID', async () => {
      const body = stripeBody('evt_fresh')
      const res = await post('billing', body, signStripe({ body, secret: STRIPE_NEW }))
      assert.equal(res.statusCode, 202, res.body)
      assert.deepEqual(Object.keys(res.json<object>()).sort(), ['duplicate', 'eventId'])
      assert.equal(res.json<{ duplicate: boolean }>().duplicate, false)
    })

    await test.test(
      'keeps what a signature re-check needs, so the ledger alone verifies the delivery again',
      async () => {
        const body = stripeBody('evt_recheck')
        const res = await post('billing', body, {
          ...signStripe({ body, secret: STRIPE_NEW }),
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          authorization: 'Bearer not-for-the-ledger',
          cookie: 'session=not-for-the-ledger',
        })
        assert.equal(res.statusCode, 202, res.body)
        const { eventId } = res.json<{ eventId: string }>()
        const event = (await h.events()).find((e) => e.eventId === eventId)
        assert.ok(event, 'the event is in Kafka')
        assert.deepEqual(Object.keys(event.headers).sort(), ['stripe-signature', 'user-agent'])
        assert.equal(event.rawBody.toString(), body, 'byte-exact')

        const billing = parseSourceConfig(
          { name: 'billing', kind: 'stripe', secrets: [STRIPE_NEW, STRIPE_OLD] },
          {},
        )
        const again = reverifyEvent(event, billing)
        assert.ok(again.ok && again.secretIndex === 0, JSON.stringify(again))
        const tampered = { ...event, rawBody: Buffer.from(body.replace('cus_1', 'cus_2')) }
        assert.equal(reverifyEvent(tampered, billing).ok, false)
      },
    )

    await test.test('accepts the old secret during a rotation', async () => {
      const body = stripeBody('evt_rotated')
      const res = await post('billing', body, signStripe({ body, secret: STRIPE_OLD }))
      assert.equal(res.statusCode, 202, res.body)
    })

    await test.test(
      'refuses a tampered body, a wrong secret and missing headers with 401 and a reason',
      async () => {
        const body = stripeBody('evt_tampered')
        const signed = signStripe({ body, secret: STRIPE_NEW })
        const tampered = await post('billing', body.replace('cus_1', 'cus_2'), signed)
        assert.equal(tampered.statusCode, 401)
        assert.equal(reason(tampered), 'bad_signature')
        const wrong = await post('billing', body, signStripe({ body, secret: 'whsec_attacker' }))
        assert.equal(wrong.statusCode, 401)
        assert.equal(reason(wrong), 'bad_signature')
        assert.ok(
          !wrong.body.includes(STRIPE_NEW) && !wrong.body.includes(STRIPE_OLD),
          'no secret in the answer',
        )
        const missing = await post('billing', body, {})
        assert.equal(missing.statusCode, 401)
        assert.equal(reason(missing), 'missing_header')
        const github = await post('code', '{"x":1}', {})
        assert.equal(reason(github), 'missing_header')
      },
    )

    await test.test('refuses stale and future timestamps (Stripe and Standard Webhooks)', async () => {
      // Well past the 300 s tolerance: a second boundary crossed between signing and verifying
      // must not turn "301 s ahead" into "300 s ahead" (the edges are tested in tolerance.test.ts).
      const now = Math.floor(Date.now() / 1000)
      for (const timestampSec of [now - 310, now + 310]) {
        const body = stripeBody(`evt_ts_${timestampSec}`)
        const res = await post('billing', body, signStripe({ body, secret: STRIPE_NEW, timestampSec }))
        assert.equal(res.statusCode, 401)
        assert.equal(reason(res), 'timestamp_outside_tolerance')
        const std = JSON.stringify({ data: { object: 'order', id: 'o1', version: 1 } })
        const stdRes = await post(
          'acme',
          std,
          signStandard({ body: std, secret: STANDARD, msgId: 'm', timestampSec }),
        )
        assert.equal(stdRes.statusCode, 401)
        assert.equal(reason(stdRes), 'timestamp_outside_tolerance')
      }
    })

    await test.test('answers 404 for unknown and disabled sources', async () => {
      assert.equal((await post('nope', '{}', {})).statusCode, 404)
      const body = '{}'
      assert.equal((await post('off', body, signGithub({ body, secret: GITHUB }))).statusCode, 404)
    })

    await test.test("answers 413 above the source's body limit", async () => {
      const body = JSON.stringify({ pad: 'x'.repeat(4096) })
      const res = await post('code', body, signGithub({ body, secret: GITHUB }))
      assert.equal(res.statusCode, 413)
    })

    await test.test(
      'quarantines a signed delivery without an entity, answering 202 with the reason',
      async () => {
        const body = JSON.stringify({ data: { object: 'order' } })
        const res = await post('acme', body, signStandard({ body, secret: STANDARD, msgId: 'm_q' }))
        assert.equal(res.statusCode, 202)
        assert.equal(res.json<{ quarantined: boolean }>().quarantined, true)
      },
    )

    await test.test('publishes the same delivery sent 20 times at once exactly once', async () => {
      const before = await h.countRecords()
      const body = stripeBody('evt_twenty', 'cus_twenty')
      const headers = signStripe({ body, secret: STRIPE_NEW })
      const answers = await Promise.all(Array.from({ length: 20 }, () => post('billing', body, headers)))
      const statuses = answers.map((a) => a.statusCode).sort()
      assert.deepEqual(statuses, [200, ...Array<number>(18).fill(200), 202].sort(), statuses.join(','))
      const bodies = answers.map((a) => a.json<{ eventId: string; duplicate: boolean }>())
      assert.equal(new Set(bodies.map((b) => b.eventId)).size, 1)
      assert.equal(bodies.filter((b) => !b.duplicate).length, 1)
      assert.equal((await h.countRecords()) - before, 1, 'exactly one record in Kafka')
      // A later redelivery (new signature, same event) is a duplicate too, and still not published.
      const again = await post('billing', body, signStripe({ body, secret: STRIPE_OLD }))
      assert.equal(again.statusCode, 200)
      assert.equal(again.json<{ duplicate: boolean }>().duplicate, true)
      assert.equal((await h.countRecords()) - before, 1)
    })

    await test.test('answers 429 with Retry-After once a source is over its rate limit', async () => {
      const statuses: number[] = []
      let retryAfter: string | undefined
      for (let i = 0; i < 5; i++) {
        const body = JSON.stringify({ i })
        const res = await post('limited', body, signGithub({ body, secret: GITHUB }))
        statuses.push(res.statusCode)
        if (res.statusCode === 429) retryAfter = String(res.headers['retry-after'])
      }
      assert.deepEqual(statuses.slice(3), [429, 429])
      assert.ok(Number(retryAfter) >= 1)
    })

    await test.test('exposes the ingest metrics', async () => {
      const text = (await app.inject({ url: '/metrics' })).body
      for (const name of [
        'ledger_ingest_received_total{source="billing"',
        'ledger_ingest_accepted_total{source="billing"',
        'ledger_ingest_duplicates_total{source="billing"',
        'ledger_ingest_quarantined_total{source="acme",reason=',
        'ledger_ingest_rejected_total{source="billing",reason="bad_signature"',
        'ledger_ingest_rejected_total{source="limited",reason="rate_limited"',
        'ledger_ingest_verification_seconds_bucket',
        'ledger_ingest_produce_seconds_bucket',
        'ledger_ingest_claim_seconds_bucket',
        'ledger_ingest_in_flight_requests',
        'ledger_ingest_producer_batch_records_bucket',
        'ledger_ingest_broker_available',
      ]) {
        assert.ok(text.includes(name), `metrics include ${name}`)
      }
      assert.ok(!text.includes(STRIPE_NEW))
    })
  })
})
