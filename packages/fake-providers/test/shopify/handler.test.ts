import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FakeProviders } from '@integration-ledger/fake-providers'
import { ManualClock, SMALL, startFakes } from '../support.js'

interface Cost {
  requestedQueryCost: number
  actualQueryCost: number | null
  throttleStatus: { maximumAvailable: number; currentlyAvailable: number; restoreRate: number }
}

interface GraphqlAnswer {
  data?: Record<string, unknown> | null
  errors?: { message: string; extensions?: Record<string, unknown> }[] | string
  extensions?: { cost: Cost }
}

function client(fakes: FakeProviders, token = fakes.credentials.shopify.accessToken) {
  return async (query: string, variables?: Record<string, unknown>) => {
    const res = await fetch(fakes.credentials.shopify.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-shopify-access-token': token },
      body: JSON.stringify({ query, variables }),
    })
    return { res, body: (await res.json()) as GraphqlAnswer }
  }
}

const ORDERS_PAGE = `
  query Orders($first: Int!, $after: String) {
    orders(first: $first, after: $after) {
      edges { cursor node { id name updatedAt } }
      pageInfo { hasNextPage endCursor }
    }
  }`

interface OrdersConnection {
  edges: { cursor: string; node: { id: string; name: string; updatedAt: string } }[]
  pageInfo: { hasNextPage: boolean; endCursor: string | null }
}

