import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, it } from 'node:test'
import { LedgerError } from '@integration-ledger/core'
import { OutboundClient } from '@integration-ledger/outbound'
import { CredentialStore, Keyring, migrateSourceStore } from '@integration-ledger/source-store'
import { cleanupScope, createTestPool, signStripe, stackEnv } from '@integration-ledger/testing'
import { Registry } from 'prom-client'
import { StripeApi, extractDelivery, parseSourceConfig, stripeApiPolicy } from '../../src/index.js'
import { clientFor, collect, firstItem, startFakes } from '../api/support.js'

const WEBHOOK_SECRET = 'whsec_scan_agreement'
const source = parseSourceConfig({ name: 'billing', kind: 'stripe', secrets: [WEBHOOK_SECRET] }, {})

async function stripeApi(t: Parameters<typeof startFakes>[0]) {
  const fakes = await startFakes(t)
  const { baseUrl, secretKey } = fakes.credentials.stripe
  const client = clientFor(t, stripeApiPolicy({ mode: 'test', baseUrl }), secretKey)
  return { fakes, client, api: new StripeApi({ client, credentialId: 'acct_fake' }) }
}

describe('StripeApi against the fake Stripe', () => {
  it('pages through 1,200 customers and 1,100 subscriptions (status=all) under the 25/s test-mode limit without a 429', async (t) => {
    const { fakes, api } = await stripeApi(t)
    const customers = await collect(api.list('customer', { limit: 20 }))
    assert.equal(customers.items.length, 1_200)
    assert.equal(new Set(customers.items.map((i) => i.entity.entityId)).size, 1_200, 'no duplicate')
    assert.ok(customers.items.every((i) => i.entity.entityType === 'customer'))
    const subscriptions = await collect(api.list('subscription'))
    assert.equal(subscriptions.items.length, 1_100, 'canceled ones included (status=all)')
    assert.ok(
      fakes.stripe.requests({ path: '/v1/subscriptions' }).every((r) => r.path.includes('status=all')),
    )

    const answered = fakes.stripe.requests()
    assert.equal(answered.length, customers.pages + subscriptions.pages, 'one request per page')
    assert.deepEqual(
      answered.filter((r) => r.status !== 200).map((r) => r.status),
      [],
      'not a single 429 while the fake enforced 25 requests/s',
    )
  })

  it('resumes a walk from the cursor of any page', async (t) => {
    const { api } = await stripeApi(t)
    const first: string[] = []
    let cursor: string | undefined
    for await (const page of api.list('invoice', { limit: 100 })) {
      first.push(...page.items.map((i) => i.object.id))
      cursor = page.cursor
      if (first.length === 300) break
    }
    const rest = await collect(
      api.list('invoice', { limit: 100, ...(cursor ? { startingAfter: cursor } : {}) }),
    )
    const all = [...first, ...rest.items.map((i) => i.object.id)]
    assert.equal(all.length, 1_500)
    assert.equal(new Set(all).size, 1_500)
  })

  it('maps an object and its event exactly as the webhook path does', async (t) => {
    const { fakes, api } = await stripeApi(t)
    const seeded = await firstItem(api.list('customer', { limit: 1 }))
    assert.ok(seeded)
    fakes.stripe.records.update('customer', seeded.object.id, { name: 'Changed Name' })

    const listed = await firstItem(api.listEvents({ types: ['customer.updated'], limit: 1 }))
    assert.ok(listed)
    const body = JSON.stringify(listed.event)
    const headers = signStripe({ body, secret: WEBHOOK_SECRET })
    const extracted = extractDelivery(source, Buffer.from(body), headers, Date.now())
    assert.ok(extracted.ok, extracted.ok ? '' : extracted.message)
    const { entityType, entityId, entityVersion } = extracted.delivery
    assert.deepEqual(
      listed.entity,
      { entityType, entityId, entityVersion },
      'an event scanned = the same event delivered',
    )

    const retrieved = await api.retrieve('customer', seeded.object.id)
    assert.ok(retrieved)
    assert.equal(retrieved.entity.entityType, entityType)
    assert.equal(retrieved.entity.entityId, entityId)
    assert.ok(
      entityVersion >= retrieved.entity.entityVersion,
      'the webhook of a change made just before the read is not older than the read',
    )
    assert.ok(seeded.entity.entityVersion < entityVersion, 'a read before the change loses to its webhook')
    assert.equal(await api.retrieve('customer', 'cus_missing'), undefined, '404 → undefined')
  })

  it('lists undelivered events of chosen types', async (t) => {
    const { fakes, api } = await stripeApi(t)
    const created = fakes.stripe.records.create(
      'customer',
      { email: 'x@example.com' },
      { webhookDelivered: false },
    )
    const { items } = await collect(api.listEvents({ types: ['customer.created'], deliverySuccess: false }))
    assert.ok(items.length > 0)
    assert.ok(items.every((i) => i.event.type === 'customer.created'))
    assert.ok(items.some((i) => i.entity.entityId === created.id))
    const sent = fakes.stripe.requests({ path: '/v1/events' })[0]?.path ?? ''
    assert.match(decodeURIComponent(sent), /types\[\]=customer\.created/)
    assert.match(sent, /delivery_success=false/)
  })

  it('a malformed answer is a typed PROVIDER_ANSWER_INVALID error naming the field, not a crash', async (t) => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          object: 'list',
          data: [{ id: 42, object: 'customer', email: 'secret@example.com' }],
        }),
      )
    }).listen(0, '127.0.0.1')
    t.after(() => server.close())
    await new Promise((resolve) => server.once('listening', resolve))
    const { port } = server.address() as AddressInfo
    const client = clientFor(
      t,
      stripeApiPolicy({ mode: 'test', baseUrl: `http://127.0.0.1:${port}` }),
      'sk_test_x',
    )
    const api = new StripeApi({ client, credentialId: 'acct' })
    await assert.rejects(collect(api.list('customer')), (err: unknown) => {
      assert.ok(err instanceof LedgerError)
      assert.equal(err.code, 'PROVIDER_ANSWER_INVALID')
      assert.match(err.message, /data\[0\]\.id|data\.0\.id/)
      assert.match(err.message, /has_more/)
      assert.doesNotMatch(err.message, /secret@example\.com/)
      return true
    })
  })

  it('takes its key from the CredentialStore; a rotation applies to the next call, a retired key fails it without showing it', async (test) => {
    const t = cleanupScope(test)
    const fakes = await startFakes(test)
    const { pool } = await createTestPool(t, stackEnv().databaseUrl)
    await migrateSourceStore(pool)
    const store = new CredentialStore(pool, Keyring.parse(`k1:${randomBytes(32).toString('base64')}`))
    await store.add({ id: 'stripe-main', provider: 'stripe', secret: 'sk_test_wrong_key_000000000000' })
    const client = new OutboundClient({
      policy: stripeApiPolicy({ mode: 'test', baseUrl: fakes.credentials.stripe.baseUrl }),
      credentials: store.credentialsFor('stripe'),
      registry: new Registry(),
    })
    test.after(() => client.close())
    const api = new StripeApi({ client, credentialId: 'stripe-main' })
    await assert.rejects(api.retrieve('customer', 'cus_x'), (err: unknown) => {
      assert.ok(err instanceof LedgerError)
      assert.equal(err.code, 'PROVIDER_CREDENTIALS_INVALID')
      assert.doesNotMatch(JSON.stringify({ m: err.message, d: err.details }), /sk_test_wrong/)
      return true
    })
    await store.rotate('stripe-main', fakes.credentials.stripe.secretKey)
    assert.ok(await firstItem(api.list('customer', { limit: 1 })), 'the rotated key is used on the next call')
    await store.retire('stripe-main')
    await assert.rejects(api.retrieve('customer', 'cus_x'), (err: unknown) => {
      assert.ok(err instanceof LedgerError)
      assert.equal(err.code, 'NOT_FOUND')
      assert.match(err.message, /stripe-main/)
      assert.doesNotMatch(err.message, /sk_test_/)
      return true
    })
  })
})
