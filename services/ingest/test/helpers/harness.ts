import { loadIngestConfig, startIngest } from '@integration-ledger/ingest'
import {
  type CleanupHost,
  createTestDatabase,
  serviceEnv,
  signGithub,
  stackEnv,
  uniqueName,
  writeSourcesFile,
} from '@integration-ledger/testing'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { Kafka, type KafkaMessage, logLevel } from 'kafkajs'
import type { LedgerEvent } from '@integration-ledger/core'
import { EnvelopeCodec } from '@integration-ledger/sdk'

export interface Harness {
  app: FastifyInstance
  /** The topic every source of this harness publishes to (unique per harness). */
  topic: string
  databaseUrl: string
  /** Records stored in a topic so far (sum of high watermarks; no transactions, so exact). */
  countRecords(topic?: string): Promise<number>
  /** Values of the `ledger-event-id` header of every record in the topic. */
  eventIds(topic?: string): Promise<string[]>
  /** Every record in the topic, decoded through the schema registry. */
  events(topic?: string): Promise<LedgerEvent[]>
}

export interface HarnessOptions {
  /** Source entries (YAML lines under `sources:`), with `__TOPIC__` standing for the topic. */
  sources: string[]
  env?: Record<string, string>
  /** Broker list; the shared broker by default. */
  brokers?: string
  /** Server to create the harness's database on; the shared one by default. */
  databaseServerUrl?: string
}

/** Starts a real ingest service (own database and topic) against the running stack. */
export async function startHarness(t: CleanupHost, options: HarnessOptions): Promise<Harness> {
  const stack = stackEnv()
  const databaseUrl = await createTestDatabase(t, options.databaseServerUrl ?? stack.databaseUrl)
  const topic = uniqueName('ingest.test').replaceAll('_', '.')
  const sourcesFile = await writeSourcesFile(
    options.sources.map((line) => line.replaceAll('__TOPIC__', topic)),
  )
  const brokers = options.brokers ?? stack.kafkaBrokers.join(',')
  const app = await startIngest(
    loadIngestConfig({
      ...serviceEnv(databaseUrl, { ...stack, kafkaBrokers: brokers.split(',') }),
      LEDGER_SOURCES: sourcesFile,
      INGEST_EVENTS_TOPIC: topic,
      ...options.env,
    }),
  )
  t.after(() => app.close())
  const kafka = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING })
  const countRecords = async (name = topic) => {
    const admin = kafka.admin()
    await admin.connect()
    try {
      const offsets = await admin.fetchTopicOffsets(name)
      return offsets.reduce((sum, o) => sum + Number(o.high), 0)
    } finally {
      await admin.disconnect()
    }
  }
  /** Every record of the topic, oldest first per partition. */
  const readRecords = async (name: string): Promise<KafkaMessage[]> => {
    const expected = await countRecords(name)
    const records: KafkaMessage[] = []
    if (expected === 0) return records
    const consumer = kafka.consumer({ groupId: uniqueName('ingest-test-inspect') })
    await consumer.connect()
    try {
      await consumer.subscribe({ topic: name, fromBeginning: true })
      await new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            records.push(message)
            if (records.length >= expected) resolve()
          },
        })
      })
    } finally {
      await consumer.disconnect()
    }
    return records
  }
  const codec = new EnvelopeCodec({ url: stack.schemaRegistryUrl })
  return {
    app,
    topic,
    databaseUrl,
    countRecords,
    async eventIds(name = topic) {
      return (await readRecords(name)).map((m) => String(m.headers?.['ledger-event-id'] ?? ''))
    },
    async events(name = topic) {
      return Promise.all(
        (await readRecords(name)).flatMap((m) => (m.value === null ? [] : [codec.decode(m.value)])),
      )
    },
  }
}

/**
 * POSTs delivery number `n` of a GitHub `repository` webhook, freshly signed with `secret`, to the
 * harness's source `source`. The same `n` is the same delivery (same delivery ID and body).
 */
export function postGithubDelivery(
  app: FastifyInstance,
  options: { source: string; secret: string; n: number },
): Promise<LightMyRequestResponse> {
  const { n } = options
  const body = JSON.stringify({ action: 'edited', repository: { id: n, full_name: `o/r${n}` } })
  return app.inject({
    method: 'POST',
    url: `/webhooks/${options.source}`,
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'repository',
      'x-github-delivery': `delivery-${n}`,
      ...signGithub({ body, secret: options.secret }),
    },
    payload: body,
  })
}
