import assert from 'node:assert/strict'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { repoRoot } from './support.js'

interface Manifest {
  name: string
  private?: boolean
  license?: string
  engines?: { node?: string }
  publishConfig?: { access?: string }
  files?: string[]
}

/** Every workspace (packages/*, services/*) with its folder. */
function workspaces(): { dir: string; manifest: Manifest }[] {
  return ['packages', 'services'].flatMap((parent) =>
    readdirSync(join(repoRoot, parent))
      .map((name) => join(repoRoot, parent, name))
      .filter((dir) => existsSync(join(dir, 'package.json')))
      .map((dir) => ({
        dir,
        manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest,
      })),
  )
}

describe('release configuration', () => {
  it('changesets releases exactly the public packages, in one fixed group', () => {
    const config = JSON.parse(readFileSync(join(repoRoot, '.changeset/config.json'), 'utf8')) as {
      fixed: string[][]
      privatePackages: { version: boolean }
      access: string
    }
    const published = workspaces()
      .filter((w) => w.manifest.private !== true)
      .map((w) => w.manifest.name)
      .sort()
    assert.deepEqual(
      config.fixed.map((group) => [...group].sort()),
      [published],
    )
    assert.equal(config.privatePackages.version, false)
    assert.equal(config.access, 'public')
    for (const service of workspaces().filter((w) => w.dir.includes('/services/'))) {
      assert.equal(service.manifest.private, true, `${service.manifest.name} is a service: never published`)
    }
  })

  it('every public package says its license, engines and access, and ships README, LICENSE, CHANGELOG', () => {
    const rootLicense = readFileSync(join(repoRoot, 'LICENSE'), 'utf8')
    for (const { dir, manifest } of workspaces().filter((w) => w.manifest.private !== true)) {
      assert.equal(manifest.license, 'Apache-2.0', manifest.name)
      assert.equal(manifest.engines?.node, '^20.18.1 || ^22.11.0 || ^24.0.0', manifest.name)
      assert.equal(manifest.publishConfig?.access, 'public', manifest.name)
      assert.ok(manifest.files?.includes('dist') && manifest.files.includes('CHANGELOG.md'), manifest.name)
      assert.equal(
        readFileSync(join(dir, 'LICENSE'), 'utf8'),
        rootLicense,
        `${manifest.name}: the root's LICENSE`,
      )
      assert.ok(existsSync(join(dir, 'README.md')) && existsSync(join(dir, 'CHANGELOG.md')), manifest.name)
    }
  })
})
