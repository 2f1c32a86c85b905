// `npm run bench:latency`: webhook received → projection committed, at fixed offered rates.
// Ingest and the projector run as separate processes (their server.ts, configured from the
// environment, as in production) against the running stack, a fresh topic and a throwaway
// database. Phases, in one run:
//   1. warm-up: 200 deliveries/s for 2 s (JIT, connections, schema registration, group join);
//   2. maximum: autocannon, closed loop (BENCH_CONNECTIONS), BENCH_SECONDS: deliveries accepted
//      per second through the whole pipeline = accepted / (last committed − first received);
//   3. open loop at BENCH_RATES (default "1000,half": 1,000/s and half the maximum of phase 2;
//      without "half" phase 2 is skipped),
//      BENCH_SECONDS each, from latency-sender.ts in its own process, every delivery signed
//      before the phase starts.
// The latency of an event is `ledger_events.recorded_at − received_at`: `received_at` is ingest's
// clock when its webhook handler started (the body read; before verification, the dedup claim and
// the produce), `recorded_at` PostgreSQL's clock when the projector's transaction for that batch
// started. Both are this machine's clock, and the sender's cost is in neither. The transaction's
// own duration is not in it; ledger_projector_receipt_to_commit_seconds, observed by the projector
// after its commit returned, is printed beside it (bucket bounds, hence "≤").
// Environment: BENCH_SECONDS (default 10), BENCH_CONNECTIONS (50), BENCH_RATES ("1000,half"),
// BENCH_PROFILE (ingest|projector: a CPU profile to /tmp/latency-prof), BENCH_DEBUG=1 (batch sizes).
// Extra environment for the services is passed through (INGEST_*, PROJECTOR_*).
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { loadavg, cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { uniqueName, waitFor, writeSourcesFile } from '@integration-ledger/testing'
import { stackEnvVars } from '@integration-ledger/local-stack'
import autocannon from 'autocannon'
import pg from 'pg'
import { benchStack } from './bench-stack.js'
import { smallGithubDelivery } from './payloads.js'
import { BENCH_APPLICATION, cpuMsPer, cpuSnapshot, kafkaBrokerPid } from './process-cpu.js'
import { benchScope } from './bench-scope.js'

const seconds = Number(process.env.BENCH_SECONDS ?? 10)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50)
const rates = (process.env.BENCH_RATES ?? '1000,half').split(',')
const SECRET = 'bench-github-secret-0123456789'
const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const { log, scope, cleanUp } = benchScope()

async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  server.close()
  await once(server, 'close')
  return port
}

/**
 * A service as its own process, from its server.ts, the way `npm start` runs it, at LOG_LEVEL
 * warn like the other benchmarks (production's default, info, adds a log line per request). Not
 * test/e2e/service-processes.ts: that one learns the port from the info-level "Server listening"
 * line and keeps every line in the bench's memory, which costs CPU on the machine being measured.
 */
