// `npm run bench:ingest`: signed webhooks/s and latency through the full ingest path (GitHub HMAC
// verification, PostgreSQL dedup claim, registry encoding, Kafka acks=all) beside two baselines
// measured in the same run on the same machine:
//   - "bare route → Kafka": fastify producing the raw body, no verification, twice: with one kafkajs
//     send() per request, and through the ledger's batching producer (both acks=all);
//   - "hello world": fastify answering a constant, the HTTP ceiling.
// Each target runs in its own process; autocannon (this process) sends every request as a distinct,
// freshly signed delivery over loopback. Two payload profiles, reported side by side:
//   - small: a ~120-byte `repository` body per request;
//   - realistic: bodies cycled from a pool drawn from real providers' sizes (payloads.ts: a few KB
//     typical, 3 % of 100–400 KB), each request a distinct delivery ID; the full path also runs
//     with INGEST_PRODUCE_COMPRESSION=gzip.
// Environment: BENCH_TARGETS (default "full,send,bare,hello"; a subset while tuning; "full-2" adds
// the full path as two replicas, each its own process and port), BENCH_SECONDS
// (default 10), BENCH_CONNECTIONS (default 50), BENCH_PAYLOADS
// (default "small,realistic"). Starts the stack when it is not running.
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { signGithub } from '@integration-ledger/testing'
import autocannon from 'autocannon'
import { stackEnvVars } from '@integration-ledger/local-stack'
import pg from 'pg'
import { benchStack } from './bench-stack.js'
import { realisticBodies, smallGithubDelivery } from './payloads.js'
import { BENCH_APPLICATION, cpuMsPer, cpuSnapshot, kafkaBrokerPid } from './process-cpu.js'
import { benchScope } from './bench-scope.js'

const seconds = Number(process.env.BENCH_SECONDS ?? 10)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50)
const profiles = (process.env.BENCH_PAYLOADS ?? 'small,realistic').split(',')
const targets = new Set((process.env.BENCH_TARGETS ?? 'full,send,bare,hello').split(','))
const SECRET = 'bench-github-secret-0123456789'
const { log, scope, cleanUp } = benchScope()

interface Row {
  profile: string
  name: string
  rps: number
  p50: number
  p99: number
  ok: number
  failed: number
  /**
   * CPU ms per answered request: the target, its event loop (part of the target's), its PostgreSQL
   * backends, the Kafka broker, autocannon.
   */
  cpu: { target: number; eventLoop: number; postgres: number; kafka: number; sender: number }
}

/** Where the CPU of a run goes: the processes besides the target that share the machine. */
interface Machine {
  pool: pg.Pool
  kafkaPid: number | undefined
}

async function startTarget(
  mode: string,
  topic: string,
  env: NodeJS.ProcessEnv,
): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_PROFILE === mode ? ['--cpu-prof', '--cpu-prof-dir=/tmp/ingest-prof'] : []),
      '--conditions=@integration-ledger/source',
      '--import',
      'tsx',
      fileURLToPath(new URL('ingest-targets.ts', import.meta.url)),
      mode,
      topic,
      SECRET,
    ],
    { env, stdio: ['ignore', 'pipe', 'inherit'] },
  )
  // The target's own log lines may come first; the port line is the one with a port. Later lines
  // are read and dropped, so a chatty target never blocks on a full pipe.
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const port = /^\{"port":(\d+)\}$/.exec(line)?.[1]
      if (port !== undefined) resolve(Number(port))
    })
    child.once('exit', (code) => reject(new Error(`${mode} target exited with ${code}`)))
  })
  return { port, child }
}

async function stopTarget(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

let delivery = 0
/** A distinct, freshly signed GitHub delivery per request, so dedup never short-cuts the path. */
function smallRequest(request: autocannon.Request): autocannon.Request {
  const n = delivery++
  return { ...request, ...smallGithubDelivery(n, `bench-${process.pid}-${n}`, SECRET) }
}

/** Signed once per body: the signature covers the body only, the delivery ID differs per request. */
const realisticPool = profiles.includes('realistic')
  ? realisticBodies(500).map((body) => ({ body, headers: signGithub({ body, secret: SECRET }) }))
  : []
/** A realistic-sized GitHub push per request (cycling the pool), each a distinct delivery. */
function realisticRequest(request: autocannon.Request): autocannon.Request {
  const n = delivery++
  const pick = realisticPool[n % realisticPool.length]
  return {
    ...request,
    body: pick?.body ?? '{}',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': `bench-${process.pid}-${n}`,
      ...pick?.headers,
    },
  }
}

/** Mean body bytes per profile, for the MB/s column (autocannon counts response bytes only). */
const meanBodyBytes: Record<string, number> = {
  small: Buffer.byteLength(smallRequest({}).body as string),
  realistic:
    realisticPool.reduce((sum, p) => sum + Buffer.byteLength(p.body), 0) / (realisticPool.length || 1),
}

const setupRequest: Record<string, (request: autocannon.Request) => autocannon.Request> = {
  small: smallRequest,
  realistic: realisticRequest,
}

async function load(
  port: number,
  duration: number,
  profile: string,
  clients = connections,
): Promise<autocannon.Result> {
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: clients,
    duration,
    requests: [
      { method: 'POST', path: '/webhooks/bench', setupRequest: setupRequest[profile] ?? smallRequest },
    ],
  })
}

/**
 * Runs a target as `replicas` processes (each its own port, as replicas behind a load balancer),
 * the connections split evenly between them. With several, p50 and p99 are the worst replica's:
 * an upper bound of the combined percentile.
 */