describe('Shopify fake', () => {
  it('walks 1,200 orders with first/after cursors, waiting out the cost bucket as throttleStatus says', async (t) => {
    const clock = new ManualClock()
    const fakes = await startFakes(t, { clock })
    const query = client(fakes)
    const ids: string[] = []
    let after: string | null = null
    let throttled = 0
    for (;;) {
      const { res, body } = await query(ORDERS_PAGE, { first: 250, after })
      assert.equal(res.status, 200)
      const cost = body.extensions?.cost
      assert.ok(cost !== undefined)
      if (Array.isArray(body.errors)) {
        assert.equal(body.errors[0]?.extensions?.['code'], 'THROTTLED')
        throttled++
        // What a polite client does: wait until the bucket holds the requested cost.
        const missing = cost.requestedQueryCost - cost.throttleStatus.currentlyAvailable
        clock.advance(Math.ceil((missing / cost.throttleStatus.restoreRate) * 1000))
        continue
      }
      assert.equal(cost.requestedQueryCost, 2 + 250)
      const orders = body.data?.['orders'] as OrdersConnection
      ids.push(...orders.edges.map((e) => e.node.id))
      assert.equal(orders.pageInfo.endCursor, orders.edges.at(-1)?.cursor)
      if (!orders.pageInfo.hasNextPage) break
      after = orders.pageInfo.endCursor
    }
    assert.equal(ids.length, 1200)
    assert.equal(new Set(ids).size, 1200)
    assert.ok(ids.every((id) => /^gid:\/\/shopify\/Order\/\d{13}$/.test(id)))
    // Five pages of 252 points overdraw a 1,000-point bucket restoring 50 a second.
    assert.equal(throttled, 2)
  })

  it('serves nodes, last/before, sortKey with reverse, and the updated_at search filter', async (t) => {
    const fakes = await startFakes(t, SMALL)
    const query = client(fakes)
    const { body } = await query(`{
      newest: customers(first: 5, sortKey: UPDATED_AT, reverse: true) { nodes { id updatedAt } }
      tail: customers(last: 3) { nodes { id } pageInfo { hasNextPage hasPreviousPage startCursor } }
    }`)
    const newest = (body.data?.['newest'] as { nodes: { id: string; updatedAt: string }[] }).nodes
    assert.equal(newest.length, 5)
    for (let i = 1; i < newest.length; i++)
      assert.ok((newest[i - 1]?.updatedAt ?? '') >= (newest[i]?.updatedAt ?? ''))
    const tail = body.data?.['tail'] as { nodes: { id: string }[]; pageInfo: Record<string, unknown> }
    const all = fakes.shopify.records.list('customer')
    assert.deepEqual(
      tail.nodes.map((n) => n.id),
      all.slice(-3).map((c) => c.id),
    )
    assert.deepEqual(
      { ...tail.pageInfo, startCursor: null },
      { hasNextPage: false, hasPreviousPage: true, startCursor: null },
    )
    const before = await query(`query($c: String) { customers(last: 2, before: $c) { nodes { id } } }`, {
      c: tail.pageInfo['startCursor'],
    })
    assert.deepEqual(
      (before.body.data?.['customers'] as { nodes: { id: string }[] }).nodes.map((n) => n.id),
      all.slice(-5, -3).map((c) => c.id),
    )
    const since = all[10]?.updatedAt ?? ''
    const filtered = await query(
      `{ customers(first: 250, query: "updated_at:>='${since}'") { nodes { updatedAt } } }`,
    )
    const nodes = (filtered.body.data?.['customers'] as { nodes: { updatedAt: string }[] }).nodes
    assert.equal(nodes.length, all.filter((c) => c.updatedAt >= since).length)
    assert.ok(nodes.every((n) => n.updatedAt >= since))
  })

  it('charges the requested cost up front and refunds what the answer did not use', async (t) => {
    const fakes = await startFakes(t, SMALL)
    const query = client(fakes)
    const { body } = await query(
      `{ orders(first: 50) { nodes { id customer { id } lineItems(first: 10) { nodes { title } } } } }`,
    )
    const cost = body.extensions?.cost
    // 2 + 50 orders, each with a customer (1) and a line item connection (2 + 10).
    assert.equal(cost?.requestedQueryCost, 2 + 50 + 50 * (1 + 12))
    const orders = (body.data?.['orders'] as { nodes: { lineItems: { nodes: unknown[] } }[] }).nodes
    const lines = orders.reduce((sum, o) => sum + o.lineItems.nodes.length, 0)
    assert.equal(cost?.actualQueryCost, 2 + 40 + 40 * 3 + lines)
    assert.equal(cost?.throttleStatus.currentlyAvailable, 1000 - (cost?.actualQueryCost ?? 0))
    assert.equal(cost?.throttleStatus.maximumAvailable, 1000)
    assert.equal(cost?.throttleStatus.restoreRate, 50)
  })

  it('answers a burst over budget with HTTP 200 and THROTTLED, and a query above 1,000 with MAX_COST_EXCEEDED', async (t) => {
    const clock = new ManualClock()
    const fakes = await startFakes(t, { clock })
    const query = client(fakes)
    // 300 products: each page of 250 costs its full 252 points, three fit in the bucket.
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => query('{ products(first: 250) { nodes { id title } } }')),
    )
    assert.ok(answers.every((a) => a.res.status === 200))
    const throttled = answers.filter((a) => Array.isArray(a.body.errors))
    assert.equal(throttled.length, 2)
    const one = throttled[0]?.body
    assert.deepEqual(one?.errors, [
      {
        message: 'Throttled',
        extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' },
      },
    ])
    assert.equal(one?.data, undefined)
    assert.equal(one?.extensions?.cost.actualQueryCost, null)
    assert.equal(one?.extensions?.cost.requestedQueryCost, 252)
    assert.ok((one?.extensions?.cost.throttleStatus.currentlyAvailable ?? 1000) < 252)
    const huge = await query('{ orders(first: 250) { nodes { lineItems(first: 250) { nodes { title } } } } }')
    assert.equal(huge.res.status, 200)
    assert.ok(Array.isArray(huge.body.errors))
    assert.equal(huge.body.errors[0]?.extensions?.['code'], 'MAX_COST_EXCEEDED')
  })

  it('answers 401 for a missing or wrong token, and GraphQL errors for bad queries', async (t) => {
    const fakes = await startFakes(t, SMALL)
    const wrong = await client(fakes, 'shpat_wrong')('{ shop { name } }')
    assert.equal(wrong.res.status, 401)
    assert.deepEqual(wrong.body, {
      errors: '[API] Invalid API key or access token (unrecognized login or wrong password)',
    })
    const query = client(fakes)
    const syntax = await query('{ orders(first: 1) { nodes { id }')
    assert.equal(syntax.res.status, 200)
    assert.ok(Array.isArray(syntax.body.errors) && /Syntax Error/.test(syntax.body.errors[0]?.message ?? ''))
    const unknownField = await query('{ orders(first: 1) { nodes { colour } } }')
    assert.ok(
      Array.isArray(unknownField.body.errors) &&
        /Cannot query field "colour"/.test(unknownField.body.errors[0]?.message ?? ''),
    )
    const noFirst = await query('{ orders { nodes { id } } }')
    assert.ok(Array.isArray(noFirst.body.errors))
    assert.equal(noFirst.body.errors[0]?.message, 'you must provide one of first or last')
  })

  it('shows remote changes: updatedAt moves on, deleted records are gone from lists and lookups', async (t) => {
    const fakes = await startFakes(t, SMALL)
    const query = client(fakes)
    const order = fakes.shopify.records.list('order')[0]
    const before = order?.updatedAt ?? ''
    fakes.shopify.records.update('order', order?.legacyResourceId ?? '', { email: 'changed@example.com' })
    const changed = await query(`query($id: ID!) { order(id: $id) { email updatedAt } }`, { id: order?.id })
    const seen = changed.body.data?.['order'] as { email: string; updatedAt: string }
    assert.equal(seen.email, 'changed@example.com')
    assert.ok(seen.updatedAt > before)
    fakes.shopify.records.remove('order', order?.legacyResourceId ?? '')
    const gone = await query(
      `query($id: ID!) { order(id: $id) { id } orders(first: 250) { nodes { id } } }`,
      { id: order?.id },
    )
    assert.equal(gone.body.data?.['order'], null)
    assert.equal((gone.body.data?.['orders'] as { nodes: unknown[] }).nodes.length, 39)
  })
})
