import assert from 'node:assert/strict'
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { cleanupScope, stackEnv, uniqueName } from '@integration-ledger/testing'
import { ensureTestTopics } from '../e2e/projector-support.js'
import {
  npmInstall,
  outsideEnv,
  outsideFolder,
  packPackages,
  repoRoot,
  run,
  workspaceRange,
} from './support.js'

interface FixtureReport {
  refused: string
  paid: { invoiceId: string; amountCents: number; batchOffsets: string[] }[]
  dlq: { errorClass?: string; failureKind?: string; message?: string; originalOffset?: string }[]
}

describe('the published packages, installed from their tarballs into a project of its own', () => {
  it('type-check against their declarations, run on plain node, publish and consume typed events', async (test) => {
    const t = cleanupScope(test)
    const stack = stackEnv()
    const root = await outsideFolder(t, 'ledger-packaging')
    const tarballs = await packPackages(join(root, 'tarballs'))
    assert.deepEqual(
      [...tarballs.keys()].sort(),
      [
        '@integration-ledger/core',
        '@integration-ledger/kafka',
        '@integration-ledger/registry',
        '@integration-ledger/sdk',
      ],
      'the SDK and what it needs at run time, nothing private',
    )

    // What a tarball holds: built JavaScript and declarations, never sources, tests or maps.
    for (const [name, tarball] of tarballs) {
      const { stdout } = await run('tar', ['-tzf', tarball])
      const files = stdout.trim().split('\n')
      for (const file of files) {
        assert.match(
          file,
          /^package\/(dist\/.+\.(js|d\.ts)|schemas\/.+\.avsc|package\.json|README\.md|LICENSE|CHANGELOG\.md)$/,
          `${name}: ${file}`,
        )
      }
      assert.ok(files.includes('package/dist/index.d.ts') && files.includes('package/LICENSE'), name)
    }

    const project = join(root, 'project')
    await mkdir(join(project, 'src'), { recursive: true })
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({
        name: 'outside-consumer',
        private: true,
        type: 'module',
        dependencies: {
          ...Object.fromEntries([...tarballs].map(([name, tarball]) => [name, `file:${tarball}`])),
          zod: workspaceRange('zod'),
        },
        devDependencies: {
          typescript: workspaceRange('typescript'),
          '@types/node': workspaceRange('@types/node'),
        },
      }),
    )
    // The Node example's compiler settings: strict, NodeNext, declarations of dependencies checked too.
    await copyFile(join(repoRoot, 'examples/node/tsconfig.json'), join(project, 'tsconfig.json'))
    await copyFile(
      join(repoRoot, 'test/packaging/fixture/publish-and-consume.ts'),
      join(project, 'src/publish-and-consume.ts'),
    )
    await npmInstall(project)
    const installed = JSON.parse(
      await readFile(join(project, 'node_modules/@integration-ledger/sdk/package.json'), 'utf8'),
    ) as { dependencies: Record<string, string> }
    assert.equal(installed.dependencies['@integration-ledger/core'], '0.1.0', 'exact internal versions')

    // tsc from the project's own typescript, against the installed declarations (a mistyped
    // payload there is an expected error, so declarations that typed it `any` would fail the build).
    await run(process.execPath, [join(project, 'node_modules/typescript/bin/tsc'), '-p', project], {
      cwd: project,
    }).catch((err: { stdout?: string }) => assert.fail(`tsc failed:\n${err.stdout}`))

    const topic = uniqueName('packaging.events').replaceAll('_', '.')
    const group = uniqueName('packaging.group')
    await ensureTestTopics(t, stack, topic, group)
    // Plain node, no tsx and no `source` condition: the built JavaScript as published.
    const { stdout } = await run(process.execPath, ['dist/publish-and-consume.js'], {
      cwd: project,
      timeout: 90_000,
      env: outsideEnv({
        KAFKA_BROKERS: stack.kafkaBrokers.join(','),
        SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
        FIXTURE_TOPIC: topic,
        FIXTURE_GROUP: group,
      }),
    })
    const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as FixtureReport

    assert.equal(
      report.refused,
      'VALIDATION_FAILED',
      'the typed producer refuses a payload failing its schema',
    )
    assert.deepEqual(
      report.paid.map((p) => [p.invoiceId, p.amountCents]),
      [
        ['in-1', 100],
        ['in-3', 300],
      ],
    )
    // The record after the invalid one was handled in the batch that held the invalid one.
    assert.ok(report.paid[1]!.batchOffsets.includes('1'), JSON.stringify(report.paid))
    assert.equal(report.dlq.length, 1)
    const [dead] = report.dlq
    assert.equal(dead!.errorClass, 'VALIDATION_FAILED')
    assert.equal(dead!.failureKind, 'permanent')
    assert.equal(dead!.originalOffset, '1')
    assert.match(dead!.message ?? '', /invoice\.paid payload fails its schema: amountCents: Too small/)
  })
})
