// Downloads the Java servers once, with mvn from the poms in infra/, into the
// cache dir. A `.complete` marker holding the pom's hash makes the second run
// skip mvn entirely; editing a pom or changing a version fetches again.
import { createHash } from 'node:crypto'
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { InfraError } from './errors.js'
import { cacheDir, infraDir } from './paths.js'
import { type Log, since, stderrLog } from './progress.js'
import { tailFile, which } from './process.js'

/**
 * The Kafka broker version, the one place it is set (the pom takes it as `-Dkafka.version`).
 * Only 4.x: the broker config, the storage format flags and the log4j 2 setup are 4.x's.
 * @default `$LEDGER_KAFKA_VERSION` or '4.4.0'
 */
export function kafkaVersion(): string {
  const version = process.env.LEDGER_KAFKA_VERSION || '4.4.0'
  if (!/^4\.\d+\.\d+$/.test(version)) {
    throw new InfraError(
      'CONFIG_INVALID',
      `LEDGER_KAFKA_VERSION must be a Kafka 4.x release such as 4.4.0 (got "${version}"); unset it for the default`,
    )
  }
  return version
}
export const APICURIO_VERSION = '3.0.9'
/**
 * The Debezium JDBC sink connector that `npm run bench:connect` runs beside the projector (the
 * release issue 12 names; Maven Central serves its `plugin` tar.gz).
 */
export const DEBEZIUM_JDBC_VERSION = '3.6.0.Final'

const FETCH_TIMEOUT_MS = 15 * 60_000

function pomHash(pom: string): string {
  return createHash('sha256').update(readFileSync(pom)).digest('hex')
}

function runMvn(args: string[], logPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const fd = openSync(logPath, 'w')
    const child = spawn('mvn', ['-B', '-ntp', ...args], { stdio: ['ignore', fd, fd] })
    closeSync(fd)
    child.on('error', reject)
    child.on('exit', (code) => resolve(code ?? 1))
  })
}

/**
 * Takes a lock directory so two processes (two test runs) do not fetch into
 * the same place at once; a lock older than the fetch timeout is stale.
 */
async function withLock<T>(lockDir: string, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      mkdirSync(lockDir)
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      let age = 0
      try {
        age = Date.now() - statSync(lockDir).mtimeMs
      } catch {
        continue
      }
      if (age > FETCH_TIMEOUT_MS) rmSync(lockDir, { recursive: true, force: true })
      else await sleep(500)
    }
  }
  try {
    return await fn()
  } finally {
    rmSync(lockDir, { recursive: true, force: true })
  }
}

/**
 * Runs `mvn -f <pom> <goal> -Doutput.dir=<outDir>` unless outDir already holds
 * a complete fetch of this pom.
 * @returns outDir
 */
async function fetchOnce({
  name,
  pom,
  goal,
  outDir,
  log,
  properties = {},
}: {
  name: string
  pom: string
  goal: string
  outDir: string
  log: Log
  /** `-D` settings for the pom; part of the completeness check. */
  properties?: Record<string, string>
}): Promise<string> {
  const defines = Object.entries(properties).map(([key, value]) => `-D${key}=${value}`)
  const hash = createHash('sha256').update(pomHash(pom)).update(defines.join('\n')).digest('hex')
  const marker = join(outDir, '.complete')
  const isComplete = () => existsSync(marker) && readFileSync(marker, 'utf8').trim() === hash
  if (isComplete()) return outDir

  mkdirSync(cacheDir(), { recursive: true })
  return withLock(`${outDir}.lock`, async () => {
    if (isComplete()) return outDir // another process fetched while we waited
    if (!(await which('mvn'))) {
      throw new InfraError(
        'MISSING_TOOL',
        `${name}: mvn is not on PATH; it is needed once to fetch ${name} (apt-get install maven)`,
      )
    }
    const logPath = join(cacheDir(), `fetch-${name}.log`)
    const started = Date.now()
    log(`${name}: first run, fetching with mvn into ${outDir} (log: ${logPath})`)
    rmSync(outDir, { recursive: true, force: true }) // drop a half-done fetch
    const code = await runMvn(['-f', pom, goal, ...defines, `-Doutput.dir=${outDir}`], logPath)
    if (code !== 0) {
      throw new InfraError(
        'FETCH_FAILED',
        `${name}: mvn exited with ${code} while fetching; see ${logPath}\n${tailFile(logPath, 15)}`,
        { logFile: logPath },
      )
    }
    writeFileSync(marker, `${hash}\n`)
    log(`${name}: fetched in ${since(started)}`)
    return outDir
  })
}

