// Where the local stack keeps downloads (cache, shared by every checkout) and live state (run dir:
// configs, data, logs, pidfiles; per checkout, safe to delete). Functions rather than constants so
// a test can change the env between calls.
import { mkdtempSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Root of the repository: this file is packages/local-stack/{src,dist}/paths.*. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

/** infra/ of this checkout: the poms, the Prometheus template and rules, the run dir. */
export const infraDir = join(repoRoot, 'infra')

/**
 * Download cache: Kafka jars and the Apicurio app, reused across checkouts.
 * @default `$LEDGER_CACHE_DIR` or `~/.cache/integration-ledger`
 */
export function cacheDir(): string {
  return process.env.LEDGER_CACHE_DIR || join(homedir(), '.cache', 'integration-ledger')
}

/**
 * Live state of the servers started from this checkout; delete it to reset.
 * @default `$LEDGER_RUN_DIR` or `<repo>/infra/.run`
 */
export function runDir(): string {
  return process.env.LEDGER_RUN_DIR || join(infraDir, '.run')
}

/**
 * Instance directory of a throwaway server (a fault test's): fresh, under the system's temp dir,
 * deleted by the server's kill().
 */
export function throwawayDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `${name}-`))
}

/** Log file of a component in the run dir. */
export function logFile(name: string): string {
  return join(runDir(), 'logs', `${name}.log`)
}