async function startService(name: string, env: NodeJS.ProcessEnv): Promise<{ port: number; pid: number }> {
  const port = await freePort()
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_PROFILE === name ? ['--cpu-prof', '--cpu-prof-dir=/tmp/latency-prof'] : []),
      '--conditions=@integration-ledger/source',
      '--import',
      'tsx',
      `services/${name}/src/server.ts`,
    ],
    { cwd: repoRoot, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] },
  )
  scope.after(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    await exited
  })
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`)
      const response = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined)
      return response?.ok === true
    },
    { timeoutMs: 60_000, intervalMs: 100, description: `${name} ready` },
  )
  return { port, pid: child.pid ?? 0 }
}

interface SenderResult {
  total: number
  ok: number
  failed: number
  statuses: Record<string, number>
  sendSeconds: number
  lateP99Ms: number
  sentAtUs: Record<string, number>
}

async function openLoop(port: number, rate: number, duration: number, prefix: string): Promise<SenderResult> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@integration-ledger/source',
      '--import',
      'tsx',
      fileURLToPath(new URL('latency-sender.ts', import.meta.url)),
      String(port),
      String(rate),
      String(duration),
      prefix,
      SECRET,
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
  )
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  const [code] = (await once(child, 'exit')) as [number | null]
  if (code !== 0) throw new Error(`sender exited with ${code}`)
  return JSON.parse(out) as SenderResult
}

async function closedLoop(port: number, duration: number, prefix: string): Promise<autocannon.Result> {
  let n = 0
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration,
    requests: [
      {
        method: 'POST',
        path: '/webhooks/bench',
        setupRequest: (request) => {
          const i = n++
          return { ...request, ...smallGithubDelivery(i, `${prefix}-${i}`, SECRET) }
        },
      },
    ],
  })
}

interface EventTimes {
  id: string
  /** recorded_at − received_at. */
  ms: number
  receivedUs: number
  recordedUs: number
}

/** Waits until the ledger holds `count` events of the phase, then reads their times. */
async function phaseEvents(pool: pg.Pool, prefix: string, count: number): Promise<EventTimes[]> {
  const like = `${prefix}-%`
  await waitFor(
    async () => {
      const { rows } = await pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM ledger_events WHERE provider_event_id LIKE $1',
        [like],
      )
      return (rows[0]?.n ?? 0) >= count
    },
    { timeoutMs: 120_000, intervalMs: 100, description: `${count} events of ${prefix} in the ledger` },
  )
  const { rows } = await pool.query<{ id: string; received_us: number; recorded_us: number }>(
    `SELECT provider_event_id AS id,
            (extract(epoch FROM received_at) * 1e6)::float8 AS received_us,
            (extract(epoch FROM recorded_at) * 1e6)::float8 AS recorded_us
       FROM ledger_events WHERE provider_event_id LIKE $1`,
    [like],
  )
  return rows.map((r) => ({
    id: r.id,
    ms: (r.recorded_us - r.received_us) / 1000,
    receivedUs: r.received_us,
    recordedUs: r.recorded_us,
  }))
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)] ?? Number.NaN
}

/** Cumulative bucket counts of one histogram (summed over label sets), from Prometheus text. */
function histogram(text: string, name: string): Map<number, number> {
  const buckets = new Map<number, number>()
  const pattern = new RegExp(`^${name}_bucket\\{(?:[^}]*,)?le="([^"]+)"[^}]*\\} (\\S+)$`, 'gm')
  for (const match of text.matchAll(pattern)) {
    const le = match[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(match[1])
    buckets.set(le, (buckets.get(le) ?? 0) + Number(match[2]))
  }
  return buckets
}

/** The bucket bound under which fraction `p` of the observations between two scrapes fell. */
function bucketQuantile(before: Map<number, number>, after: Map<number, number>, p: number): string {
  const bounds = [...after.keys()].sort((a, b) => a - b)
  const delta = (le: number) => (after.get(le) ?? 0) - (before.get(le) ?? 0)
  const total = delta(Number.POSITIVE_INFINITY)
  if (total === 0) return '–'
  const bound = bounds.find((le) => delta(le) >= total * p)
  return bound === undefined || bound === Number.POSITIVE_INFINITY ? '> largest bucket' : `≤ ${bound * 1000}`
}

const SPANS: { service: 'ingest' | 'projector'; name: string; label: string }[] = [
  { service: 'ingest', name: 'ledger_ingest_claim_seconds', label: 'ingest: dedup claim' },
  { service: 'ingest', name: 'ledger_ingest_produce_seconds', label: 'ingest: produce until acked' },
  {
    service: 'projector',
    name: 'ledger_projector_fetch_delay_seconds',
    label: 'produced → projector handles it',
  },
  {
    service: 'projector',
    name: 'ledger_projector_apply_duration_seconds',
    label: 'projector: apply (per batch)',
  },
  {
    service: 'projector',
    name: 'ledger_consumer_batch_duration_seconds',
    label: 'projector: whole batch incl. offset commit',
  },
  {
    service: 'projector',
    name: 'ledger_projector_receipt_to_commit_seconds',
    label: 'received → committed (projector)',
  },
]

async function scrape(ports: { ingest: number; projector: number }): Promise<Record<string, string>> {
  const [ingest, projector] = await Promise.all(
    [ports.ingest, ports.projector].map((port) =>
      fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()),
    ),
  )
  return { ingest: ingest ?? '', projector: projector ?? '' }
}

