import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cleanupScope, createTestPool, serviceEnv, stackEnv } from '@integration-ledger/testing'
import { runReconcileCli } from '../../src/cli/reconcile.js'

function io() {
  const out: string[] = []
  const err: string[] = []
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: {} } }
}

describe('npm run reconcile', () => {
  it('prints its help', async () => {
    const { out, io: cli } = io()
    assert.equal(await runReconcileCli(['--help'], cli), 0)
    assert.match(out.join('\n'), /--source <name>/)
    assert.match(out.join('\n'), /review resolve <id> --action accept-remote\|keep-local\|ignore/)
    assert.match(out.join('\n'), /github +issues of one repository \(--type issue\)/)
    assert.match(out.join('\n'), /"kind":"github".*"hookId"/)
  })

  it('refuses bad usage with exit code 2 before connecting to anything', async () => {
    for (const args of [
      [],
      ['--source', 'billing'],
      ['review'],
      ['review', 'resolve', '3'],
      ['review', 'resolve', 'x', '--action', 'ignore'],
      ['--source', 'b', '--type', 'c', '--since', 'yesterday'],
      ['--bogus'],
    ]) {
      const { err, io: cli } = io()
      assert.equal(await runReconcileCli(args, cli), 2, args.join(' '))
      assert.match(err.join('\n'), /Usage:/)
    }
  })

  it('writes what it does to the audit log, failures included, as --actor', async (test) => {
    const t = cleanupScope(test)
    const stack = stackEnv()
    const { url, pool } = await createTestPool(t, stack.databaseUrl)
    const { err, io: cli } = io()
    const args = ['review', 'resolve', '999', '--action', 'ignore', '--actor', 'cli:dora']
    assert.equal(await runReconcileCli(args, { ...cli, env: serviceEnv(url, stack) }), 1)
    assert.match(err.join('\n'), /NOT_FOUND: Review item 999 does not exist/)
    const { rows } = await pool.query(
      `SELECT service, actor, action, target, outcome, error_code, details FROM ledger_audit_log`,
    )
    assert.deepEqual(rows, [
      {
        service: 'reconciler',
        actor: 'cli:dora',
        action: 'review.resolve',
        target: 'review:999',
        outcome: 'failed',
        error_code: 'NOT_FOUND',
        details: { action: 'ignore' },
      },
    ])
  })
})
