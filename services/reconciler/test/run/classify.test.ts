import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { classify } from '../../src/run/classify.js'
import { stripeCustomerComparison } from '../../src/remote/stripe-customers.js'

const customer = {
  id: 'cus_1',
  object: 'customer',
  email: 'a@example.com',
  name: 'Ada',
  metadata: { tier: 'gold', since: '2020' },
}
const remote = { entityType: 'customer', entityId: 'cus_1', version: 100, state: customer }
/** What a webhook stores: the whole Stripe event. */
const webhookState = (object: Record<string, unknown>) => ({
  id: 'evt_1',
  type: 'customer.updated',
  created: 100,
  data: { object },
})

describe('classify', () => {
  it('decides by version first, then by the declared fields', () => {
    const c = stripeCustomerComparison
    assert.equal(classify(remote, undefined, c), 'missing-locally')
    assert.equal(
      classify(remote, { entityId: 'cus_1', version: 99, state: webhookState(customer) }, c),
      'local-behind',
    )
    assert.equal(
      classify(remote, { entityId: 'cus_1', version: 101, state: webhookState(customer) }, c),
      'local-ahead',
    )
    assert.equal(
      classify(remote, { entityId: 'cus_1', version: 100, state: webhookState(customer) }, c),
      undefined,
    )
    assert.equal(
      classify(
        remote,
        { entityId: 'cus_1', version: 100, state: webhookState({ ...customer, name: 'Eve' }) },
        c,
      ),
      'content-differs',
    )
  })

  it('reads a corrective event state (the object itself), ignores key order and undeclared fields', () => {
    const reordered = {
      metadata: { since: '2020', tier: 'gold' },
      name: 'Ada',
      email: 'a@example.com',
      id: 'cus_1',
      invoice_prefix: 'X',
    }
    assert.equal(
      classify(remote, { entityId: 'cus_1', version: 100, state: reordered }, stripeCustomerComparison),
      undefined,
    )
    const missingField = {
      id: 'cus_1',
      email: 'a@example.com',
      name: 'Ada',
      metadata: { tier: 'gold', since: '2020' },
      phone: null,
    }
    assert.equal(
      classify(remote, { entityId: 'cus_1', version: 100, state: missingField }, stripeCustomerComparison),
      undefined,
      'absent = null',
    )
  })

  it('treats a projection set by an accepted resolution as agreeing while its content does', () => {
    const accepted = { entityId: 'cus_1', version: 101, state: customer, acceptedByPerson: true }
    assert.equal(classify(remote, accepted, stripeCustomerComparison), undefined)
    assert.equal(
      classify({ ...remote, state: { ...customer, name: 'Later' } }, accepted, stripeCustomerComparison),
      'content-differs',
    )
  })
})
