import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { describe, it } from 'node:test'
import { buildProjectorApp, loadProjectorConfig } from '@ledger/projector'
import { cleanupScope, waitFor, type CleanupHost, type StackEnv } from '@ledger/testing'
import { Kafka, PartitionAssigners, logLevel } from 'kafkajs'
import { ledgerCount, makeStorm, projectorFixture, publishAll } from './projector-support.js'

/**
 * A member of `groupId` that only speaks an assignment protocol the SDK's consumer does not. While
 * it is in the group, the broker refuses every other member's join with INCONSISTENT_GROUP_PROTOCOL,
 * which kafkajs treats as non-retriable: its consumer crashes with `restart: false` and stays dead.
 * A real, reproducible crash (a second deployment sharing the group ID with another assignor).
 */
async function joinForeignMember(
  t: CleanupHost,
  stack: StackEnv,
  groupId: string,
  topic: string,
): Promise<{ leave(): Promise<void> }> {
  const kafka = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING })
  const roundRobin = PartitionAssigners.roundRobin
  const member = kafka.consumer({
    groupId,
    partitionAssigners: [(config) => ({ ...roundRobin(config), name: 'ForeignAssigner' })],
  })
  await member.connect()
  await member.subscribe({ topic })
  // Resolves once the member has joined and synced: the group now speaks only ForeignAssigner.
  await member.run({ eachMessage: async () => {} })
  let left = false
  const leave = async () => {
    if (left) return
    left = true
    await member.disconnect()
  }
  t.after(leave)
  return { leave }
}

describe('projector whose Kafka consumer crashed for good (non-retriable, restart: false)', () => {
  it('is not ready while the consumer is dead, recreates it with backoff and consumes again', async (test) => {
    const t = cleanupScope(test)
    const { stack, topic, groupId, env } = await projectorFixture(t, 'consumer-crash')
    const foreign = await joinForeignMember(t, stack, groupId, topic)

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
    await joinForeignMember(t, stack, groupId, topic)

    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'services/projector/src/server.ts'],
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
