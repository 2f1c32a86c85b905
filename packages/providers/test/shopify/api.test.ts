import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, it } from 'node:test'
import { LedgerError } from '@integration-ledger/core'
import { derivePolicy, shopifyGraphqlPolicy } from '@integration-ledger/outbound'
import { signShopify } from '@integration-ledger/testing'
import { Registry } from 'prom-client'
import { ShopifyApi, extractDelivery, parseSourceConfig } from '../../src/index.js'
import { clientFor, collect, counterTotal, firstItem, startFakes } from '../api/support.js'

const WEBHOOK_SECRET = 'shopify-scan-agreement'
const source = parseSourceConfig({ name: 'shop', kind: 'shopify', secrets: [WEBHOOK_SECRET] }, {})

async function shopifyApi(t: Parameters<typeof startFakes>[0]) {
  const fakes = await startFakes(t)
  const { baseUrl, accessToken, apiVersion } = fakes.credentials.shopify
  const registry = new Registry()
  const client = clientFor(t, derivePolicy(shopifyGraphqlPolicy, { baseUrl }), accessToken, registry)
  return { fakes, registry, api: new ShopifyApi({ client, credentialId: 'shop_fake', apiVersion }) }
}

/** The same instant as Shopify's REST payloads write it: in the shop's zone (here UTC-5). */
function restTime(iso: string): string {
  const shifted = new Date(Date.parse(iso) - 5 * 3_600_000).toISOString().replace('.000Z', '')
  return `${shifted}-05:00`
}

describe('ShopifyApi against the fake GraphQL Admin API', () => {
  it('pages through 1,200 orders by endCursor within the cost budget, never THROTTLED', async (t) => {
    const { fakes, registry, api } = await shopifyApi(t)
    const { items, pages } = await collect(api.list('orders', { first: 250 }))
    assert.equal(items.length, 1_200)
    assert.equal(new Set(items.map((i) => i.entity.entityId)).size, 1_200)
    assert.ok(items.every((i) => i.entity.entityType === 'order' && /^\d+$/.test(i.entity.entityId)))
    // A THROTTLED answer (HTTP 200) is retried, so it would show as an extra request in the log.
    assert.equal(fakes.shopify.requests().length, pages, 'one request per page')
    assert.ok(fakes.shopify.requests().every((r) => r.status === 200))
    assert.equal(
      await counterTotal(registry, 'ledger_outbound_requests_total', { outcome: 'failed-before-processing' }),
      0,
      'no rate-limited answer',
    )
    assert.equal(await counterTotal(registry, 'ledger_outbound_retries_total'), 0)
  })

  it('resumes from a page cursor', async (t) => {
    const { api } = await shopifyApi(t)
    const firstPage = await api.list('customers', { first: 100 }).next()
    assert.ok(!firstPage.done)
    const rest = await collect(api.list('customers', { first: 100, after: firstPage.value.cursor ?? '' }))
    const all = [...firstPage.value.items, ...rest.items].map((i) => i.entity.entityId)
    assert.equal(all.length, 500)
    assert.equal(new Set(all).size, 500)
  })

  it('maps a record as the webhook path maps its REST-shaped webhook, with or without admin_graphql_api_id', async (t) => {
    const { fakes, api } = await shopifyApi(t)
    for (const [resource, topic] of [
      ['orders', 'orders/updated'],
      ['products', 'products/update'],
      ['customers', 'customers/update'],
    ] as const) {
      const scanned = await firstItem(api.list(resource, { first: 5 }))
      assert.ok(scanned)
      const legacyId = scanned.node.legacyResourceId ?? ''
      assert.ok(fakes.shopify.records.get(resource.slice(0, -1), legacyId), 'the fake knows the record')
      const rest = { id: Number(legacyId), updated_at: restTime(scanned.node.updatedAt), note: 'x' }
      for (const payload of [{ ...rest, admin_graphql_api_id: scanned.node.id }, rest]) {
        const body = JSON.stringify(payload)
        const headers = {
          'x-shopify-topic': topic,
          'x-shopify-webhook-id': `wh-${legacyId}`,
          'x-shopify-shop-domain': 'fake.myshopify.com',
          ...signShopify({ body, secret: WEBHOOK_SECRET }),
        }
        const extracted = extractDelivery(source, Buffer.from(body), headers, Date.now())
        assert.ok(extracted.ok, extracted.ok ? '' : extracted.message)
        const { entityType, entityId, entityVersion } = extracted.delivery
        assert.deepEqual(scanned.entity, { entityType, entityId, entityVersion }, `${topic}: ${body}`)
      }
    }
  })

  it('a GraphQL error other than throttling is a typed rejection, not retried', async (t) => {
    let calls = 0
    const server = createServer((_req, res) => {
      calls++
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({ errors: [{ message: "Field 'legacyResourceId' doesn't exist on type 'Order'" }] }),
      )
    }).listen(0, '127.0.0.1')
    t.after(() => server.close())
    await new Promise((resolve) => server.once('listening', resolve))
    const { port } = server.address() as AddressInfo
    const client = clientFor(
      t,
      derivePolicy(shopifyGraphqlPolicy, { baseUrl: `http://127.0.0.1:${port}` }),
      'shpat_x',
    )
    const api = new ShopifyApi({ client, credentialId: 'shop' })
    await assert.rejects(collect(api.list('orders')), (err: unknown) => {
      assert.ok(err instanceof LedgerError)
      assert.equal(err.code, 'PROVIDER_REJECTED')
      assert.match(err.message, /legacyResourceId/)
      return true
    })
    assert.equal(calls, 1)
  })
})