interface Row {
  phase: string
  offered: string
  accepted: number
  achieved: number
  p50: number
  p99: number
  max: number
  sentP99: number | undefined
  /** CPU milliseconds per event: ingest, projector, their PostgreSQL backends. */
  cpu: { ingest: number; projector: number; postgres: number; kafka: number }
  spans: string[]
  load: string
  note: string
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')

try {
  const { stack, databaseUrl, topic } = await benchStack(scope, log, 'bench.latency')
  const groupId = uniqueName('bench.latency.projector').replaceAll('_', '.')
  const sourcesFile = await writeSourcesFile([
    '  - name: bench',
    '    kind: github',
    `    secrets: ["${SECRET}"]`,
    `    topic: ${topic}`,
  ])
  const env = {
    ...process.env,
    ...stackEnvVars(stack.env),
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'warn',
    LEDGER_SOURCES: sourcesFile,
    PROJECTOR_TOPICS: topic,
    PROJECTOR_GROUP_ID: groupId,
  }
  // The projector first: it creates the ledger tables the bench reads.
  const projector = await startService('projector', env)
  const ingest = await startService('ingest', env)
  const ports = { ingest: ingest.port, projector: projector.port }
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2, application_name: BENCH_APPLICATION })
  scope.after(() => pool.end())

  const kafkaPid = await kafkaBrokerPid(stack.env.kafkaBrokers)
  const cpuNow = () => cpuSnapshot({ ingest: ingest.pid, projector: projector.pid, kafka: kafkaPid }, pool)

  const rows: Row[] = []
  const measure = async (
    phase: string,
    offered: string,
    prefix: string,
    run: () => Promise<{ accepted: number; sentAtUs?: Record<string, number>; note: string }>,
  ): Promise<Row> => {
    const before = await scrape(ports)
    const loadAtStart = load()
    const cpuBefore = await cpuNow()
    const { accepted, sentAtUs, note } = await run()
    const events = await phaseEvents(pool, prefix, accepted)
    const after = await scrape(ports)
    const cpuAfter = await cpuNow()
    const cpu = cpuMsPer(cpuBefore, cpuAfter, events.length)
    const ms = events.map((e) => e.ms).sort((a, b) => a - b)
    const firstReceived = Math.min(...events.map((e) => e.receivedUs))
    const lastRecorded = Math.max(...events.map((e) => e.recordedUs))
    const sent = sentAtUs
      ? events
          .map((e) =>
            sentAtUs[e.id] === undefined ? Number.NaN : (e.recordedUs - (sentAtUs[e.id] ?? 0)) / 1000,
          )
          .filter((x) => !Number.isNaN(x))
          .sort((a, b) => a - b)
      : undefined
    if (process.env.BENCH_DEBUG === '1') {
      const mean = (service: 'ingest' | 'projector', name: string) => {
        const read = (text: string, part: string) =>
          [...text.matchAll(new RegExp(`^${name}_${part}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce(
            (sum, m) => sum + Number(m[1]),
            0,
          )
        const count = read(after[service] ?? '', 'count') - read(before[service] ?? '', 'count')
        const sum = read(after[service] ?? '', 'sum') - read(before[service] ?? '', 'sum')
        return `${name}: ${count} × mean ${(sum / Math.max(1, count)).toFixed(4)}`
      }
      log(
        [
          mean('ingest', 'ledger_ingest_producer_batch_records'),
          mean('ingest', 'ledger_ingest_claim_seconds'),
          mean('ingest', 'ledger_ingest_produce_seconds'),
          mean('projector', 'ledger_projector_batch_size'),
          mean('projector', 'ledger_projector_apply_duration_seconds'),
          mean('projector', 'ledger_consumer_batch_duration_seconds'),
        ].join('; '),
      )
    }
    if (sentAtUs && process.env.BENCH_DEBUG === '1') {
      const gaps = events
        .map((e) => ({ id: e.id, gap: (e.receivedUs - (sentAtUs[e.id] ?? 0)) / 1000 }))
        .sort((a, b) => b.gap - a.gap)
      log(
        `sent → received, worst: ${JSON.stringify(gaps.slice(0, 8))}; median ${gaps[gaps.length >> 1]?.gap}`,
      )
    }
    const row: Row = {
      phase,
      offered,
      accepted,
      achieved: Math.round(events.length / ((lastRecorded - firstReceived) / 1e6)),
      p50: percentile(ms, 0.5),
      p99: percentile(ms, 0.99),
      max: ms[ms.length - 1] ?? Number.NaN,
      sentP99: sent && percentile(sent, 0.99),
      cpu: {
        ingest: cpu.ingest ?? Number.NaN,
        projector: cpu.projector ?? Number.NaN,
        postgres: cpu.postgres ?? Number.NaN,
        kafka: cpu.kafka ?? Number.NaN,
      },

      spans: SPANS.map((s) => {
        const b = histogram(before[s.service] ?? '', s.name)
        const a = histogram(after[s.service] ?? '', s.name)
        return `${bucketQuantile(b, a, 0.5)} / ${bucketQuantile(b, a, 0.99)}`
      }),
      load: `${loadAtStart} → ${load()}`,
      note,
    }
    log(
      `${phase}: ${row.accepted} events, ${row.achieved}/s, p50 ${row.p50.toFixed(1)} ms, p99 ${row.p99.toFixed(1)} ms, max ${row.max.toFixed(1)} ms, CPU ms/event ingest ${row.cpu.ingest.toFixed(3)} projector ${row.cpu.projector.toFixed(3)} postgres ${row.cpu.postgres.toFixed(3)} kafka ${row.cpu.kafka.toFixed(3)} (load ${row.load})`,
    )
    return row
  }

  const senderPhase = (rate: number, prefix: string) => async () => {
    const result = await openLoop(ingest.port, rate, seconds, prefix)
    const failures = Object.entries(result.statuses).filter(([code]) => !code.startsWith('2'))
    return {
      accepted: result.ok,
      sentAtUs: result.sentAtUs,
      note: `${result.total} sent in ${result.sendSeconds.toFixed(1)} s (schedule p99 late ${result.lateP99Ms.toFixed(1)} ms)${failures.length > 0 ? `, not 2xx: ${JSON.stringify(Object.fromEntries(failures))}` : ''}`,
    }
  }

  await measure('warm-up', '200/s', 'warm', async () => {
    const result = await openLoop(ingest.port, 200, 2, 'warm')
    return { accepted: result.ok, note: 'not reported' }
  })

  // Only needed for "half"; skipped otherwise, which shortens a run while tuning.
  const maxRow = !rates.includes('half')
    ? undefined
    : await measure('maximum (closed loop)', `${connections} connections`, 'max', async () => {
        const result = await closedLoop(ingest.port, seconds, 'max')
        return {
          accepted: result['2xx'],
          note: `autocannon: ${Math.round(result.requests.average)} req/s answered, ${result.non2xx + result.errors + result.timeouts} not 2xx`,
        }
      })
  if (maxRow) rows.push(maxRow)

  for (const rate of rates) {
    const perSecond = rate === 'half' ? Math.round((maxRow?.achieved ?? 0) / 2) : Number(rate)
    const label = rate === 'half' ? `${perSecond}/s (half the maximum)` : `${perSecond}/s`
    const row = await measure('open loop', label, `r${perSecond}`, senderPhase(perSecond, `r${perSecond}`))
    // A pipeline that fell behind measured its own backlog, not the latency at this rate.
    if (row.achieved < perSecond * 0.95)
      row.note += '; BEHIND the offered rate: the machine did not sustain it'
    rows.push(row)
  }

  console.log(
    `\nLatency benchmark: webhook received (ingest) → projection recorded (PostgreSQL), ${seconds} s per phase, ${cpus().length} CPUs\n`,
  )
  console.log(
    `| offered | events | pipeline events/s | p50 ms | p99 ms | max ms | sent → recorded p99 ms | CPU ms per event: ingest / projector / their PostgreSQL backends / Kafka broker | ${SPANS.map((s) => `${s.label} p50 / p99 ms`).join(' | ')} | load average (start → end) | note |`,
  )
  console.log(
    `| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ${SPANS.map(() => '---:').join(' | ')} | --- | --- |`,
  )
  for (const r of rows) {
    console.log(
      `| ${r.phase === 'open loop' ? r.offered : `${r.phase}, ${r.offered}`} | ${r.accepted} | ${r.achieved} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(1)} | ${r.sentP99 === undefined ? '–' : r.sentP99.toFixed(1)} | ${r.cpu.ingest.toFixed(3)} / ${r.cpu.projector.toFixed(3)} / ${r.cpu.postgres.toFixed(3)} / ${r.cpu.kafka.toFixed(3)} | ${r.spans.join(' | ')} | ${r.load} | ${r.note} |`,
    )
  }
} finally {
  await cleanUp()
}
