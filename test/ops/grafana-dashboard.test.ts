import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { stringify } from 'yaml'
import { metricClassifier, metricNamesIn, root, runPromtool } from './metric-inventory.js'

interface Target {
  refId: string
  expr: string
}

interface Panel {
  id: number
  type: string
  title: string
  gridPos?: { h: number; w: number; x: number; y: number }
  targets?: Target[]
  panels?: Panel[]
}

interface Dashboard {
  title: string
  uid: string
  schemaVersion: number
  panels: Panel[]
  templating: { list: { name: string; type: string; query?: string | { query: string } }[] }
}

const dashboard = JSON.parse(
  readFileSync(join(root, 'infra', 'grafana', 'ledger-dashboard.json'), 'utf8'),
) as Dashboard

const allPanels = (panels: Panel[]): Panel[] => panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])])
const queries = allPanels(dashboard.panels).flatMap((p) =>
  (p.targets ?? []).map((t) => ({ panel: p, target: t })),
)

/** Grafana's variables replaced by what PromQL can parse: intervals by 5m, template variables by `.*`. */
const asPromql = (expr: string) => expr.replace(/\$__\w+/g, '5m').replace(/\$\{?\w+\}?/g, '.*')

/** `label_values(metric, label)` of the template variables, as the metric names they read. */
const variableMetrics = dashboard.templating.list.flatMap((v) => {
  const query = typeof v.query === 'string' ? v.query : v.query?.query
  const m = query && /^label_values\(\s*([a-zA-Z_:][\w:]*)/.exec(query)
  return m ? [m[1] as string] : []
})

describe('Grafana dashboard (infra/grafana/ledger-dashboard.json)', () => {
  it('is a dashboard model with a schemaVersion, a uid and panels with unique IDs and a grid place', () => {
    assert.equal(typeof dashboard.title, 'string')
    assert.equal(typeof dashboard.uid, 'string')
    assert.ok(Number.isInteger(dashboard.schemaVersion) && dashboard.schemaVersion >= 36)
    const panels = allPanels(dashboard.panels)
    const ids = panels.map((p) => p.id)
    assert.ok(ids.every((id) => Number.isInteger(id)))
    assert.equal(new Set(ids).size, ids.length, 'panel IDs are unique')
    for (const p of panels) {
      assert.ok(p.gridPos && p.gridPos.w > 0 && p.gridPos.h > 0, `${p.title}: gridPos`)
      if (p.type !== 'row') assert.ok((p.targets ?? []).length > 0, `${p.title}: no query`)
      const refIds = (p.targets ?? []).map((t) => t.refId)
      assert.equal(new Set(refIds).size, refIds.length, `${p.title}: refIds unique`)
    }
  })

  it('has queries that all parse with promtool', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dashboard-queries-'))
    try {
      // One recording rule per query: `promtool check rules` parses each expression.
      const rules = queries.map(({ panel, target }) => ({
        record: `dashboard:panel_${panel.id}_${target.refId}`,
        expr: asPromql(target.expr),
      }))
      const file = join(dir, 'dashboard-queries.yml')
      writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }))
      const { status, output } = runPromtool(['check', 'rules', file])
      assert.equal(status, 0, output)
      assert.match(output, new RegExp(`SUCCESS: ${rules.length} rules found`))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('names only metrics some service exports, recording rules or configured series', async () => {
    const status = await metricClassifier()
    const unknown = [
      ...queries.flatMap(({ panel, target }) =>
        metricNamesIn(asPromql(target.expr))
          .filter((n) => status(n) === 'unknown')
          .map((n) => `${panel.title}: ${n}`),
      ),
      ...variableMetrics.filter((n) => status(n) !== 'exported').map((n) => `variable: ${n}`),
    ]
    assert.deepEqual(unknown, [])
  })

  it('covers intake, rejections, produce latency, lag, retries, DLQ, reconciliation and breakers', () => {
    const named = new Set(queries.flatMap(({ target }) => metricNamesIn(asPromql(target.expr))))
    for (const name of [
      'ledger_ingest_accepted_total',
      'ledger_ingest_rejected_total',
      'ledger_ingest_produce_seconds_bucket',
      'ledger_consumer_lag',
      'ledger_consumer_retries_total',
      'ledger_consumer_dlq_depth',
      'ledger_dlq_oldest_pending_age_seconds',
      'ledger_reconcile_drift_total',
      'ledger_reconcile_review_open',
      'ledger_reconcile_repairs_total',
      'ledger_reconcile_last_success_timestamp_seconds',
      'ledger_outbound_breaker_state',
      'ledger_consumer_sink_breaker_open',
    ]) {
      assert.ok(named.has(name), `no panel reads ${name}`)
    }
  })
})
