import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { loadAdminConfig, startAdmin } from '@integration-ledger/admin'
import { cleanupScope, createTestPool, serviceEnv, stackEnv } from '@integration-ledger/testing'
import { runAdminCli } from '../../src/cli/admin.js'

const BOOTSTRAP = 'cli-test-bootstrap-0123456789'

describe('npm run admin -- tokens', () => {
  it('creates the first token over the API with the bootstrap token, and works on the database directly', async (test) => {
    const t = cleanupScope(test)
    const stack = stackEnv()
    const { url: databaseUrl, pool } = await createTestPool(t, stack.databaseUrl)
    const env = serviceEnv(databaseUrl, stack)
    const app = await startAdmin(loadAdminConfig({ ...env, LEDGER_ADMIN_TOKEN: BOOTSTRAP }))
    t.after(() => app.close())
    const url = await app.listen({ host: '127.0.0.1', port: 0 })

    const out: string[] = []
    const errors: string[] = []
    const run = async (argv: string[], extraEnv: Record<string, string> = {}) => {
      out.length = 0
      errors.length = 0
      return runAdminCli(argv, {
        out: (l) => out.push(l),
        err: (l) => errors.push(l),
        env: { ...env, USER: 'carol', ...extraEnv },
      })
    }

    assert.equal(await run(['--help']), 0)
    assert.match(out.join('\n'), /tokens create --name <name> --role read-only\|operator/)
    assert.equal(await run(['tokens', 'create', '--name', 'ada']), 2)
    assert.match(errors.join('\n'), /needs --name and --role/)
    assert.equal(await run(['tokens', 'delete']), 2)
    assert.equal(await run(['tokens', 'list', '--url', url]), 2, 'no token to send')
    assert.match(errors.join('\n'), /Set LEDGER_ADMIN_TOKEN/)

    // Over the API: the first token, created with the bootstrap token.
    assert.equal(
      await run(['tokens', 'create', '--name', 'ada', '--role', 'operator', '--url', url], {
        LEDGER_ADMIN_TOKEN: BOOTSTRAP,
      }),
      0,
      errors.join('\n'),
    )
    assert.match(out[0]!, /created operator token "ada" .*store it now/)
    const adaToken = out[1]!
    assert.match(adaToken, /^ldg_/)
    // ada's own token now acts, and is recorded as ada.
    assert.equal(
      await run(['tokens', 'create', '--name', 'viewer', '--role', 'read-only', '--json'], {
        LEDGER_ADMIN_URL: url,
        LEDGER_ADMIN_TOKEN: adaToken,
      }),
      0,
      errors.join('\n'),
    )
    const viewerToken = (JSON.parse(out.join('\n')) as { token: string }).token
    // A read-only token is refused, with the API's reason.
    assert.equal(await run(['tokens', 'revoke', 'ada', '--url', url], { LEDGER_ADMIN_TOKEN: viewerToken }), 1)
    assert.match(errors.join('\n'), /FORBIDDEN: Token "viewer" is read-only/)

    // Directly on the database, as cli:<OS user>.
    assert.equal(
      await run(['tokens', 'create', '--name', 'deploy', '--role', 'operator']),
      0,
      errors.join('\n'),
    )
    assert.equal(await run(['tokens', 'revoke', 'viewer']), 0, errors.join('\n'))
    assert.match(out.join('\n'), /revoked token "viewer"/)
    assert.equal(await run(['tokens', 'revoke', 'viewer']), 1)
    assert.match(errors.join('\n'), /NOT_FOUND: No live admin token named "viewer"/)
    assert.equal(await run(['tokens', 'list']), 0)
    const listing = out.join('\n')
    assert.match(listing, /^ada\toperator\tlive\t.*\tbootstrap\t/m)
    assert.match(listing, /^viewer\tread-only\trevoked .* by cli:carol\t.*\tada\t/m)
    assert.match(listing, /^deploy\toperator\tlive\t.*\tcli:carol\t/m)
    assert.ok(!listing.includes(adaToken.slice(-20)), 'no secret listed')

    const { rows } = await pool.query<{ service: string; actor: string; action: string; outcome: string }>(
      `SELECT service, actor, action || ' ' || target AS action, outcome FROM ledger_audit_log ORDER BY id`,
    )
    assert.deepEqual(rows, [
      { service: 'admin', actor: 'bootstrap', action: 'token.create token:ada', outcome: 'succeeded' },
      { service: 'admin', actor: 'ada', action: 'token.create token:viewer', outcome: 'succeeded' },
      { service: 'admin', actor: 'viewer', action: 'token.revoke token:ada', outcome: 'refused' },
      { service: 'admin-cli', actor: 'cli:carol', action: 'token.create token:deploy', outcome: 'succeeded' },
      { service: 'admin-cli', actor: 'cli:carol', action: 'token.revoke token:viewer', outcome: 'succeeded' },
      { service: 'admin-cli', actor: 'cli:carol', action: 'token.revoke token:viewer', outcome: 'failed' },
    ])
  })
})
