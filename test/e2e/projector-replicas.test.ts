import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { loadIngestConfig, startIngest } from '@integration-ledger/ingest'
import { createPool } from '@integration-ledger/postgres'
import { cleanupScope, waitFor, writeSourcesFile } from '@integration-ledger/testing'
import { AssignerProtocol, Kafka, logLevel, type Admin } from 'kafkajs'
import {
  assertMatchesOracle,
  assertNothingParked,
  ledgerCount,
  makeStorm,
  projectorFixture,
} from './projector-support.js'
import { type ServiceProcess, startService } from './service-processes.js'
import { StormSender, stormSourceLines } from './signed-storm.js'

/** PROJECTOR_SESSION_TIMEOUT_MS of the replicas: low, so the test is short; the broker accepts ≥ 6000. */
const SESSION_TIMEOUT_MS = 8000
/**
 * What the stall may exceed the session timeout by. The coordinator expires the dead member at most
 * one session timeout after its last heartbeat, which came before the kill. Then the live members
 * hear of the rebalance with their next heartbeat (kafkajs: every 3 s, the transport's
 * `heartbeatIntervalMs` default), join and sync again (the eager protocol: every member rejoins),
 * fetch, apply a batch and commit. 3 s for the heartbeat plus 4 s for the rest on a loaded 2-core
 * machine shared with the test, ingest and three projectors.
 */
const STALL_MARGIN_MS = 7000
const REPLICAS = 3

interface Member {
  memberId: string
  partitions: number[]
}

/** The group's members and their partitions of `topic`, as the coordinator has them. */
async function describeGroup(admin: Admin, groupId: string, topic: string) {
  const { groups } = await admin.describeGroups([groupId])
  const group = groups[0]
  const members: Member[] = (group?.members ?? []).map((m) => ({
    memberId: m.memberId,
    partitions: AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[topic] ?? [],
  }))
  return { state: group?.state, members }
}

/** The member ID this process has in the group now: from kafkajs' last "joined" line (debug). */
function memberIdOf(projector: ServiceProcess): string | undefined {
  const joined = projector.lines.filter((l) => l.msg === 'Consumer has joined the group')
  const last = joined.at(-1)?.memberId
  return typeof last === 'string' ? last : undefined
}

async function committed(admin: Admin, groupId: string, topic: string): Promise<Map<number, bigint>> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] })
  return new Map((offsets?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]))
}

