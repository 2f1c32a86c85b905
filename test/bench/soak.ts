// `npm run soak`: events through the whole pipeline (signed webhooks → ingest → Kafka → projector →
// PostgreSQL) at a steady offered rate, with ingest and the projector as real processes. Every few
// seconds it samples each service's memory (its own /metrics: prom-client's default metrics) and
// the group's lag, and prints progress; at the end it prints whether memory stayed flat after
// warm-up (RSS slope over the second half), whether the lag went back to zero and whether every
// projection equals the oracle. Exits 1 when the lag did not drain or the oracle differs.
// Not part of `npm test`: a run of the default million events takes about 20 minutes.
import { AssertionError } from 'node:assert'
import { cpus, totalmem } from 'node:os'
import { parseArgs } from 'node:util'
import { ensureStack } from '@integration-ledger/local-stack'
import { createPool } from '@integration-ledger/postgres'
import { createKafkajsTransport } from '@integration-ledger/sdk'
import { writeSourcesFile } from '@integration-ledger/testing'
import { assertProjectionsMatch, ledgerCount, projectorFixture } from '../e2e/projector-support.js'
import { type ServiceProcess, startService } from '../e2e/service-processes.js'
import { StormSender, stormSourceLines } from '../e2e/signed-storm.js'
import { SoakStorm } from './soak-storm.js'
import { benchScope } from './bench-scope.js'

const HELP = `npm run soak -- [options]

  --events N       events to send, re-sends included            (default 1000000)
  --rate R         offered deliveries per second, held steady    (default 900)
  --entities E     accounts the events are spread over           (default 10000)
  --duplicates D   share of re-sent deliveries (same event ID)   (default 0.1)
  --sample S       seconds between samples                       (default 5)
  --drain S        seconds to wait for the lag to reach zero     (default 300)
  --help           this text

Starts the stack when it is not running (LEDGER_KEEP_STACK=1 leaves it running), then ingest and
the projector on a fresh topic, group and database, removed afterwards.`

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    rate: { type: 'string', default: '900' },
    entities: { type: 'string', default: '10000' },
    duplicates: { type: 'string', default: '0.1' },
    sample: { type: 'string', default: '5' },
    drain: { type: 'string', default: '300' },
    help: { type: 'boolean', default: false },
  },
})
if (args.help) {
  process.stdout.write(`${HELP}\n`)
  process.exit(0)
}

function positive(name: string, text: string): number {
  const value = Number(text)
  if (!Number.isFinite(value) || value <= 0) {
    process.stderr.write(`--${name} must be a positive number, got "${text}"\n${HELP}\n`)
    process.exit(2)
  }
  return value
}
const events = Math.floor(positive('events', args.events))
const rate = positive('rate', args.rate)
const entities = Math.floor(positive('entities', args.entities))
const duplicateRatio = Number(args.duplicates)
if (!(duplicateRatio >= 0 && duplicateRatio < 1)) {
  process.stderr.write(`--duplicates must be in [0, 1), got "${args.duplicates}"\n`)
  process.exit(2)
}
const sampleMs = positive('sample', args.sample) * 1000
const drainMs = positive('drain', args.drain) * 1000
/** Deliveries awaiting an answer at most; more means ingest fell behind the offered rate. */
const MAX_IN_FLIGHT = 512

const { log, scope, cleanUp } = benchScope('soak')
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const mb = (bytes: number) => bytes / 1024 / 1024
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

interface MemorySample {
  atMs: number
  rss: number
  heap: number
}

/** Reads a gauge with one series (labels or not) from a Prometheus text exposition. */
function gauge(metrics: string, name: string): number {
  const value = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(metrics)?.[1]
  if (value === undefined) throw new Error(`no ${name} in /metrics`)
  return Number(value)
}

