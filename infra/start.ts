// `npm start`: the whole stack in the foreground. Builds, starts the infrastructure that is not
// already running (ensureStack of @integration-ledger/local-stack), then runs the services (ingest :8080,
// admin :8081, projector :8082, reconciler :8083) with readable log lines, restarting a service
// that dies (infra/lib/supervisor.ts). Ctrl-C or SIGTERM stops the services, then exactly the
// infrastructure this command started; so does a service that keeps dying (exit code 1).
import { spawnSync } from 'node:child_process'
import { ensureStack, stderrLog as log, repoRoot, stackEnvVars } from '@integration-ledger/local-stack'
import { RESTART_DEFAULTS, Supervisor } from './lib/supervisor.js'

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(`Usage: npm start

Brings up Kafka, the schema registry, PostgreSQL and Prometheus (reusing any already running),
then runs ingest (:8080), admin (:8081), projector (:8082) and reconciler (:8083) in the
foreground. Ctrl-C (or SIGTERM) stops the services and the infrastructure this command started.

A service that dies (crash, SIGKILL, out of memory) is restarted after a backoff (1 s doubling
to 30 s, with jitter); to restart one service, kill it (kill <pid>, pids are logged) and the
launcher starts it again. A service that dies more than LEDGER_START_MAX_RESTARTS times within
10 minutes makes the launcher stop everything it started and exit with code 1.

Environment (all optional):
  LEDGER_SOURCES        sources file (default infra/sources.dev.yaml, development secrets)
  LEDGER_ADMIN_TOKEN    admin API bearer token (default: a development token, printed)
  LEDGER_MASTER_KEYS    keys encrypting source secrets at rest, id:base64 (default: a development key)
  INGEST_EVENT_TOKENS   who may POST /events, client=token (default: a development client "orders",
                        writing source "orders"; INGEST_EVENT_GRANTS grants others)
  KAFKA_BROKERS, SCHEMA_REGISTRY_URL, DATABASE_URL, PROMETHEUS_URL   use existing servers
  LEDGER_KAFKA_NODES    1 (default) or 3: a three-node KRaft cluster on loopback, topics with
                        3 replicas and min.insync.replicas 2 (npm run stack -- --help)
  RECONCILER_TOKENS     reconciler API tokens, name=token (default: development tokens "operator", and
                        "admin", which the admin's health page uses as LEDGER_RECONCILER_TOKEN)
  LEDGER_RECONCILER_TOKEN  the admin's token for the reconciler API (health page review items)
  INGEST_RECOVERY_TOKENS, RECONCILER_INGEST_TOKEN   the token the reconciler's catch-up hands
                        recovered events to ingest with (default: a development token)
  RECONCILER_SOURCES, STRIPE_API_KEY   what the reconciler reads (default: source billing, no key, so
                        it idles; see README "Reconciler")
  INGEST_PORT (8080), ADMIN_PORT (8081), PROJECTOR_PORT (8082), RECONCILER_PORT (8083), LOG_LEVEL (info)
  LEDGER_START_MAX_RESTARTS   restarts of one service within 10 minutes (default ${RESTART_DEFAULTS.maxRestarts})
`)
  process.exit(0)
}

/** Development-only defaults: public values, printed, never for production. */
const DEV_DEFAULTS: Record<string, string> = {
  LEDGER_SOURCES: 'infra/sources.dev.yaml',
  LEDGER_ADMIN_TOKEN: 'dev-admin-token-not-for-production',
  // `id:base64 of 32 bytes`; public, so only for local development.
  LEDGER_MASTER_KEYS: 'dev:ZGV2LW1hc3Rlci1rZXktMzItYnl0ZXMtbm90LXByb2Q=',
  INGEST_EVENT_TOKENS: 'orders=dev-events-token-not-for-production',
  // `admin`: what the admin's health page reads and resolves review items with.
  RECONCILER_TOKENS:
    'operator=dev-reconciler-token-not-for-production,admin=dev-admin-reconciler-token-not-for-production',
  // The reconciler's catch-up hands recovered provider events to ingest with this token.
  INGEST_RECOVERY_TOKENS: 'reconciler=dev-recovery-token-not-for-production',
  RECONCILER_INGEST_TOKEN: 'dev-recovery-token-not-for-production',
}

function runStep(title: string, command: string, args: string[]): void {
  const t0 = Date.now()
  log(`${title}…`)
  const result = spawnSync(command, args, { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] })
  if (result.status !== 0) {
    log(`${title} failed (exit ${result.status}); fix the error above and run npm start again`)
    process.exit(result.status ?? 1)
  }
  log(`${title}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
}

/** Turns a pino JSON line into `HH:MM:SS level message key=value…`; passes anything else through. */
function formatLogLine(line: string): string {
  let entry: Record<string, unknown>
  try {
    entry = JSON.parse(line) as Record<string, unknown>
  } catch {
    return line
  }
  const levels: Record<string, string> = {
    10: 'trace',
    20: 'debug',
    30: 'info',
    40: 'WARN',
    50: 'ERROR',
    60: 'FATAL',
  }
  const { time, level, msg, ...rest } = entry
  // Every line of one service carries these; the prefix already names the service.
  for (const key of ['pid', 'hostname', 'service']) delete rest[key]
  const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v))
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${text(v)}`)
    .join(' ')
  const clock = new Date(typeof time === 'number' ? time : Date.now()).toISOString().slice(11, 19)
  return `${clock} ${(levels[text(level)] ?? text(level)).padEnd(5)} ${msg === undefined ? '' : text(msg)} ${fields}`.trimEnd()
}

