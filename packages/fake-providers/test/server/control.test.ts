import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { StripeObject } from '@integration-ledger/fake-providers'
import { SMALL, startFakes } from '../support.js'

describe('control API over HTTP', () => {
  it('scripts faults, changes records and shows the request log with credentials redacted', async (t) => {
    const fakes = await startFakes(t, SMALL)
    const { baseUrl, secretKey } = fakes.credentials.stripe
    const auth = { authorization: `Bearer ${secretKey}` }
    const added = await fetch(`${baseUrl}/_fake/faults`, {
      method: 'POST',
      body: JSON.stringify({ path: '/v1/invoices', times: 1, action: { kind: 'status', status: 502 } }),
    })
    assert.equal(added.status, 201)
    assert.equal((await fetch(`${baseUrl}/v1/invoices`, { headers: auth })).status, 502)
    assert.equal((await fetch(`${baseUrl}/v1/invoices`, { headers: auth })).status, 200)

    const customer = fakes.stripe.records.collection('customer').live()[0]
    const patched = await fetch(`${baseUrl}/_fake/records/customer/${customer?.id}?webhookDelivered=false`, {
      method: 'PATCH',
      body: JSON.stringify({ email: 'new@example.com' }),
    })
    assert.equal(patched.status, 200)
    assert.equal(((await patched.json()) as StripeObject)['email'], 'new@example.com')
    const events = await fetch(`${baseUrl}/v1/events?delivery_success=false&type=customer.*&limit=100`, {
      headers: auth,
    })
    const list = (await events.json()) as { data: StripeObject[] }
    assert.ok(list.data.some((e) => (e['data'] as { object: StripeObject }).object.id === customer?.id))

    assert.equal(
      (await fetch(`${baseUrl}/_fake/records/customer/${customer?.id}`, { method: 'DELETE' })).status,
      204,
    )
    const stub = (await (
      await fetch(`${baseUrl}/v1/customers/${customer?.id}`, { headers: auth })
    ).json()) as StripeObject
    assert.equal(stub['deleted'], true)

    const log = (await (await fetch(`${baseUrl}/_fake/requests?path=/v1/invoices`)).json()) as {
      requests: Record<string, unknown>[]
    }
    assert.deepEqual(
      log.requests.map((r) => [
        r['status'],
        r['fault'],
        (r['headers'] as Record<string, string>)['authorization'],
      ]),
      [
        [502, 'status', '[redacted]'],
        [200, undefined, '[redacted]'],
      ],
    )
    const bad = await fetch(`${baseUrl}/_fake/records/planet/1`, { method: 'PATCH', body: '{}' })
    assert.equal(bad.status, 400)
    assert.match(String(((await bad.json()) as { error: string }).error), /no type "planet"/)
    const missing = await fetch(`${baseUrl}/_fake/records/customer/cus_nope`, { method: 'PATCH', body: '{}' })
    assert.equal(missing.status, 404)
    assert.equal((await fetch(`${baseUrl}/_fake/nothing`)).status, 404)
  })

  it('refuses a malformed fault rule with 400 naming what is wrong', async (t) => {
    const fakes = await startFakes(t, SMALL)
    const res = await fetch(`${fakes.stripe.baseUrl}/_fake/faults`, {
      method: 'POST',
      body: JSON.stringify({ times: 0, action: { kind: 'status' } }),
    })
    assert.equal(res.status, 400)
    const { error } = (await res.json()) as { error: string }
    assert.match(error, /^Not a fault rule: /)
    assert.match(error, /times:/)
    assert.match(error, /action\.status:/)
    assert.equal((await fetch(`${fakes.stripe.baseUrl}/v1/customers`)).status, 401, 'no fault was added')
  })
})
