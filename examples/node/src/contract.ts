// The contract between the producer and the consumer: which Stripe events they exchange and the
// shape of each payload. In a real system this file is a small package both services install.
import { defineEvents } from '@integration-ledger/sdk'
import { z } from 'zod'

/** The part of a Stripe customer object this example keeps. Other fields pass through. */
const customer = z.object({
  id: z.string().startsWith('cus_'),
  object: z.literal('customer'),
  email: z.email().nullable(),
  name: z.string().nullable().default(null),
})

/** A Stripe event about a customer, as ingest stores it for a `kind: stripe` source. */
const customerEvent = z.object({
  id: z.string().startsWith('evt_'),
  type: z.string(),
  /** Unix seconds; ingest uses it as the entity version. */
  created: z.number().int().positive(),
  data: z.object({ object: customer }),
})

export const stripeCustomers = defineEvents({
  'customer.created': customerEvent,
  'customer.updated': customerEvent,
  'customer.deleted': customerEvent,
})

/** Where both sides meet, from the environment (defaults: `npm start`). */
export const settings = {
  brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  registryUrl: process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8085/apis/ccompat/v7',
  topic: process.env.EXAMPLE_TOPIC ?? 'ledger.events',
}