describe('three projector replicas in one consumer group, one killed mid-storm', () => {
  it('ends equal to the oracle with every event once, and the dead member’s partitions move within the session timeout', async (test) => {
    const t = cleanupScope(test)
    const fixture = await projectorFixture(t, 'replicas')
    const { stack, topic, groupId, databaseUrl } = fixture
    const pool = createPool({ connectionString: databaseUrl, max: 2 })
    t.after(() => pool.end())
    const kafka = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING })
    const admin = kafka.admin()
    await admin.connect()
    t.after(() => admin.disconnect())

    const ingest = await startIngest(
      loadIngestConfig({ ...fixture.env, LEDGER_SOURCES: await writeSourcesFile(stormSourceLines(topic)) }),
    )
    t.after(() => ingest.close())
    const sender = new StormSender(await ingest.listen({ host: '127.0.0.1', port: 0 }))
    t.after(() => sender.close())

    // Debug: kafkajs' "Consumer has joined the group" line (member ID, assignment) is logged at debug.
    const env = { ...fixture.env, PROJECTOR_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS) }
    const start = () => startService(t, 'projector', env, { logLevel: 'debug' })
    const replicas = await Promise.all(Array.from({ length: REPLICAS }, start))
    await waitFor(
      async () => {
        const group = await describeGroup(admin, groupId, topic)
        return (
          group.state === 'Stable' &&
          group.members.length === REPLICAS &&
          group.members.every((m) => m.partitions.length > 0)
        )
      },
      { timeoutMs: 30_000, description: `${REPLICAS} members sharing the partitions` },
    )

    // 300 accounts × 20 versions = 6,000 distinct events plus 30 % re-sends (7,800 signed
    // deliveries), shuffled so versions arrive out of order on every partition.
    const storm = makeStorm({ entities: 300, versions: 20, duplicateRatio: 0.3, seed: 33 })
    const third = Math.floor(storm.events.length / 3)
    const answers = await sender.deliverAll(storm.events.slice(0, third))
    await waitFor(async () => (await ledgerCount(pool)) >= 1000, { description: 'the replicas consuming' })

    const victim = replicas[0]!
    const victimId = memberIdOf(victim)
    assert(victimId, 'the victim logged its member ID')
    const before = await describeGroup(admin, groupId, topic)
    const orphaned = before.members.find((m) => m.memberId === victimId)?.partitions ?? []
    assert(orphaned.length > 0, `the victim owns partitions: ${JSON.stringify(before.members)}`)

    const killedAt = Date.now()
    await victim.kill()
    // Deliveries go on, so the orphaned partitions get records only a live member can commit.
    const delivering = sender.deliverAll(storm.events.slice(third))
    const replacing = start()
    // After a kill nothing the victim sent can still land; a commit from now on is a live member's.
    await new Promise((resolve) => setTimeout(resolve, 200))
    const atKill = await committed(admin, groupId, topic)
    const movedAt = await waitFor(
      async () => {
        const now = await committed(admin, groupId, topic)
        const moved = orphaned.some((p) => (now.get(p) ?? -1n) > (atKill.get(p) ?? -1n))
        return moved ? Date.now() : undefined
      },
      {
        timeoutMs: SESSION_TIMEOUT_MS + STALL_MARGIN_MS + 30_000,
        intervalMs: 50,
        description: `a commit on the dead member's partitions ${orphaned.join(', ')}`,
      },
    )
    const stallMs = movedAt - killedAt
    test.diagnostic(
      `kill → first commit on the dead member's partitions: ${stallMs} ms (session timeout ${SESSION_TIMEOUT_MS} ms)`,
    )
    assert(
      stallMs <= SESSION_TIMEOUT_MS + STALL_MARGIN_MS,
      `the dead member's partitions stalled ${stallMs} ms, more than the session timeout ${SESSION_TIMEOUT_MS} ms + ${STALL_MARGIN_MS} ms`,
    )

    answers.push(...(await delivering))
    const replacement = await replacing
    assert.equal(
      answers.filter((a) => !a.duplicate).length,
      storm.distinctEventIds.size,
      'ingest accepted each distinct delivery once',
    )

    await waitFor(async () => (await ledgerCount(pool)) >= storm.distinctEventIds.size, {
      timeoutMs: 60_000,
      description: `${storm.distinctEventIds.size} ledger rows`,
    })
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]))
    assert(
      orphaned.some((p) => (ends.get(p) ?? 0n) > (atKill.get(p) ?? -1n)),
      'records reached the dead member’s partitions after the kill',
    )
    await waitFor(
      async () => {
        const now = await committed(admin, groupId, topic)
        return [...ends].every(([p, high]) => now.get(p) === high)
      },
      { timeoutMs: 30_000, description: 'the group committed to the end of every partition' },
    )
    await assertMatchesOracle(pool, storm)
    await assertNothingParked(stack, groupId, 'a rebalance is not a failure')

    // The group is the two survivors and the replacement; the dead member was expired.
    const live = [replicas[1]!, replicas[2]!, replacement].map(memberIdOf).sort()
    await waitFor(
      async () => {
        const group = await describeGroup(admin, groupId, topic)
        const ids = group.members.map((m) => m.memberId).sort()
        return group.state === 'Stable' && JSON.stringify(ids) === JSON.stringify(live)
      },
      { description: `the group made of ${live.join(', ')}` },
    )
  })
})