async function measure(
  machine: Machine,
  profile: string,
  name: string,
  mode: string,
  topic: string,
  env: NodeJS.ProcessEnv,
  replicas = 1,
): Promise<Row | undefined> {
  if (!targets.has(replicas === 1 ? mode : `${mode}-${replicas}`)) return undefined
  const started = await Promise.all(Array.from({ length: replicas }, () => startTarget(mode, topic, env)))
  try {
    const clients = Math.ceil(connections / replicas)
    const loadAll = (duration: number) =>
      Promise.all(started.map(({ port }) => load(port, duration, profile, clients)))
    await loadAll(2) // warm-up: JIT, connections, schema registration
    const pids = Object.fromEntries(started.map(({ child }, i) => [`target${i}`, child.pid]))
    const eventLoops = Object.fromEntries(started.map(({ child }, i) => [`eventLoop${i}`, child.pid]))
    const cpuNow = () =>
      cpuSnapshot({ ...pids, kafka: machine.kafkaPid, sender: process.pid }, machine.pool, eventLoops)
    const before = await cpuNow()
    const results = await loadAll(seconds)
    const after = await cpuNow()
    const sum = (pick: (r: autocannon.Result) => number) => results.reduce((n, r) => n + pick(r), 0)
    const worst = (pick: (r: autocannon.Result) => number) => Math.max(...results.map(pick))
    const ok = sum((r) => r['2xx'])
    const cpu = cpuMsPer(before, after, ok)
    const row = {
      profile,
      name,
      rps: Math.round(sum((r) => r.requests.average)),
      p50: worst((r) => r.latency.p50),
      p99: worst((r) => r.latency.p99),
      ok,
      failed: sum((r) => r.non2xx + r.errors + r.timeouts),
      cpu: {
        target: started.reduce((ms, _, i) => ms + (cpu[`target${i}`] ?? Number.NaN), 0),
        eventLoop: started.reduce((ms, _, i) => ms + (cpu[`eventLoop${i}`] ?? Number.NaN), 0),
        postgres: cpu.postgres ?? Number.NaN,
        kafka: cpu.kafka ?? Number.NaN,
        sender: cpu.sender ?? Number.NaN,
      },
    }
    log(`${profile} / ${name}: ${row.rps} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, ${row.failed} failed`)
    return row
  } finally {
    await Promise.all(started.map(({ child }) => stopTarget(child)))
  }
}

try {
  const { stack, databaseUrl, topic } = await benchStack(scope, log, 'bench.ingest')
  const env = { ...process.env, ...stackEnvVars(stack.env), DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' }
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1, application_name: BENCH_APPLICATION })
  scope.after(() => pool.end())
  const machine: Machine = {
    pool,
    kafkaPid: await kafkaBrokerPid(stack.env.kafkaBrokers),
  }

  /** The targets of one payload profile, in the order they run. */
  const plan = (profile: string) => [
    { name: 'full ingest path (verify + dedup + acks=all)', mode: 'full' },
    {
      name: `full ingest path, two replicas (${Math.ceil(connections / 2)} connections each)`,
      mode: 'full',
      replicas: 2,
    },
    ...(profile === 'realistic'
      ? [
          {
            name: 'full ingest path, gzip-compressed batches',
            mode: 'full',
            env: { INGEST_PRODUCE_COMPRESSION: 'gzip' },
          },
        ]
      : []),
    { name: 'bare route → Kafka, one kafkajs send() per request (acks=all)', mode: 'send' },
    { name: 'bare route → Kafka through the batching producer (acks=all)', mode: 'bare' },
    { name: 'fastify hello world', mode: 'hello' },
  ]
  const measured: (Row | undefined)[] = []
  for (const profile of profiles) {
    for (const target of plan(profile)) {
      const targetEnv = { ...env, ...('env' in target ? target.env : {}) }
      const replicas = 'replicas' in target ? target.replicas : 1
      measured.push(await measure(machine, profile, target.name, target.mode, topic, targetEnv, replicas))
    }
  }
  const rows = measured.filter((r) => r !== undefined)
  console.log(`\nIngest benchmark: ${seconds} s per target, ${connections} connections, loopback\n`)
  console.log(
    '| payloads | target | req/s | MiB/s of bodies | p50 ms | p99 ms | 2xx | failed | CPU ms per request: target (its event loop) / its PostgreSQL backends / Kafka broker / autocannon |',
  )
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |')
  for (const r of rows) {
    const mib = ((r.rps * (meanBodyBytes[r.profile] ?? 0)) / 1024 / 1024).toFixed(1)
    console.log(
      `| ${r.profile} | ${r.name} | ${r.rps} | ${mib} | ${r.p50} | ${r.p99} | ${r.ok} | ${r.failed} | ${r.cpu.target.toFixed(3)} (${r.cpu.eventLoop.toFixed(3)}) / ${[r.cpu.postgres, r.cpu.kafka, r.cpu.sender].map((ms) => ms.toFixed(3)).join(' / ')} |`,
    )
  }
  for (const profile of profiles) {
    const of = (mode: string) => rows.find((r) => r.profile === profile && r.name.startsWith(mode))
    const full = of('full ingest path (')
    const sendRow = of('bare route → Kafka, one')
    const bareRow = of('bare route → Kafka through')
    if (full && sendRow && bareRow) {
      console.log(`\n${profile}: full / bare (send per request) = ${(full.rps / sendRow.rps).toFixed(2)}`)
      console.log(`${profile}: full / bare (batching producer) = ${(full.rps / bareRow.rps).toFixed(2)}`)
    }
  }
} finally {
  await cleanUp()
}
