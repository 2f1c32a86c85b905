import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { CleanupHost } from '@integration-ledger/testing'

export const run = promisify(execFile)
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

/** A folder outside the workspace (no node_modules above it to resolve from), removed at the end. */
export async function outsideFolder(t: CleanupHost, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `${prefix}-`))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/**
 * Packs the public packages with the same script as `npm run examples:pack` into `dir`;
 * name → tarball path. Incremental build: other test processes may be running the workspace's dist/.
 */
export async function packPackages(dir: string): Promise<Map<string, string>> {
  const { stdout } = await run(
    process.execPath,
    [
      '--conditions=@integration-ledger/source',
      '--import',
      'tsx',
      'infra/pack.ts',
      '--no-clean',
      '--out',
      dir,
    ],
    {
      cwd: repoRoot,
      timeout: 180_000,
    },
  )
  return new Map(
    stdout
      .trim()
      .split('\n')
      .map((line) => line.split(' ') as [string, string]),
  )
}

/**
 * The environment without what `npm test` / `npm run` exported (`npm_config_local_prefix` and the
 * like): with it, npm in another folder would act on this workspace.
 */
export function outsideEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        !entry[0].toLowerCase().startsWith('npm_') && entry[1] !== undefined,
    ),
  )
  return { ...env, ...extra }
}

/**
 * `npm install` in a project of its own, from npm's cache where it can (the registry is asked only
 * for what the cache lacks).
 */
export async function npmInstall(dir: string): Promise<void> {
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock'], {
    cwd: dir,
    timeout: 180_000,
    env: outsideEnv(),
  })
}

/** The range the workspace itself uses for a third-party package, so fresh projects stay in step. */
export function workspaceRange(name: string): string {
  const root = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>
    devDependencies: Record<string, string>
  }
  const range = root.dependencies[name] ?? root.devDependencies[name]
  if (!range) throw new Error(`${name} is not a dependency of the workspace root`)
  return range
}
