#!/usr/bin/env node
// CLI for the local stack; see `node infra/stack.mjs --help`.
// Progress goes to stderr; the endpoints (KEY=value lines) go to stdout.
import { ensureStack, stackStatus, stopAll } from './lib/stack.mjs'
import { isAlive, ownedPid } from './lib/process.mjs'
import { cacheDir, runDir } from './lib/paths.mjs'
import { stderrLog } from './lib/progress.mjs'

const HELP = `Usage: node infra/stack.mjs <command> [options]

Commands:
  up             start what is not running (Kafka, Apicurio Registry, PostgreSQL,
                 Prometheus), wait until ready, print the endpoints, stay in the
                 foreground; Ctrl-C stops exactly what this command started
  up --detach    same, but exit and leave the servers running (pidfiles in the run dir)
  down           stop everything the run dir has a pidfile for (SIGTERM, SIGKILL after 30 s)
  status         what answers on the default ports, and which pid this checkout owns

Options:
  --no-prometheus   do not start Prometheus
  -h, --help        this text

Environment:
  KAFKA_BROKERS, SCHEMA_REGISTRY_URL, DATABASE_URL, PROMETHEUS_URL
                    use that endpoint and start nothing for it
  KAFKA_PORT (9092; controller KAFKA_CONTROLLER_PORT, default port+1),
  SCHEMA_REGISTRY_PORT (8085), POSTGRES_PORT (5432), PROMETHEUS_PORT (9090)
  LEDGER_CACHE_DIR  downloads      (now ${cacheDir()})
  LEDGER_RUN_DIR    data, logs, pidfiles; delete it to reset (now ${runDir()})
`

function printEnv(env) {
  for (const [key, value] of Object.entries(env)) process.stdout.write(`${key}=${value}\n`)
}

async function up({ detach, prometheus }) {
  const stack = await ensureStack({ prometheus })
  printEnv(stack.env)
  if (detach) {
    stderrLog(
      stack.started.length > 0
        ? `detached; ${stack.started.join(', ')} keep running (stop with: node infra/stack.mjs down)`
        : 'detached; nothing was started',
    )
    return
  }
  stderrLog('running in the foreground; Ctrl-C stops what this command started')
  await new Promise((resolve) => {
    let stopping = false
    let watch
    const shutdown = async (why) => {
      if (stopping) return
      stopping = true
      clearInterval(watch)
      stderrLog(`${why}: stopping ${stack.started.join(', ') || 'nothing (all reused)'}`)
      await stack.stop()
      resolve()
    }
    process.on('SIGINT', () => shutdown('SIGINT'))
    process.on('SIGTERM', () => shutdown('SIGTERM'))
    // A server that dies on its own ends `up` too, so nothing runs half-up unnoticed.
    watch = setInterval(() => {
      for (const name of stack.started) {
        if (!ownedPid(name)) {
          process.exitCode = 1
          shutdown(`${name} exited unexpectedly (see ${runDir()}/logs)`)
          return
        }
      }
    }, 2000)
  })
}

async function status() {
  const rows = await stackStatus()
  for (const row of rows) {
    const owner = row.pid && isAlive(row.pid) ? `pid ${row.pid} (this checkout)` : row.up ? 'external' : '-'
    process.stdout.write(
      `${row.name.padEnd(16)} ${(row.up ? 'up' : 'down').padEnd(5)} ${row.endpoint.padEnd(42)} ${owner}\n`,
    )
  }
}

async function main(argv) {
  const args = new Set(argv.slice(1))
  const command = argv[0]
  if (
    !command ||
    args.has('-h') ||
    args.has('--help') ||
    command === '-h' ||
    command === '--help' ||
    command === 'help'
  ) {
    process.stdout.write(HELP)
    return
  }
  switch (command) {
    case 'up':
      return up({ detach: args.has('--detach') || args.has('-d'), prometheus: !args.has('--no-prometheus') })
    case 'down': {
      const stopped = await stopAll()
      stderrLog(stopped.length > 0 ? `stopped ${stopped.join(', ')}` : 'nothing to stop')
      return
    }
    case 'status':
      return status()
    default:
      process.stderr.write(`unknown command: ${command}\n\n${HELP}`)
      process.exitCode = 2
  }
}

main(process.argv.slice(2)).catch((err) => {
  stderrLog(`failed: ${err.message}`)
  process.exitCode = 1
})
