import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { loadIngestConfig, startIngest } from '@integration-ledger/ingest'
import {
  cleanupScope,
  createTestDatabase,
  DEFAULT_RULE_FILES,
  DEFAULT_TARGETS,
  renderConfig,
  serviceEnv,
  signStandard,
  stackEnv,
  startPrometheus,
  uniqueName,
  waitFor,
  writeSourcesFile,
} from '@integration-ledger/testing'
import { exportedMetrics, root, runPromtool, shortenedRules } from './metric-inventory.js'

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
/** What a sender holding a rotated-away or guessed secret signs with. */
const OTHER_SECRET = 'whsec_b3RoZXItc2VjcmV0LW5vdC1jb25maWd1cmVkLTE='

interface PromAlert {
  labels: Record<string, string>
  annotations: Record<string, string>
  state: 'pending' | 'firing'
}

interface PromRuleGroup {
  name: string
  rules: { name: string; query: string; health: string; type: string }[]
}

describe('alert rules loaded by Prometheus, against running services', () => {
  it('npm start and npm test load infra/prometheus/rules, and the config with them is valid', () => {
    const config = renderConfig(DEFAULT_TARGETS)
    assert.deepEqual(DEFAULT_RULE_FILES, [join(root, 'infra', 'prometheus', 'rules', '*.yml')])
    assert.ok(config.includes(`rule_files:\n  - ${JSON.stringify(DEFAULT_RULE_FILES[0])}`), config)
    const dir = mkdtempSync(join(tmpdir(), 'prom-config-'))
    try {
      writeFileSync(join(dir, 'prometheus.yml'), config)
      // `check config` also loads and checks every rule file the config names.
      const { status, output } = runPromtool(['check', 'config', join(dir, 'prometheus.yml')])
      assert.equal(status, 0, output)
      assert.match(output, /ledger-alerts\.yml/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a Prometheus started with the defaults (what npm start runs) serves every rule group', async (test) => {
    const t = cleanupScope(test)
    const prometheus = await startPrometheus({ targets: [], throwaway: true })
    t.after(() => prometheus.kill())
    const res = await fetch(`${prometheus.url}/api/v1/rules`)
    const { groups } = ((await res.json()) as { data: { groups: PromRuleGroup[] } }).data
    const names = groups.map((g) => g.name).sort()
    for (const name of ['ledger-dlq', 'ledger-ingest', 'ledger-reconciliation', 'ledger-recording']) {
      assert.ok(names.includes(name), `rule groups: ${names.join(', ')}`)
    }
  })

  it('fires LedgerSignatureFailuresSpiking for a source sent only bad signatures, not for a healthy one', async (test) => {
    const t = cleanupScope(test)
    const stack = stackEnv()
    const databaseUrl = await createTestDatabase(t, stack.databaseUrl)
    const topic = uniqueName('alerts.test').replaceAll('_', '.')
    const leaked = uniqueName('leaked').replaceAll('_', '-')
    const healthy = uniqueName('healthy').replaceAll('_', '-')
    const source = (name: string) => [
      `  - name: ${name}`,
      '    kind: standard',
      `    secrets: ["${SECRET}"]`,
      `    topic: ${topic}`,
      '    entity: { type: /type, id: /data/id, version: /data/version }',
    ]
    const sourcesFile = await writeSourcesFile([...source(leaked), ...source(healthy)])
    const ingest = await startIngest(
      loadIngestConfig({
        ...serviceEnv(databaseUrl, stack),
        LEDGER_SOURCES: sourcesFile,
        INGEST_EVENTS_TOPIC: topic,
      }),
    )
    t.after(() => ingest.close())
    const address = new URL(await ingest.listen({ host: '127.0.0.1', port: 0 })).host

    // The inventory the rule and dashboard checks use agrees with what a running service serves.
    const served = (await (await fetch(`http://${address}/metrics`)).text())
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.slice(0, l.search(/[{ ]/)))
    const inventory = await exportedMetrics()
    assert.deepEqual([...new Set(served.filter((n) => !inventory.has(n)))], [])

    const dir = mkdtempSync(join(tmpdir(), 'alert-rules-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    const prometheus = await startPrometheus({
      targets: [{ job: 'ingest', address }],
      throwaway: true,
      ruleFiles: shortenedRules(dir),
      scrapeInterval: '1s',
      evaluationInterval: '1s',
    })
    t.after(() => prometheus.kill())
    const api = async <T>(path: string): Promise<T> =>
      ((await (await fetch(`${prometheus.url}${path}`)).json()) as { data: T }).data

    // Prometheus loaded every rule of the real files, and evaluates them without errors.
    const groups = (await api<{ groups: PromRuleGroup[] }>('/api/v1/rules')).groups
    const loaded = groups.flatMap((g) => g.rules)
    assert.ok(loaded.some((r) => r.type === 'alerting' && r.name === 'LedgerSignatureFailuresSpiking'))
    assert.ok(loaded.some((r) => r.type === 'recording' && r.name === 'ledger:ingest_bad_signatures:rate5m'))

    let n = 0
    const statuses = new Set<string>()
    let seen: PromAlert[] = []
    const deliver = async (name: string, good: boolean) => {
      n++
      const body = JSON.stringify({ type: 'customer.updated', data: { id: `cus_${n}`, version: n } })
      const secret = good ? SECRET : OTHER_SECRET
      const signed = signStandard({ secret, msgId: `msg_alert_${n}`, body })
      const res = await fetch(`http://${address}/webhooks/${name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signed },
        body,
      })
      await res.arrayBuffer()
      statuses.add(`${good ? 'good' : 'bad'}:${res.status}`)
    }
    const states = new Set<string>()
    const firing = await waitFor(
      async () => {
        await deliver(leaked, false)
        await deliver(healthy, true)
        const { alerts } = await api<{ alerts: PromAlert[] }>('/api/v1/alerts')
        const mine = alerts.filter((a) => a.labels.alertname === 'LedgerSignatureFailuresSpiking')
        seen = seen.concat(mine)
        for (const a of mine) states.add(a.state)
        return mine.find((a) => a.state === 'firing')
      },
      {
        timeoutMs: 90_000,
        intervalMs: 200,
        description: () =>
          `LedgerSignatureFailuresSpiking firing (answers ${[...statuses].join(' ')}; alerts ${JSON.stringify(seen.slice(-2))})`,
      },
    )
    assert.deepEqual([...statuses].sort(), ['bad:401', 'good:202'])
    assert.deepEqual(
      [...new Set(seen.map((a) => a.labels.source))],
      [leaked],
      'only the leaked source alerts',
    )
    assert.equal(firing.labels.severity, 'critical')
    assert.ok(firing.annotations.description?.includes(leaked), firing.annotations.description)
    assert.equal(firing.annotations.runbook_url, 'docs/runbook.md#ledgersignaturefailuresspiking')
    // Evaluated every second with `for: 3s`, the alert is seen pending before it fires.
    assert.ok(states.has('pending'), `states seen: ${[...states].join(', ')}`)
    const health = (await api<{ groups: PromRuleGroup[] }>('/api/v1/rules')).groups
      .flatMap((g) => g.rules)
      .filter((r) => r.health !== 'ok' && r.health !== 'unknown')
    assert.deepEqual(health, [], 'every rule evaluates without errors')
  })
})
