// `npm run bench:kafka-clients`: what producing costs in each Kafka client the transport seam
// could sit on, measured the way ingest produces: idempotent, acks=all, one request in flight,
// batches of ledger-sized records (a 620-byte value, an entity key, two header UUIDs) spread over
// the topic's six partitions. Clients, in alternating rounds, on the same fresh topic:
//   - kafkajs 2.2.4 as this repository installs it (its encoder patched, patches/), the seam's client;
//   - @platformatic/kafka 1.35 (the last line that runs on Node 20), the candidate README names.
// Reported per client: records/s, and CPU µs per record of this process (the client's work: the
// records are built the same way for both) and of the broker.
// Environment: BENCH_RECORDS (per round, default 100000), BENCH_BATCH (records per send, 17:
// ingest's mean at 8,000 webhooks/s), BENCH_ROUNDS (2). Starts the stack when it is not running.
import { randomUUID } from 'node:crypto'
import { ProduceAcks, Producer } from '@platformatic/kafka'
import kafkajs from 'kafkajs'
import { benchStack } from './bench-stack.js'
import { kafkaBrokerPid, processCpuSeconds } from './process-cpu.js'
import { benchScope } from './bench-scope.js'

const records = Number(process.env.BENCH_RECORDS ?? 100_000)
const batchSize = Number(process.env.BENCH_BATCH ?? 17)
const rounds = Number(process.env.BENCH_ROUNDS ?? 2)
const PARTITIONS = 6
const { log, scope, cleanUp } = benchScope()

interface LedgerRecord {
  key: string
  value: Buffer
  partition: number
  headers: Record<string, string>
}

const value = Buffer.alloc(620, 0x61)
const recordAt = (i: number): LedgerRecord => ({
  key: `entity-${i % 5000}`,
  value,
  partition: i % PARTITIONS,
  headers: { 'ledger-event-id': randomUUID(), 'ledger-correlation-id': randomUUID() },
})

/** A client as the benchmark drives it: one send of a batch at a time. */
interface Client {
  name: string
  send(batch: LedgerRecord[]): Promise<unknown>
  close(): Promise<void>
}

async function kafkajsClient(brokers: string[], topic: string): Promise<Client> {
  const producer = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING }).producer({
    idempotent: true,
    maxInFlightRequests: 1,
  })
  await producer.connect()
  return {
    name: 'kafkajs 2.2.4 (encoder patched)',
    send: (batch) => producer.send({ topic, acks: -1, messages: batch }),
    close: () => producer.disconnect(),
  }
}

function platformaticClient(brokers: string[], topic: string): Client {
  const producer = new Producer({
    clientId: 'bench-kafka-clients',
    bootstrapBrokers: brokers,
    idempotent: true,
    acks: ProduceAcks.ALL,
    autocreateTopics: false,
  })
  return {
    name: '@platformatic/kafka 1.35',
    send: (batch) =>
      producer.send({
        messages: batch.map((r) => ({
          topic,
          key: Buffer.from(r.key),
          value: r.value,
          partition: r.partition,
          headers: new Map(Object.entries(r.headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)])),
        })),
      }),
    close: () => producer.close(),
  }
}

async function sendAll(client: Client, count: number): Promise<void> {
  for (let i = 0; i < count; i += batchSize) {
    await client.send(Array.from({ length: Math.min(batchSize, count - i) }, (_, j) => recordAt(i + j)))
  }
}

interface Row {
  round: number
  client: string
  perSecond: number
  clientUs: number
  brokerUs: number
}

async function measure(client: Client, round: number, brokerPid: number | undefined): Promise<Row> {
  await sendAll(client, 2000) // warm-up: connections, producer ID, JIT
  const brokerBefore = brokerPid === undefined ? Number.NaN : processCpuSeconds(brokerPid)
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  await sendAll(client, records)
  const seconds = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  const brokerAfter = brokerPid === undefined ? Number.NaN : processCpuSeconds(brokerPid)
  const row = {
    round,
    client: client.name,
    perSecond: Math.round(records / seconds),
    clientUs: (cpu.user + cpu.system) / records,
    brokerUs: ((brokerAfter - brokerBefore) * 1e6) / records,
  }
  log(`round ${round}, ${row.client}: ${row.perSecond} records/s, ${row.clientUs.toFixed(1)} µs/record`)
  return row
}

try {
  const { stack, topic } = await benchStack(scope, log, 'bench.kafka_clients')
  const brokers = stack.env.kafkaBrokers
  const brokerPid = await kafkaBrokerPid(brokers)
  const rows: Row[] = []
  for (let round = 1; round <= rounds; round++) {
    for (const open of [kafkajsClient, platformaticClient]) {
      const client = await open(brokers, topic)
      try {
        rows.push(await measure(client, round, brokerPid))
      } finally {
        await client.close()
      }
    }
  }
  console.log(
    `\nKafka clients: ${records} records per round, batches of ${batchSize}, idempotent, acks=all, one request in flight\n`,
  )
  console.log('| round | client | records/s | CPU µs per record: client process | broker |')
  console.log('| ---: | --- | ---: | ---: | ---: |')
  for (const r of rows) {
    console.log(
      `| ${r.round} | ${r.client} | ${r.perSecond} | ${r.clientUs.toFixed(1)} | ${r.brokerUs.toFixed(1)} |`,
    )
  }
} finally {
  await cleanUp()
}
