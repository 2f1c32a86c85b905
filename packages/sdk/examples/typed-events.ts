// A producer and a consumer sharing one contract, against the running stack (`npm start` or
// `npm run stack`):
//
//   node --conditions=@integration-ledger/source --import tsx packages/sdk/examples/typed-events.ts
//
// The consumer gets typed, validated payloads; a payload that slipped past the contract (published
// untyped) is dead-lettered as VALIDATION_FAILED; the typed producer refuses a bad one up front.
// Topic and group: EXAMPLE_TOPIC (default examples.billing), EXAMPLE_GROUP (default examples.billing-sync).
import { setTimeout as sleep } from 'node:timers/promises'
import { LedgerError } from '@integration-ledger/core'
import { z } from 'zod'
import {
  EnvelopeCodec,
  LedgerPublisher,
  buildEvent,
  createKafkajsTransport,
  defineEvents,
  dlqTopicName,
  subscribe,
} from '@integration-ledger/sdk'

// The contract: in a real system, a small package both services import.
const billing = defineEvents({
  'customer.updated': z.object({
    id: z.string(),
    email: z.email(),
    plan: z.enum(['free', 'pro']).default('free'),
  }),
  'invoice.paid': z.object({
    invoiceId: z.string(),
    customerId: z.string(),
    amountCents: z.number().int().positive(),
  }),
})

const topic = process.env.EXAMPLE_TOPIC ?? 'examples.billing'
const groupId = process.env.EXAMPLE_GROUP ?? 'examples.billing-sync'
const transport = createKafkajsTransport({
  brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  clientId: 'typed-events-example',
})
const codec = new EnvelopeCodec({
  url: process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8085/apis/ccompat/v7',
})

const admin = transport.admin()
await admin.connect()
await admin.ensureTopics([{ topic, partitions: 1, replicationFactor: 1, config: {} }])
/** Records ever written to the group's DLQ (high watermarks; 0 before the first subscription creates it). */
const dlqDepth = async () => {
  const offsets = await admin.topicOffsets(dlqTopicName(groupId)).catch(() => [])
  return offsets.reduce((sum, p) => sum + Number(p.high), 0)
}
const dlqBefore = await dlqDepth()

// Consumer: one handler per type; `payload` is typed from the schema.
const customers = new Map<string, { email: string; plan: 'free' | 'pro'; paidCents: number }>()
const subscription = await subscribe({
  transport,
  codec,
  groupId,
  topics: [topic],
  events: billing,
  handlers: {
    'customer.updated': async ({ payload }) => {
      const known = customers.get(payload.id)
      customers.set(payload.id, {
        email: payload.email,
        plan: payload.plan,
        paidCents: known?.paidCents ?? 0,
      })
    },
    'invoice.paid': async ({ payload }) => {
      const customer = customers.get(payload.customerId)
      if (customer) customer.paidCents += payload.amountCents
    },
  },
  // Without a fallback, events of other types are skipped and committed.
})

// Producer: the same contract checks each payload before it is sent.
const publisher = await LedgerPublisher.connect({ transport, codec, defaultTopic: topic })
const run = Date.now()
const customer = { source: 'billing', entityType: 'customer', entityId: `cus-${run}` }
await publisher.publishTyped(billing, 'customer.updated', {
  ...customer,
  entityVersion: 1,
  providerEventId: `cus-${run}-v1`,
  payload: { id: customer.entityId, email: 'ada@example.com' },
})
await publisher.publishTyped(billing, 'invoice.paid', {
  ...customer,
  entityVersion: 2,
  providerEventId: `in-${run}`,
  payload: { invoiceId: `in-${run}`, customerId: customer.entityId, amountCents: 1200 },
})
try {
  await publisher.publishTyped(billing, 'invoice.paid', {
    ...customer,
    entityVersion: 3,
    providerEventId: `in-${run}-bad`,
    payload: { invoiceId: `in-${run}-bad`, customerId: customer.entityId, amountCents: -1 },
  })
} catch (err) {
  if (!(err instanceof LedgerError)) throw err
  console.log(`producer refused: ${err.code}: ${err.message}`)
}
// An untyped producer is not checked; the consumer dead-letters what fails the schema.
await publisher.publish(
  buildEvent({
    ...customer,
    entityVersion: 4,
    type: 'customer.updated',
    providerEventId: `cus-${run}-v4`,
    payload: { id: customer.entityId, email: 'not an address' },
  }),
)

const settled = async () =>
  customers.get(customer.entityId)?.paidCents === 1200 && (await dlqDepth()) > dlqBefore
for (let i = 0; i < 300 && !(await settled()); i++) await sleep(100)
console.log(`consumer: ${customer.entityId}`, customers.get(customer.entityId))
console.log(`dead-lettered: ${(await dlqDepth()) - dlqBefore} record(s) in ${dlqTopicName(groupId)}`)
console.log(`inspect: npm run dlq -- list --group ${groupId}`)
await publisher.close()
await subscription.close()
await admin.disconnect()
