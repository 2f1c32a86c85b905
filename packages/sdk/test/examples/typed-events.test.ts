import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'
import { promisify } from 'node:util'
import { cleanupScope, stackEnv, uniqueName } from '@integration-ledger/testing'
import { createKafkajsTransport } from '@integration-ledger/sdk'

const example = fileURLToPath(new URL('../../examples/typed-events.ts', import.meta.url))

describe('examples/typed-events.ts (the README example)', () => {
  it('runs against the stack: typed consumer, refused producer payload, one record dead-lettered', async (test) => {
    const t = cleanupScope(test)
    const topic = uniqueName('example.billing')
    const group = uniqueName('example.group')
    const stack = stackEnv()
    t.after(async () => {
      const admin = createKafkajsTransport({ brokers: stack.kafkaBrokers }).admin()
      await admin.connect()
      const owned = (await admin.listTopics()).filter((n) => n === topic || n.startsWith(`${group}.`))
      await admin.deleteTopics(owned).catch(() => {})
      await admin.disconnect()
    })
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=@integration-ledger/source', '--import', 'tsx', example],
      { env: { ...process.env, EXAMPLE_TOPIC: topic, EXAMPLE_GROUP: group }, timeout: 60_000 },
    )
    assert.match(
      stdout,
      /producer refused: VALIDATION_FAILED: invoice\.paid payload fails its schema: amountCents/,
    )
    assert.match(stdout, /email: 'ada@example\.com', plan: 'free', paidCents: 1200/)
    assert.match(stdout, new RegExp(`dead-lettered: 1 record\\(s\\) in ${group}\\.dlq`))
  })
})
