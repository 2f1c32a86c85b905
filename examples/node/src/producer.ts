// Publishes Stripe-shaped customer events straight to Kafka with the shared contract, as a service
// of yours would (in production Stripe's own webhooks reach the same topic through ingest).
//
//   npm run producer                       a new customer: customer.created, then customer.updated
//   npm run producer -- cus_123 a@b.example   those events for this customer and email
//   npm run producer -- --invalid          also one event that fails the schema (published
//                                          untyped, so only the consumer checks it: it goes to the DLQ)
import { randomUUID } from 'node:crypto'
import { LedgerError } from '@integration-ledger/core'
import {
  EnvelopeCodec,
  type EventInput,
  LedgerPublisher,
  buildEvent,
  createKafkajsTransport,
} from '@integration-ledger/sdk'
import { settings, stripeCustomers } from './contract.js'

const args = process.argv.slice(2)
const invalid = args.includes('--invalid')
const [customerId = `cus_${randomUUID().slice(0, 8)}`, email = 'ada@example.com'] = args.filter(
  (a) => !a.startsWith('--'),
)

const transport = createKafkajsTransport({ brokers: settings.brokers, clientId: 'example-producer' })
const codec = new EnvelopeCodec({ url: settings.registryUrl })
const publisher = await LedgerPublisher.connect({ transport, codec, defaultTopic: settings.topic })

const created = Math.floor(Date.now() / 1000)
/** A Stripe event about the customer; `created` (seconds) is the entity version, as ingest sets it. */
const stripeEvent = (
  type: string,
  at: number,
  object: { email: string | null; name?: string | null },
): EventInput<typeof stripeCustomers, 'customer.updated'> => ({
  id: `evt_${randomUUID().replaceAll('-', '')}`,
  type,
  created: at,
  data: { object: { id: customerId, object: 'customer', ...object } },
})
const envelope = (payload: { id: string; created: number }) => ({
  source: 'examples',
  providerEventId: payload.id,
  entityType: 'customer',
  entityId: customerId,
  entityVersion: payload.created,
})

try {
  const first = stripeEvent('customer.created', created, { email: null })
  await publisher.publishTyped(stripeCustomers, 'customer.created', { ...envelope(first), payload: first })
  const second = stripeEvent('customer.updated', created + 1, { email, name: 'Ada Lovelace' })
  await publisher.publishTyped(stripeCustomers, 'customer.updated', { ...envelope(second), payload: second })
  console.log(`published customer.created and customer.updated for ${customerId} to ${settings.topic}`)

  if (invalid) {
    // The typed producer would refuse this one up front; an untyped one is not checked.
    const bad = stripeEvent('customer.updated', created + 2, { email: 'not an address' })
    await publisher.publish(buildEvent({ ...envelope(bad), type: 'customer.updated', payload: bad }))
    console.log(`published an invalid customer.updated for ${customerId} (the consumer dead-letters it)`)
  }
} catch (err) {
  if (!(err instanceof LedgerError)) throw err
  console.error(`not published: ${err.code}: ${err.message}`)
  process.exitCode = 1
} finally {
  await publisher.close()
}
