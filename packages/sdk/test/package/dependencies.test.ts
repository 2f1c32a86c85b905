import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'

const packagesDir = fileURLToPath(new URL('../../../', import.meta.url))

interface Manifest {
  name: string
  version: string
  private?: boolean
  dependencies?: Record<string, string>
}

/** Every workspace package under packages/, by name, with its folder. */
function workspacePackages(): Map<string, { dir: string; manifest: Manifest }> {
  const out = new Map<string, { dir: string; manifest: Manifest }>()
  for (const name of readdirSync(packagesDir)) {
    const dir = join(packagesDir, name)
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest
      out.set(manifest.name, { dir, manifest })
    } catch {
      // not a package folder
    }
  }
  return out
}

/** What installing `name` installs: its dependencies and theirs, through the workspace packages. */
function installs(name: string, packages = workspacePackages()): Set<string> {
  const seen = new Set<string>()
  const pending = [name]
  while (pending.length > 0) {
    const next = pending.pop() as string
    for (const dep of Object.keys(packages.get(next)?.manifest.dependencies ?? {})) {
      if (seen.has(dep)) continue
      seen.add(dep)
      pending.push(dep)
    }
  }
  return seen
}

/** Bare module specifiers imported by the .ts files under `dir`. */
function importsUnder(dir: string): Set<string> {
  const out = new Set<string>()
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue
    const text = readFileSync(join(entry.parentPath, entry.name), 'utf8')
    for (const match of text.matchAll(/\bfrom\s+'([^'.][^']*)'/g)) out.add(match[1] as string)
  }
  return out
}

describe('@integration-ledger/sdk dependencies', () => {
  it('a consumer that only publishes and subscribes installs no PostgreSQL client', () => {
    const packages = workspacePackages()
    const closure = installs('@integration-ledger/sdk', packages)
    assert.ok(!closure.has('pg'), `@integration-ledger/sdk installs pg through: ${[...closure].join(', ')}`)
    assert.ok(!closure.has('@integration-ledger/postgres'))
    const sdkDir = packages.get('@integration-ledger/sdk')?.dir as string
    const imported = importsUnder(join(sdkDir, 'src'))
    assert.ok(
      !imported.has('pg') && !imported.has('@integration-ledger/postgres'),
      'no import of pg in the SDK sources',
    )
  })

  it('installs only published packages, each at exactly the version released with it', () => {
    const packages = workspacePackages()
    const sdk = packages.get('@integration-ledger/sdk')?.manifest as Manifest
    assert.notEqual(sdk.private, true)
    for (const name of [...installs('@integration-ledger/sdk', packages), '@integration-ledger/sdk']) {
      const manifest = packages.get(name)?.manifest
      if (!manifest) continue // a third-party package
      assert.notEqual(
        manifest.private,
        true,
        `${name} is private, so @integration-ledger/sdk could not be installed`,
      )
      assert.equal(manifest.version, sdk.version, `${name} is released in step with @integration-ledger/sdk`)
      for (const [dep, range] of Object.entries(manifest.dependencies ?? {})) {
        if (packages.has(dep)) assert.equal(range, sdk.version, `${name} depends on ${dep}@${range}`)
      }
    }
  })

  it('the DLQ operations, which need PostgreSQL, are their own package', () => {
    const closure = installs('@integration-ledger/dlq')
    assert.ok(closure.has('pg') && closure.has('@integration-ledger/sdk'))
  })
})