const SERVICES = [
  { name: 'projector', port: Number(process.env.PROJECTOR_PORT ?? 8082) },
  { name: 'admin', port: Number(process.env.ADMIN_PORT ?? 8081) },
  { name: 'ingest', port: Number(process.env.INGEST_PORT ?? 8080) },
  { name: 'reconciler', port: Number(process.env.RECONCILER_PORT ?? 8083) },
] as const

const maxRestarts = Number(process.env.LEDGER_START_MAX_RESTARTS ?? RESTART_DEFAULTS.maxRestarts)
if (!Number.isInteger(maxRestarts) || maxRestarts < 0) {
  log(
    `LEDGER_START_MAX_RESTARTS must be a whole number ≥ 0, got "${process.env.LEDGER_START_MAX_RESTARTS ?? ''}"`,
  )
  process.exit(2)
}

runStep('building (tsc --build)', 'npm', ['run', '--silent', 'build'])

// Ctrl-C while the infrastructure comes up must not leave what was already started running:
// note it, let ensureStack finish (it stops what it started if it fails), then stop all of it.
let interrupted = false
const interruptStart = () => {
  interrupted = true
  log('stopping once the infrastructure being started has come up…')
}
// SIGHUP: the terminal closed.
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP']
for (const signal of STOP_SIGNALS) process.on(signal, interruptStart)
const stack = await ensureStack({ prometheus: true, log })
for (const signal of STOP_SIGNALS) process.off(signal, interruptStart)
const env: NodeJS.ProcessEnv = {
  ...process.env,
  ...stackEnvVars(stack.env),
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
}
for (const [key, value] of Object.entries(DEV_DEFAULTS)) {
  if (!env[key]) {
    env[key] = value
    log(
      `${key} not set: using the development default (${key === 'LEDGER_SOURCES' ? value : 'see infra/start.ts'})`,
    )
  }
}

// The admin's health page reads Prometheus and the reconciler's API (services/admin/src/config.ts).
if (env.PROMETHEUS_URL && !env.LEDGER_PROMETHEUS_URL) env.LEDGER_PROMETHEUS_URL = env.PROMETHEUS_URL
env.LEDGER_RECONCILER_URL ||= `http://127.0.0.1:${SERVICES[3].port}`
if (!env.LEDGER_RECONCILER_TOKEN && env.RECONCILER_TOKENS === DEV_DEFAULTS.RECONCILER_TOKENS)
  env.LEDGER_RECONCILER_TOKEN = 'dev-admin-reconciler-token-not-for-production'

const supervisor = new Supervisor({
  services: SERVICES.map((s) => ({ ...s, args: [`services/${s.name}/dist/server.js`] })),
  env,
  cwd: repoRoot,
  log,
  onLine: (name, line) => process.stdout.write(`[${name.padEnd(9)}] ${formatLogLine(line)}\n`),
  onGiveUp: (reason) => {
    log(reason)
    void stopEverything(1)
  },
  restart: { maxRestarts },
})

let stopping: Promise<never> | undefined
/** Stops the services, then the infrastructure this launcher started, and exits with `code`. */
function stopEverything(code: number): Promise<never> {
  stopping ??= (async () => {
    log('stopping services…')
    await supervisor.stop()
    log(
      stack.started.length > 0
        ? `stopping ${stack.started.join(', ')}…`
        : 'infrastructure was reused; leaving it running',
    )
    await stack.stop()
    log('stopped')
    process.exit(code)
  })()
  return stopping
}
for (const signal of STOP_SIGNALS) process.on(signal, () => void stopEverything(0))
// A bug in the launcher itself must not orphan the stack either.
process.on('uncaughtException', (err) => {
  log(`launcher failed: ${err.stack ?? String(err)}`)
  void stopEverything(1)
})
if (interrupted) await stopEverything(0)

try {
  await supervisor.start()
} catch (err) {
  // When a stop is already under way (Ctrl-C while starting), this waits for it and its exit code.
  if (!stopping) log((err as Error).message)
  await stopEverything(1)
}

log(`ready:
  ingest     http://127.0.0.1:${SERVICES[2].port}  POST /webhooks/<source>
  health     http://127.0.0.1:${SERVICES[1].port}/health  (the integration health page; sign in with the admin token)
  admin      http://127.0.0.1:${SERVICES[1].port}  Authorization: Bearer ${env.LEDGER_ADMIN_TOKEN === DEV_DEFAULTS.LEDGER_ADMIN_TOKEN ? env.LEDGER_ADMIN_TOKEN : '<LEDGER_ADMIN_TOKEN>'}
  projector  http://127.0.0.1:${SERVICES[0].port}/metrics
  reconciler http://127.0.0.1:${SERVICES[3].port}  Authorization: Bearer ${env.RECONCILER_TOKENS === DEV_DEFAULTS.RECONCILER_TOKENS ? 'dev-reconciler-token-not-for-production' : '<RECONCILER_TOKENS>'}  (npm run reconcile -- --help)
  registry   ${env.SCHEMA_REGISTRY_URL}
  ${env.PROMETHEUS_URL ? `prometheus ${env.PROMETHEUS_URL}` : 'prometheus (not installed: apt-get install prometheus)'}
  try it:    npm run demo     (signs a webhook, sends it, shows the projection)
  a service that dies is restarted (kill <pid> restarts one); Ctrl-C stops everything.`)
