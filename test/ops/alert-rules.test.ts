import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { parse } from 'yaml'
import {
  loadRules,
  metricClassifier,
  metricNamesIn,
  root,
  ruleFiles,
  runPromtool,
} from './metric-inventory.js'

const testsDir = join(root, 'infra', 'prometheus', 'tests')

interface PromtoolTests {
  tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[]
}

describe('alert and recording rules (infra/prometheus/rules)', () => {
  it('pass `promtool check rules`', () => {
    const { status, output } = runPromtool(['check', 'rules', ...ruleFiles])
    assert.equal(status, 0, output)
  })

  it('pass their `promtool test rules` unit tests', () => {
    const files = readdirSync(testsDir)
      .filter((f) => f.endsWith('.test.yml'))
      .map((f) => join(testsDir, f))
    assert.ok(files.length > 0)
    const { status, output } = runPromtool(['test', 'rules', ...files], testsDir)
    assert.equal(status, 0, output)
  })

  it('have, for every alert, a unit test that fires it and one that does not', () => {
    const cases = readdirSync(testsDir)
      .filter((f) => f.endsWith('.test.yml'))
      .flatMap((f) => (parse(readFileSync(join(testsDir, f), 'utf8')) as PromtoolTests).tests)
      .flatMap((t) => t.alert_rule_test ?? [])
    for (const rule of loadRules().filter((r) => r.alert)) {
      const mine = cases.filter((c) => c.alertname === rule.alert)
      assert.ok(
        mine.some((c) => (c.exp_alerts ?? []).length > 0),
        `${rule.alert}: no test case fires it`,
      )
      assert.ok(
        mine.some((c) => (c.exp_alerts ?? []).length === 0),
        `${rule.alert}: no test case shows it quiet`,
      )
    }
  })

  it('give every alert a severity, summary, description and a runbook section that exists', () => {
    const runbook = readFileSync(join(root, 'docs', 'runbook.md'), 'utf8')
    const anchors = new Set(
      [...runbook.matchAll(/^##+ (.+)$/gm)].map((m) =>
        (m[1] as string)
          .toLowerCase()
          .replace(/[^\w\- ]/g, '')
          .replace(/ /g, '-'),
      ),
    )
    const alerts = loadRules().filter((r) => r.alert)
    assert.ok(alerts.length >= 15, `${alerts.length} alerts`)
    for (const rule of alerts) {
      const name = rule.alert as string
      assert.match(rule.labels?.severity ?? '', /^(warning|critical)$/, `${name}: severity`)
      assert.ok(rule.annotations?.summary, `${name}: summary`)
      assert.ok(
        (rule.annotations?.description ?? '').length > 40,
        `${name}: a description that says what to do`,
      )
      const url = rule.annotations?.runbook_url ?? ''
      assert.equal(url, `docs/runbook.md#${name.toLowerCase()}`, `${name}: runbook_url`)
      assert.ok(anchors.has(name.toLowerCase()), `${name}: no "## ${name}" section in docs/runbook.md`)
    }
  })

  it('read only metrics some service exports, recording rules or configured series', async () => {
    const status = await metricClassifier()
    const rules = loadRules()
    const unknown = rules.flatMap((r) =>
      metricNamesIn(r.expr)
        .filter((n) => status(n) === 'unknown')
        .map((n) => `${r.alert ?? r.record}: ${n}`),
    )
    assert.deepEqual(unknown, [])
  })

  it('finds metric names in PromQL without label names, functions or keywords', () => {
    assert.deepEqual(
      metricNamesIn(
        'sum by (source) (rate(a_total{reason="bad_signature",x=~"a|b"}[5m])) > on (source) group_left (x) 0.5 * b:rec or vector(1) unless c',
      ).sort(),
      ['a_total', 'b:rec', 'c'],
    )
  })
})