/**
 * Kafka broker jars (kafka_2.13 and its runtime deps, plus the log4j 2 binding).
 * @returns directory of jars, for `java -cp '<dir>/*'`
 */
export function ensureKafkaJars({ log = stderrLog }: { log?: Log } = {}): Promise<string> {
  const version = kafkaVersion()
  return fetchOnce({
    name: 'kafka',
    pom: join(infraDir, 'kafka', 'pom.xml'),
    goal: 'dependency:copy-dependencies',
    outDir: join(cacheDir(), `kafka-${version}`),
    log,
    properties: { 'kafka.version': version },
  })
}

/**
 * Apicurio Registry app, unpacked.
 * @returns path of the runnable jar
 */
export async function ensureApicurio({ log = stderrLog }: { log?: Log } = {}): Promise<string> {
  const dir = await fetchOnce({
    name: 'apicurio',
    pom: join(infraDir, 'apicurio', 'pom.xml'),
    goal: 'dependency:unpack',
    outDir: join(cacheDir(), `apicurio-registry-${APICURIO_VERSION}`),
    log,
  })
  // The zip holds a Quarkus "legacy-jar" (<name>-runner.jar + lib/), not the
  // fast-jar quarkus-run.jar layout; accept either so a re-packaged zip works.
  const runner =
    readdirSync(dir).find((f) => f.endsWith('-runner.jar')) ??
    (existsSync(join(dir, 'quarkus-app', 'quarkus-run.jar'))
      ? join('quarkus-app', 'quarkus-run.jar')
      : undefined)
  if (!runner) {
    throw new InfraError(
      'FETCH_FAILED',
      `apicurio: no *-runner.jar or quarkus-app/quarkus-run.jar in ${dir}; delete that directory to fetch again`,
    )
  }
  return join(dir, runner)
}

/**
 * A Kafka Connect worker's classpath: connect-runtime of the broker's Kafka version and its
 * runtime deps, plus the log4j 2 binding (infra/connect/pom.xml).
 * @returns directory of jars, for `java -cp '<dir>/*'`
 */
export function ensureConnectJars({ log = stderrLog }: { log?: Log } = {}): Promise<string> {
  const version = kafkaVersion()
  return fetchOnce({
    name: 'connect',
    pom: join(infraDir, 'connect', 'pom.xml'),
    goal: 'dependency:copy-dependencies',
    outDir: join(cacheDir(), `connect-${version}`),
    log,
    properties: { 'kafka.version': version, 'debezium.version': DEBEZIUM_JDBC_VERSION },
  })
}

/**
 * The Debezium JDBC sink connector's plugin tar.gz, unpacked (infra/connect/pom.xml).
 * @returns a directory for the worker's `plugin.path` (it holds `debezium-connector-jdbc/`)
 */
export function ensureDebeziumJdbcPlugin({ log = stderrLog }: { log?: Log } = {}): Promise<string> {
  return fetchOnce({
    name: 'debezium-jdbc',
    pom: join(infraDir, 'connect', 'pom.xml'),
    goal: 'dependency:unpack@jdbc-sink',
    outDir: join(cacheDir(), `debezium-connector-jdbc-${DEBEZIUM_JDBC_VERSION}`),
    log,
    // The pom declares connect-runtime too, so Maven needs its version even for this goal.
    properties: { 'kafka.version': kafkaVersion(), 'debezium.version': DEBEZIUM_JDBC_VERSION },
  })
}
