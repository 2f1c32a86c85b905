import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cleanupScope, signStandard } from '@integration-ledger/testing'
import { startHarness } from './helpers/harness.js'

const STANDARD = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const body = (n: number) => JSON.stringify({ type: 'customer.updated', data: { id: `cus_${n}`, version: n } })

/** The value of the sample whose line starts with `series` in a Prometheus text exposition. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series))
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1))
}

describe('ingest metrics the alert rules read (real Kafka and PostgreSQL)', () => {
  it('exports the last accepted delivery time per source and answers by status code', async (test) => {
    const t = cleanupScope(test)
    const h = await startHarness(t, {
      sources: [
        '  - name: code',
        '    kind: standard',
        `    secrets: ["${STANDARD}"]`,
        '    topic: __TOPIC__',
        '    entity: { type: /type, id: /data/id, version: /data/version }',
      ],
    })
    const post = (body: string, headers: Record<string, string>) =>
      h.app.inject({
        method: 'POST',
        url: '/webhooks/code',
        headers: { 'content-type': 'application/json', ...headers },
        payload: body,
      })
    const metrics = async () => (await h.app.inject({ url: '/metrics' })).body

    const signed = signStandard({ secret: STANDARD, msgId: 'msg_metrics_1', body: body(1) })
    const bad = await post(body(1), { ...signed, 'webhook-signature': 'v1,aGVsbG8=' })
    assert.equal(bad.statusCode, 401, bad.body)
    // Nothing accepted yet: no timestamp, so a silent-source alert cannot mistake it for recent traffic.
    assert.equal(
      sample(await metrics(), 'ledger_ingest_last_accepted_timestamp_seconds{source="code"'),
      undefined,
    )

    const before = Date.now() / 1000
    const good = await post(
      body(2),
      signStandard({ secret: STANDARD, msgId: 'msg_metrics_2', body: body(2) }),
    )
    assert.equal(good.statusCode, 202, good.body)
    const text = await metrics()
    const last = sample(text, 'ledger_ingest_last_accepted_timestamp_seconds{source="code"')
    assert.ok(
      last !== undefined && last >= Math.floor(before) && last <= Date.now() / 1000 + 1,
      `last=${last}`,
    )

    assert.equal(sample(text, 'ledger_ingest_http_responses_total{route="/webhooks/:source",code="401"'), 1)
    assert.equal(sample(text, 'ledger_ingest_http_responses_total{route="/webhooks/:source",code="202"'), 1)
    const unmatched = await h.app.inject({ method: 'POST', url: '/no/such/route' })
    assert.equal(unmatched.statusCode, 404)
    // Unmatched URLs share one label value, so random paths cannot grow the series.
    assert.equal(
      sample(await metrics(), 'ledger_ingest_http_responses_total{route="(unmatched)",code="404"'),
      1,
    )
  })
})
