// `npm run bench:compression`: what gzip (built into kafkajs) saves and costs on the realistic
// payload profile (payloads.ts). Three figures: the bytes a batch takes compressed (kafkajs
// compresses each partition's batch as a whole), the CPU time of compressing and decompressing,
// and the rate at which the batching producer gets the same records into Kafka (acks=all) with and
// without it, alternating, BENCH_ROUNDS times (default 3). Environment: BENCH_RECORDS (default 1000).
import { gunzipSync, gzipSync } from 'node:zlib'
import { BatchingProducer, createKafkajsTransport } from '@integration-ledger/kafka'
import { declareTopology } from '@integration-ledger/sdk'
import { uniqueName } from '@integration-ledger/testing'
import { ensureStack } from '@integration-ledger/local-stack'
import { realisticBodies } from './payloads.js'

const count = Number(process.env.BENCH_RECORDS ?? 1000)
const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`)
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1)

const bodies = realisticBodies(count).map((b) => Buffer.from(b))
const raw = bodies.reduce((sum, b) => sum + b.length, 0)

// Compressed size, per record and per batch of 50 (what one partition's batch holds under load).
const perRecord = bodies.reduce((sum, b) => sum + gzipSync(b).length, 0)
let perBatch = 0
let compressMs = 0
let decompressMs = 0
for (let i = 0; i < bodies.length; i += 50) {
  const batch = Buffer.concat(bodies.slice(i, i + 50))
  let started = performance.now()
  const packed = gzipSync(batch)
  compressMs += performance.now() - started
  started = performance.now()
  gunzipSync(packed)
  decompressMs += performance.now() - started
  perBatch += packed.length
}

const stack = await ensureStack({ log })
const brokers = stack.env.kafkaBrokers
const admin = createKafkajsTransport({ brokers }).admin()
await admin.connect()
const rows: { compression: 'none' | 'gzip'; seconds: number }[] = []
try {
  for (let round = 0; round < rounds; round++) {
    for (const compression of ['none', 'gzip'] as const) {
      const topic = uniqueName('bench.compression').replaceAll('_', '.')
      await admin.ensureTopics(declareTopology({ eventTopics: [topic], consumerGroups: [] }).slice(0, 1))
      const connection = createKafkajsTransport({ brokers, compression }).producer()
      await connection.connect()
      const producer = new BatchingProducer(connection)
      const started = performance.now()
      await Promise.all(
        bodies.map((value, n) => producer.produce({ topic, key: `entity-${n % 500}`, value })),
      )
      rows.push({ compression, seconds: (performance.now() - started) / 1000 })
      await producer.close()
      await admin.deleteTopics([topic])
    }
  }
} finally {
  await admin.disconnect()
  if (process.env.LEDGER_KEEP_STACK !== '1') await stack.stop()
}

console.log(
  `\nCompression on ${count} realistic bodies, ${mb(raw)} MB (mean ${Math.round(raw / count)} bytes)\n`,
)
console.log('| measure | value |')
console.log('| --- | ---: |')
console.log(`| gzip, each body alone | ${mb(perRecord)} MB (${((100 * perRecord) / raw).toFixed(0)} %) |`)
console.log(`| gzip, batches of 50 bodies | ${mb(perBatch)} MB (${((100 * perBatch) / raw).toFixed(0)} %) |`)
console.log(`| gzip CPU, compress | ${(compressMs / (raw / 1024 / 1024)).toFixed(1)} ms per MB |`)
console.log(`| gzip CPU, decompress | ${(decompressMs / (raw / 1024 / 1024)).toFixed(1)} ms per MB |`)
for (const compression of ['none', 'gzip'] as const) {
  const runs = rows.filter((r) => r.compression === compression)
  const rates = runs.map((r) => Math.round(count / r.seconds))
  const mbps = runs.map((r) => (raw / 1024 / 1024 / r.seconds).toFixed(1))
  console.log(
    `| produce, compression ${compression} | ${rates.join(' / ')} records/s (${mbps.join(' / ')} MB/s) |`,
  )
}
