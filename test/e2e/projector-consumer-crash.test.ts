import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { describe, it } from 'node:test'
import { buildProjectorApp, loadProjectorConfig } from '@integration-ledger/projector'
import { cleanupScope, joinForeignGroupMember, waitFor } from '@integration-ledger/testing'
import { ledgerCount, makeStorm, projectorFixture, publishAll } from './projector-support.js'

describe('projector whose Kafka consumer crashed for good (non-retriable, restart: false)', () => {
  it('is not ready while the consumer is dead, recreates it with backoff and consumes again', async (test) => {
    const t = cleanupScope(test)
    const { stack, topic, groupId, env } = await projectorFixture(t, 'consumer-crash')
    // The broker refuses the projector's join for as long as this member stays (restart: false).
    const foreign = await joinForeignGroupMember(t, { brokers: stack.kafkaBrokers, groupId, topic })

    const { app, projector } = await buildProjectorApp(
      loadProjectorConfig({ ...env, PROJECTOR_SESSION_TIMEOUT_MS: '6000' }),
    )
    t.after(() => app.close())

    const notReady = await waitFor(
      async () => {
        const res = await app.inject({ url: '/readyz' })
        return res.statusCode === 503 && res
      },
      { timeoutMs: 10_000, description: '/readyz answering 503 while the consumer is dead' },
    )
    assert.equal(notReady.json<{ checks: Record<string, string> }>().checks.consumer, 'unavailable')
    const metrics = (await app.inject({ url: '/metrics' })).body
    assert.match(metrics, /ledger_consumer_crashes_total\{[^}]*recovery="recreate"[^}]*\} [1-9]/)

    await foreign.leave()
    await waitFor(async () => (await app.inject({ url: '/readyz' })).statusCode === 200, {
      timeoutMs: 60_000,
      intervalMs: 250,
      description: '/readyz answering 200 once a recreated consumer joined the group',
    })
    const storm = makeStorm({ entities: 20, versions: 3, duplicateRatio: 0, seed: 5 })
    await publishAll(stack, topic, storm.events)
    await waitFor(async () => (await ledgerCount(projector.pool)) === storm.distinctEventIds.size, {
      timeoutMs: 30_000,
      description: 'the recreated consumer applying new events',
    })
  })

  it('exits non-zero with PROJECTOR_ON_CONSUMER_CRASH=exit, so a supervisor restarts it', async (test) => {
    const t = cleanupScope(test)
    const { stack, topic, groupId, env } = await projectorFixture(t, 'consumer-crash-exit')
    await joinForeignGroupMember(t, { brokers: stack.kafkaBrokers, groupId, topic })

    const child = spawn(
      process.execPath,
      ['--conditions=@integration-ledger/source', '--import', 'tsx', 'services/projector/src/server.ts'],
      {
        env: { ...process.env, ...env, PORT: '0', LOG_LEVEL: 'silent', PROJECTOR_ON_CONSUMER_CRASH: 'exit' },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    )
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    })
    const [code, signal] = await Promise.race([
      exited,
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error('the projector kept running with a dead consumer')),
          60_000,
        ).unref(),
      ),
    ])
    assert.equal(signal, null)
    assert.notEqual(code, 0, 'a non-zero exit code tells the supervisor to restart it')
  })
})
