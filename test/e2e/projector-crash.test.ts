import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { describe, it } from 'node:test'
import { cleanupScope, waitFor } from '@integration-ledger/testing'
import { createPool } from '@integration-ledger/postgres'
import {
  assertMatchesOracle,
  projectorFixture,
  ledgerCount,
  makeStorm,
  publishAll,
} from './projector-support.js'

/** The projector as a real process, the way it runs in production (server.ts, env config). */
function spawnProjector(env: Record<string, string>): ChildProcess {
  return spawn(
    process.execPath,
    ['--conditions=@integration-ledger/source', '--import', 'tsx', 'services/projector/src/server.ts'],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] },
  )
}

async function sigkill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGKILL')
  await exited
}

describe('projector killed with SIGKILL mid-batch', () => {
  it('loses no event and applies none twice after a restart', async (test) => {
    const t = cleanupScope(test)
    const fixture = await projectorFixture(t, 'crash')
    const { stack, topic, databaseUrl } = fixture
    const pool = createPool({ connectionString: databaseUrl, max: 2 })
    t.after(() => pool.end())
    const storm = makeStorm({ entities: 1000, versions: 40, duplicateRatio: 0.3, seed: 7 })
    const env = {
      ...fixture.env,
      // The killed member never leaves the group; the restart waits this long for its partitions.
      PROJECTOR_SESSION_TIMEOUT_MS: '6000',
      PORT: '0',
      LOG_LEVEL: 'warn',
    }

    const first = spawnProjector(env)
    t.after(() => sigkill(first))
    const publishing = publishAll(stack, topic, storm.events)
    // Kill while consuming: some events recorded, most not yet.
    const atKill = await waitFor(
      async () => {
        const { rows } = await pool
          .query<{ n: number }>('SELECT count(*)::int AS n FROM ledger_events')
          .catch(() => ({ rows: [{ n: 0 }] }))
        const n = rows[0]?.n ?? 0
        return n > 2000 ? n : undefined
      },
      { timeoutMs: 45_000, intervalMs: 10, description: 'the first process consuming' },
    )
    await sigkill(first)
    assert(atKill < storm.distinctEventIds.size, 'killed before the end of the stream')

    await publishing
    const second = spawnProjector(env)
    t.after(() => sigkill(second))
    await waitFor(async () => (await ledgerCount(pool)) >= storm.distinctEventIds.size, {
      timeoutMs: 60_000,
      description: 'every event recorded after the restart',
    })
    // Let the restarted process drain anything redelivered, then check nothing was recorded twice.
    await new Promise((resolve) => setTimeout(resolve, 1000))
    await assertMatchesOracle(pool, storm)
  })
})
