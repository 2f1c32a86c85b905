// `npm run examples:pack`: builds the publishable packages from clean and packs each into a
// tarball, as `npm publish` would upload it. The examples (examples/*) and the packaging test
// install these tarballs, never the workspace links, so they see exactly what a user would.
//
//   npm run examples:pack                       tarballs into examples/tarballs/
//   npm run examples:pack -- --out <dir>        tarballs into <dir>
//   npm run examples:pack -- --no-clean      build incrementally (tests: other processes may be running
//                                       the workspace's dist/ meanwhile)
//
// Each tarball is named without its version (`<scope>-<name>.tgz`), so an example's
// `file:../tarballs/…` dependency stays valid from one release to the next. Prints one line per
// tarball on stdout: `<package name> <absolute path>`.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, renameSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { repoRoot, stderrLog as log } from '@integration-ledger/local-stack'

const outFlag = process.argv.indexOf('--out')
const clean = !process.argv.includes('--no-clean')
const outDir = resolve(
  (outFlag >= 0 ? process.argv[outFlag + 1] : undefined) ?? join(repoRoot, 'examples', 'tarballs'),
)

/** Workspaces that are published: every package.json under the workspace folders without `private`. */
interface Manifest {
  name: string
  private?: boolean
  workspaces?: string[]
}

function publicWorkspaces(): { dir: string; name: string }[] {
  const root = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as Manifest
  const out: { dir: string; name: string }[] = []
  for (const pattern of root.workspaces ?? []) {
    // The workspace globs are all `<folder>/*`.
    const parent = join(repoRoot, pattern.replace(/\/\*$/, ''))
    for (const name of readdirSync(parent)) {
      let manifest: Manifest
      try {
        manifest = JSON.parse(readFileSync(join(parent, name, 'package.json'), 'utf8')) as Manifest
      } catch {
        continue
      }
      if (manifest.private !== true) out.push({ dir: join(parent, name), name: manifest.name })
    }
  }
  return out
}

const run = (args: string[]) =>
  execFileSync('npx', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })

const packages = publicWorkspaces()
const t0 = Date.now()
// From clean: dist/ keeps the output of deleted or renamed sources, which must not ship.
if (clean) run(['tsc', '--build', '--clean', ...packages.map((p) => p.dir)])
run(['tsc', '--build'])
log(`built in ${((Date.now() - t0) / 1000).toFixed(1)} s`)

mkdirSync(outDir, { recursive: true })
const packed = JSON.parse(
  execFileSync(
    'npm',
    ['pack', '--json', '--pack-destination', outDir, ...packages.flatMap((p) => ['--workspace', p.name])],
    { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  ),
) as { name: string; filename: string }[]
for (const { name, filename } of packed) {
  const stable = join(outDir, `${name.replace(/^@/, '').replace('/', '-')}.tgz`)
  renameSync(join(outDir, filename), stable)
  process.stdout.write(`${name} ${stable}\n`)
}
log(`packed ${packed.length} packages into ${outDir}`)
