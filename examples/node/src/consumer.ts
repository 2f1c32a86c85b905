// A service that keeps its own table of customers from Stripe events, with typed handlers: each
// payload arrives validated against the contract; one that fails it goes to the DLQ at once, the
// rest of its batch goes on. Failures a handler throws are retried (5 s, 1 min, 10 min tiers, then
// the DLQ); while PostgreSQL is down the consumer pauses instead of burning retries.
//
//   npm run consumer        (Ctrl-C stops it: the batch in flight is finished and committed)
import { type Logger, TransientError } from '@integration-ledger/core'
import {
  DEFAULT_RETRY_TIERS,
  EnvelopeCodec,
  type EventPayload,
  createKafkajsTransport,
  dlqTopicName,
  subscribe,
} from '@integration-ledger/sdk'
import pg from 'pg'
import { settings, stripeCustomers } from './contract.js'

const groupId = process.env.EXAMPLE_GROUP ?? 'examples.customers'
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/ledger'

/** One line per log entry on stderr; the SDK logs routing decisions (retry, DLQ) at warn. */
const logger: Logger = {
  debug: () => {},
  info: (obj, msg) => console.error(JSON.stringify({ level: 'info', msg, ...obj })),
  warn: (obj, msg) => console.error(JSON.stringify({ level: 'warn', msg, ...obj })),
  error: (obj, msg) => console.error(JSON.stringify({ level: 'error', msg, ...obj })),
  child: () => logger,
}

const pool = new pg.Pool({ connectionString: databaseUrl })
// The version column makes the upsert order-safe: a redelivered or older event changes nothing.
await pool.query(`CREATE TABLE IF NOT EXISTS example_customers (
  id text PRIMARY KEY,
  email text,
  name text,
  deleted boolean NOT NULL DEFAULT false,
  version bigint NOT NULL,
  last_event_id text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
)`)

/** Connection-level failures: the database is down, not the event; the SDK pauses and waits. */
function isDatabaseDown(err: unknown): boolean {
  const code = (err as { code?: unknown }).code
  return (
    typeof code === 'string' &&
    (code.startsWith('08') || code === '57P01' || code === '57P03' || code.startsWith('ECONN'))
  )
}

async function upsert(
  stripeEvent: EventPayload<typeof stripeCustomers, 'customer.updated'>,
  deleted: boolean,
): Promise<void> {
  const customer = stripeEvent.data.object
  try {
    const result = await pool.query(
      `INSERT INTO example_customers (id, email, name, deleted, version, last_event_id)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, name = EXCLUDED.name,
         deleted = EXCLUDED.deleted, version = EXCLUDED.version,
         last_event_id = EXCLUDED.last_event_id, updated_at = now()
       WHERE example_customers.version <= EXCLUDED.version`,
      [customer.id, customer.email, customer.name, deleted, stripeEvent.created, stripeEvent.id],
    )
    console.log(
      `${stripeEvent.type} ${customer.id}: ${result.rowCount === 1 ? 'applied' : 'older than the row, skipped'}`,
    )
  } catch (err) {
    if (isDatabaseDown(err))
      throw new TransientError('DATABASE_UNAVAILABLE', 'PostgreSQL unreachable', { cause: err })
    throw err // anything else: retried through the tiers, then dead-lettered as exhausted
  }
}

const transport = createKafkajsTransport({ brokers: settings.brokers, clientId: 'example-customers' })
const codec = new EnvelopeCodec({ url: settings.registryUrl })
const subscription = await subscribe({
  transport,
  codec,
  groupId,
  topics: [settings.topic],
  logger,
  retry: { tiers: DEFAULT_RETRY_TIERS, maxAttempts: 3 },
  events: stripeCustomers,
  handlers: {
    'customer.created': async ({ payload }) => upsert(payload, false),
    'customer.updated': async ({ payload }) => upsert(payload, false),
    'customer.deleted': async ({ payload }) => upsert(payload, true),
  },
  // Events of other types on the topic are skipped and committed.
})
console.log(`consuming ${settings.topic} as ${groupId}; dead letters go to ${dlqTopicName(groupId)}`)

const stop = async () => {
  await subscription.close()
  await pool.end()
}
process.once('SIGINT', () => void stop())
process.once('SIGTERM', () => void stop())
