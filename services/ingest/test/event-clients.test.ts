import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PermanentError } from '@integration-ledger/core'
import {
  assertMayWrite,
  buildEventClients,
  parseEventGrants,
  parseEventTokens,
} from '../src/event-clients.js'

const TOKEN_A = 'token-a-0123456789abcdef'
const TOKEN_B = 'token-b-0123456789abcdef'

function clients(tokens: string, grants: string) {
  const t = parseEventTokens(tokens)
  const g = parseEventGrants(grants)
  assert.ok(t.ok && g.ok)
  return buildEventClients(t.value, g.value)
}

describe('POST /events clients and grants', () => {
  it('reads grants, and gives a client without any the source named like itself', () => {
    const byToken = clients(
      `orders=${TOKEN_A},orders=${TOKEN_B},crm=token-c-0123456789abcdef`,
      'orders=orders/order,orders/refund,returns',
    )
    const orders = byToken.get(TOKEN_A)
    assert.deepEqual(byToken.get(TOKEN_B), orders, 'two tokens of one client (rotation) share its grants')
    assert.deepEqual(
      [...(orders?.grants ?? [])].map(([source, types]) => [source, [...types]]),
      [
        ['orders', ['order', 'refund']],
        ['returns', []],
      ],
    )
    const crm = byToken.get('token-c-0123456789abcdef')
    assert.deepEqual([...(crm?.grants.keys() ?? [])], ['crm'])
    // A bare source wins over a listed type: it allows them all.
    const wide = parseEventGrants('x=a/one,a')
    assert.ok(wide.ok && wide.value.get('x')?.get('a')?.size === 0)
  })

  it('refuses malformed values without quoting a token', () => {
    for (const bad of [`Orders=${TOKEN_A}`, 'orders=short', `=${TOKEN_A}`]) {
      const parsed = parseEventTokens(bad)
      assert.ok(!parsed.ok && !parsed.problem.includes(TOKEN_A) && !parsed.problem.includes('short'))
    }
    for (const [bad, pattern] of [
      ['orders', /expected "client=source/],
      ['orders=', /no source granted/],
      ['orders=a/b/c', /"a\/b\/c" is not "source"/],
      ['orders=Upper', /"Upper" is not "source"/],
      ['orders=a;orders=b', /listed twice/],
    ] as const) {
      const parsed = parseEventGrants(bad)
      assert.ok(!parsed.ok, bad)
      assert.match(parsed.problem, pattern)
    }
  })

  it('refuses a granted source once it is a webhook source, e.g. created later through the admin API', () => {
    const orders = clients(`orders=${TOKEN_A}`, 'orders=orders,shop/order').get(TOKEN_A)
    assert.ok(orders)
    const webhook = new Set<string>()
    assertMayWrite(orders, { source: 'shop', entityType: 'order' }, (s) => webhook.has(s))
    webhook.add('shop')
    assert.throws(
      () => assertMayWrite(orders, { source: 'shop', entityType: 'order' }, (s) => webhook.has(s)),
      (err: unknown) =>
        err instanceof PermanentError && err.code === 'FORBIDDEN' && /webhook source/.test(err.message),
    )
  })
})
