// The servers `npm run bench:ingest` measures, one per child process so the load generator does not
// share their CPU time. Mode from argv[2]; prints one JSON line `{ "port": n }` once listening.
//   full  — the ingest service itself: verify (GitHub HMAC), dedup claim, registry encode, acks=all
//   send  — fastify route producing the raw body with one kafkajs send() per request (acks=all):
//           the bare route as most code writes it, and what batching exists to beat
//   bare  — fastify route producing the raw body through the ledger's batching producer (acks=all)
//   hello — fastify answering {"hello":"world"}: the HTTP ceiling of this machine
import { loadIngestConfig, startIngest } from '@integration-ledger/ingest'
import { BatchingProducer, createKafkajsTransport } from '@integration-ledger/kafka'
import { writeSourcesFile } from '@integration-ledger/testing'
import Fastify, { type FastifyInstance } from 'fastify'
import { Kafka, Partitioners, logLevel } from 'kafkajs'

const [mode = 'hello', topic = 'ledger.bench', secret = 'bench'] = process.argv.slice(2)
const env = process.env

/** A fastify app that hands every body over as raw bytes, like ingest's webhook route. */
function rawBodyApp(): FastifyInstance {
  const app = Fastify()
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))
  return app
}

async function full(): Promise<FastifyInstance> {
  const file = await writeSourcesFile([
    '  - name: bench',
    '    kind: github',
    `    secrets: ["${secret}"]`,
    `    topic: ${topic}`,
  ])
  return startIngest(loadIngestConfig({ ...env, LEDGER_SOURCES: file, LOG_LEVEL: 'warn' }))
}

async function bare(): Promise<FastifyInstance> {
  const producer = createKafkajsTransport({
    brokers: (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  }).producer()
  await producer.connect()
  const batching = new BatchingProducer(producer)
  const app = rawBodyApp()
  app.post('/webhooks/:source', async (request, reply) => {
    const key = request.headers['x-github-delivery']
    await batching.produce({
      topic,
      key: typeof key === 'string' ? key : null,
      value: request.body as Buffer,
    })
    return reply.status(202).send({ ok: true })
  })
  app.addHook('onClose', () => batching.close())
  return app
}

async function send(): Promise<FastifyInstance> {
  // Not idempotent, so kafkajs may keep several sends in flight: the most generous form of it.
  const producer = new Kafka({
    brokers: (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    logLevel: logLevel.NOTHING,
  }).producer({
    createPartitioner: Partitioners.DefaultPartitioner,
  })
  await producer.connect()
  const app = rawBodyApp()
  app.post('/webhooks/:source', async (request, reply) => {
    const key = request.headers['x-github-delivery']
    await producer.send({
      topic,
      acks: -1,
      messages: [{ key: typeof key === 'string' ? key : null, value: request.body as Buffer }],
    })
    return reply.status(202).send({ ok: true })
  })
  app.addHook('onClose', () => producer.disconnect())
  return app
}

async function hello(): Promise<FastifyInstance> {
  const app = rawBodyApp()
  app.post('/webhooks/:source', async () => ({ hello: 'world' }))
  return app
}

const targets: Record<string, () => Promise<FastifyInstance>> = { full, send, bare, hello }
const app = await (targets[mode] ?? hello)()
await app.listen({ host: '127.0.0.1', port: 0 })
const address = app.server.address()
process.stdout.write(
  `${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`,
)
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0))
})
