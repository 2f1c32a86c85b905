import { Kafka, PartitionAssigners, logLevel } from 'kafkajs'
import type { CleanupHost } from './database.js'

/**
 * Joins `groupId` as a member that speaks only an assignment protocol the SDK's consumer does
 * not. While it is in the group, the broker refuses every other member's join with
 * INCONSISTENT_GROUP_PROTOCOL, which kafkajs treats as non-retriable: its consumer crashes with
 * `restart: false` and stays dead. A real, reproducible consumer crash (a second deployment
 * sharing the group ID with another assignor). Leaves the group when the test ends at the latest.
 */
export async function joinForeignGroupMember(
  t: CleanupHost,
  options: { brokers: readonly string[]; groupId: string; topic: string },
): Promise<{ leave(): Promise<void> }> {
  const kafka = new Kafka({ brokers: [...options.brokers], logLevel: logLevel.NOTHING })
  const roundRobin = PartitionAssigners.roundRobin
  const member = kafka.consumer({
    groupId: options.groupId,
    partitionAssigners: [(config) => ({ ...roundRobin(config), name: 'ForeignAssigner' })],
  })
  await member.connect()
  await member.subscribe({ topic: options.topic })
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
