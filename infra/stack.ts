// CLI for the local stack (`npm run stack -- <command>`); see `npm run stack -- --help`.
// Progress goes to stderr; the endpoints (KEY=value lines) go to stdout.
import {
  type StackEnv,
  cacheDir,
  ensureStack,
  isAlive,
  kafkaVersion,
  ownedPid,
  runDir,
  stackEnvVars,
  stackStatus,
  stderrLog,
  stopAll,
} from '@integration-ledger/local-stack'

const HELP = `Usage: npm run stack -- <command> [options]

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
  LEDGER_KAFKA_NODES   1 (default) or 3: a KRaft cluster on loopback, node i on KAFKA_PORT+2i
                       (controller +1), topics with 3 replicas and min.insync.replicas 2
  LEDGER_KAFKA_VERSION Kafka 4.x release to fetch and run (default and now ${kafkaVersion()})
  KAFKA_PORT (9092; single node's controller KAFKA_CONTROLLER_PORT, default port+1),
  SCHEMA_REGISTRY_PORT (8085), POSTGRES_PORT (5432), PROMETHEUS_PORT (9090)
  LEDGER_CACHE_DIR  downloads      (now ${cacheDir()})
  LEDGER_RUN_DIR    data, logs, pidfiles; delete it to reset (now ${runDir()})
`

function printEnv(env: StackEnv): void {
  for (const [key, value] of Object.entries(stackEnvVars(env))) process.stdout.write(`${key}=${value}\n`)
}

async function up({ detach, prometheus }: { detach: boolean; prometheus: boolean }): Promise<void> {
  const stack = await ensureStack({ prometheus })
  printEnv(stack.env)
  if (detach) {
    stderrLog(
      stack.started.length > 0
        ? `detached; ${stack.started.join(', ')} keep running (stop with: npm run stack -- down)`
        : 'detached; nothing was started',
    )
    return
  }
  stderrLog('running in the foreground; Ctrl-C stops what this command started')
  await new Promise<void>((resolve) => {
    let stopping = false
    const shutdown = async (why: string) => {
      if (stopping) return
      stopping = true
      clearInterval(watch)
      stderrLog(`${why}: stopping ${stack.started.join(', ') || 'nothing (all reused)'}`)
      await stack.stop()
      resolve()
    }
    process.on('SIGINT', () => void shutdown('SIGINT'))
    process.on('SIGTERM', () => void shutdown('SIGTERM'))
    // A server that dies on its own ends `up` too, so nothing runs half-up unnoticed.
    const watch = setInterval(() => {
      for (const name of stack.started) {
        if (!ownedPid(name)) {
          process.exitCode = 1
          void shutdown(`${name} exited unexpectedly (see ${runDir()}/logs)`)
          return
        }
      }
    }, 2000)
  })
}

async function status(): Promise<void> {
  const rows = await stackStatus()
  for (const row of rows) {
    const owner = row.pid && isAlive(row.pid) ? `pid ${row.pid} (this checkout)` : row.up ? 'external' : '-'
    process.stdout.write(
      `${row.name.padEnd(16)} ${(row.up ? 'up' : 'down').padEnd(5)} ${row.endpoint.padEnd(42)} ${owner}\n`,
    )
  }
}

async function main(argv: string[]): Promise<void> {
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

main(process.argv.slice(2)).catch((err: Error) => {
  stderrLog(`failed: ${err.message}`)
  process.exitCode = 1
})