async function memoryOf(service: ServiceProcess, atMs: number): Promise<MemorySample> {
  const metrics = await (await fetch(`${service.url}/metrics`)).text()
  return {
    atMs,
    rss: gauge(metrics, 'process_resident_memory_bytes'),
    heap: gauge(metrics, 'nodejs_heap_size_used_bytes'),
  }
}

/** Least-squares slope of `value` over time, in MB per minute. */
function slopeMbPerMin(samples: readonly MemorySample[], value: (s: MemorySample) => number): number {
  if (samples.length < 2) return Number.NaN
  const xs = samples.map((s) => s.atMs / 60_000)
  const ys = samples.map((s) => mb(value(s)))
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length
  const my = ys.reduce((a, b) => a + b, 0) / ys.length
  let num = 0
  let den = 0
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my)
    den += (xs[i]! - mx) ** 2
  }
  return num / den
}

const infra = await ensureStack({ prometheus: false, log })
let failed = false
let interrupted = false
// Ctrl-C ends the run early but still removes the topic, group and database it made.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => (interrupted = true))
try {
  const fixture = await projectorFixture(scope, 'soak', { stack: infra.env })
  const { topic, groupId } = fixture
  const pool = createPool({ connectionString: fixture.databaseUrl, max: 2 })
  scope.after(() => pool.end())
  const admin = createKafkajsTransport({ brokers: infra.env.kafkaBrokers }).admin()
  await admin.connect()
  scope.after(() => admin.disconnect())
  const lag = async () => {
    // Committed first: read after them, the ends are at least as far, so lag is never negative.
    const committed = await admin.groupOffsets(groupId, topic)
    const ends = await admin.topicOffsets(topic)
    const done = new Map(committed.map((p) => [p.partition, BigInt(p.offset)]))
    return ends.reduce((sum, p) => {
      const at = done.get(p.partition) ?? -1n
      return sum + Number(BigInt(p.high) - (at < 0n ? BigInt(p.low) : at))
    }, 0)
  }

  // Logs stay at info, as in production (ingest writes a line per request); only a tail is kept.
  const sources = await writeSourcesFile(stormSourceLines(topic))
  const services = [
    await startService(scope, 'ingest', { ...fixture.env, LEDGER_SOURCES: sources }, { retain: 'tail' }),
    await startService(scope, 'projector', fixture.env, { retain: 'tail' }),
  ]
  const memory = new Map<string, MemorySample[]>(services.map((s) => [s.name, []]))
  const storm = new SoakStorm({ events, entities, duplicateRatio })
  const sender = new StormSender(services[0]!.url, { connections: 64 })
  scope.after(() => sender.close())
  log(
    `${fmt(events)} events over ${fmt(entities)} accounts (${Math.round(duplicateRatio * 100)} % re-sends) at ` +
      `${fmt(rate)}/s offered; ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${fmt(mb(totalmem()))} MB; ` +
      `topic ${topic}`,
  )

  const startedAt = performance.now()
  let accepted = 0
  let retries = 0
  let inFlight = 0
  let maxLag = 0
  let behind = 0
  let failure: unknown
  const sample = async (now: number) => {
    for (const service of services) memory.get(service.name)!.push(await memoryOf(service, now))
    const behindBy = await lag()
    maxLag = Math.max(maxLag, behindBy)
    const seconds = now / 1000
    const mem = services
      .map((s) => {
        const last = memory.get(s.name)!.at(-1)!
        return `${s.name} rss ${fmt(mb(last.rss))} MB heap ${fmt(mb(last.heap))} MB`
      })
      .join(' | ')
    log(
      `${seconds.toFixed(0).padStart(5)} s  sent ${fmt(storm.emitted)} (${fmt(storm.emitted / seconds)}/s) ` +
        `accepted ${fmt(accepted)} in flight ${inFlight} lag ${fmt(behindBy)} | ${mem}`,
    )
  }

  // Paced by the clock, not by answers: each tick sends what the rate owes so far, so a slow
  // answer does not lower the offered rate (up to MAX_IN_FLIGHT waiting answers).
  let nextSampleAt = sampleMs
  let sampling: Promise<void> | undefined
  while (failure === undefined && !interrupted) {
    const now = performance.now() - startedAt
    const owed = Math.min(events, Math.floor((rate * now) / 1000))
    while (storm.emitted < owed && inFlight < MAX_IN_FLIGHT) {
      const event = storm.next()!
      inFlight++
      sender.deliver(event).then(
        (answer) => {
          inFlight--
          accepted++
          retries += answer.retries
        },
        (err: unknown) => (failure = err),
      )
    }
    if (storm.emitted < owed) behind = Math.max(behind, owed - storm.emitted)
    if (now >= nextSampleAt && !sampling) {
      nextSampleAt += sampleMs
      sampling = sample(now)
        .catch((err: unknown) => {
          failure = err
        })
        .finally(() => (sampling = undefined))
    }
    if (storm.emitted >= events && inFlight === 0) break
    await sleep(5)
  }
  await sampling
  if (failure !== undefined) throw new Error('the soak stopped', { cause: failure })
  if (interrupted) throw new Error('interrupted; cleaning up')
  const sendSeconds = (performance.now() - startedAt) / 1000
  log(`all ${fmt(events)} accepted after ${sendSeconds.toFixed(1)} s; waiting for the lag to drain`)

  const drainStarted = performance.now()
  let lagAtEnd = await lag()
  while (lagAtEnd > 0 && performance.now() - drainStarted < drainMs && !interrupted) {
    await sleep(500)
    lagAtEnd = await lag()
  }
  const drainSeconds = (performance.now() - drainStarted) / 1000
  await sample(performance.now() - startedAt)

  const rows = await ledgerCount(pool)
  let oracle = `equal (${fmt(storm.oracle.size)} projections)`
  try {
    await assertProjectionsMatch(pool, storm.oracle)
  } catch (err) {
    if (!(err instanceof AssertionError)) throw err
    oracle = `DIFFERS: ${err.message}`
    failed = true
  }
  if (lagAtEnd > 0 || rows !== storm.distinct) failed = true

  const lines = [
    '',
    `soak: ${fmt(events)} events (${fmt(storm.distinct)} distinct, ${fmt(entities)} accounts), ` +
      `offered ${fmt(rate)}/s, sent at ${fmt(events / sendSeconds)}/s over ${sendSeconds.toFixed(0)} s ` +
      `(most behind the offered schedule: ${fmt(behind)}; ${fmt(retries)} retried answers)`,
  ]
  for (const service of services) {
    const samples = memory.get(service.name)!
    const second = samples.filter((s) => s.atMs >= samples.at(-1)!.atMs / 2)
    const peak = Math.max(...samples.map((s) => s.rss))
    lines.push(
      `  ${service.name.padEnd(10)} RSS ${fmt(mb(samples[0]!.rss))} → ${fmt(mb(samples.at(-1)!.rss))} MB ` +
        `(peak ${fmt(mb(peak))}); second half: RSS ${slopeMbPerMin(second, (s) => s.rss).toFixed(2)} MB/min, ` +
        `heap ${slopeMbPerMin(second, (s) => s.heap).toFixed(2)} MB/min (${second.length} samples)`,
    )
  }
  lines.push(
    `  lag        max ${fmt(maxLag)}, at end ${fmt(lagAtEnd)} (${drainSeconds.toFixed(1)} s after the last answer)`,
    `  ledger     ${fmt(rows)} rows, ${rows === storm.distinct ? '=' : '≠'} ${fmt(storm.distinct)} distinct events`,
    `  oracle     ${oracle}`,
  )
  process.stdout.write(`${lines.join('\n')}\n`)
} finally {
  await cleanUp()
  if (process.env.LEDGER_KEEP_STACK !== '1') await infra.stop()
}
if (failed) process.exit(1)
