import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { cleanupScope, startKafkaBroker, waitFor } from '@integration-ledger/testing'
import { postGithubDelivery, startHarness } from '../helpers/harness.js'

const SECRET = 'github-outage-secret-0123456789'

describe('Kafka stopped mid-traffic', () => {
  it('answers 503 with Retry-After during the outage, recovers alone, and loses no accepted event', async (test) => {
    const t = cleanupScope(test)
    // A broker this test alone owns, on free ports: the shared one is never stopped.
    const broker = await startKafkaBroker({ throwaway: true, log: () => {} })
    t.after(() => broker.kill())
    const h = await startHarness(t, {
      brokers: broker.brokers,
      sources: ['  - name: gh', '    kind: github', `    secrets: ["${SECRET}"]`, '    topic: __TOPIC__'],
      env: {
        INGEST_PRODUCE_TIMEOUT_MS: '1500',
        INGEST_BROKER_PROBE_INTERVAL_MS: '300',
        INGEST_RETRY_AFTER_SECONDS: '1',
      },
    })

    const answers = new Map<number, { status: number; retryAfter?: string; eventId?: string }>()
    const send = async (n: number) => {
      const started = Date.now()
      const res = await postGithubDelivery(h.app, { source: 'gh', secret: SECRET, n })
      assert.ok(Date.now() - started < 4000, 'every answer comes within a bounded time')
      const answer = {
        status: res.statusCode,
        retryAfter: res.headers['retry-after'],
        eventId: res.statusCode < 300 ? res.json<{ eventId: string }>().eventId : undefined,
        body: res.body,
      }
      answers.set(n, answer)
      return answer
    }
    // Four senders, each sending its next delivery as soon as the previous one is answered.
    let next = 0
    let running = true
    const senders = Array.from({ length: 4 }, async () => {
      while (running) {
        await send(next++)
        await sleep(5)
      }
    })

    await sleep(1000)
    await broker.stop()
    await sleep(3000)
    const ready = await h.app.inject({ url: '/readyz' })
    assert.equal(ready.statusCode, 503, 'readiness reflects the outage')
    running = false
    await Promise.all(senders)

    const during = [...answers.values()]
    const unavailable = during.filter((a) => a.status === 503)
    assert.ok(unavailable.length > 0, 'some deliveries were refused during the outage')
    assert.ok(
      unavailable.every((a) => Number(a.retryAfter) >= 1),
      '503s carry Retry-After',
    )
    assert.ok(
      during.every((a) => a.status === 202 || a.status === 503),
      during.map((a) => a.status).join(','),
    )

    await broker.start()
    // No traffic now: the probe alone must bring readiness back.
    await waitFor(async () => (await h.app.inject({ url: '/readyz' })).statusCode === 200, {
      timeoutMs: 30_000,
      description: 'ingest ready again after the broker returned',
    })

    // Senders retry what was refused; a delivery whose record landed late is now a duplicate.
    const refused = [...answers].filter(([, a]) => a.status === 503).map(([n]) => n)
    for (const n of refused) {
      const retried = await waitFor(
        async () => {
          const a = await send(n)
          return a.status < 300 ? a : undefined
        },
        {
          timeoutMs: 40_000,
          description: () => `delivery ${n} accepted on retry; last answer ${JSON.stringify(answers.get(n))}`,
        },
      )
      assert.ok(retried.status === 202 || retried.status === 200)
    }

    const accepted = [...answers.values()]
      .map((a) => a.eventId)
      .filter((id): id is string => id !== undefined)
    assert.equal(accepted.length, next, 'every delivery ends accepted')
    const stored = await h.eventIds()
    assert.equal(stored.length, new Set(stored).size, 'no event stored twice')
    const missing = accepted.filter((id) => !stored.includes(id))
    assert.deepEqual(missing, [], 'every accepted event is in Kafka')
  })
})
