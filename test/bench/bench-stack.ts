// What the ingest and latency benchmarks set up the same way: the stack (left running with
// LEDGER_KEEP_STACK=1), a throwaway database and a fresh events topic, all undone at the end.
import { createKafkajsTransport, declareTopology } from '@integration-ledger/sdk'
import { ensureStack } from '@integration-ledger/local-stack'
import { type CleanupHost, createTestDatabase, uniqueName } from '@integration-ledger/testing'

export async function benchStack(scope: CleanupHost, log: (line: string) => void, name: string) {
  const stack = await ensureStack({ log })
  scope.after(() => (process.env.LEDGER_KEEP_STACK === '1' ? undefined : stack.stop()))
  const databaseUrl = await createTestDatabase(scope, stack.env.databaseUrl)
  const topic = uniqueName(name).replaceAll('_', '.')
  const admin = createKafkajsTransport({ brokers: stack.env.kafkaBrokers }).admin()
  await admin.connect()
  await admin.ensureTopics(declareTopology({ eventTopics: [topic], consumerGroups: [] }))
  scope.after(async () => {
    await admin.deleteTopics([topic]).catch(() => {})
    await admin.disconnect()
  })
  return { stack, databaseUrl, topic }
}
