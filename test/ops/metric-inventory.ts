import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createMetricsRegistry } from '@integration-ledger/service-kit'
import { parse } from 'yaml'

export const root = fileURLToPath(new URL('../..', import.meta.url))
export const rulesDir = join(root, 'infra', 'prometheus', 'rules')
export const ruleFiles = readdirSync(rulesDir)
  .filter((f) => f.endsWith('.yml'))
  .sort()
  .map((f) => join(rulesDir, f))

/**
 * The rule files with test-sized time, written into `dir`: every `for:` becomes 3s and every range
 * window 20s, so an alert can fire within a test. Nothing else changes: the expressions and
 * thresholds are the real ones.
 */
export function shortenedRules(dir: string): string[] {
  return ruleFiles.map((file) => {
    const text = readFileSync(file, 'utf8')
      .replace(/^(\s+for:) .+$/gm, '$1 3s')
      .replace(/\[\d+[smhd]\]/g, '[20s]')
    const out = join(dir, basename(file))
    writeFileSync(out, text)
    return out
  })
}

/**
 * Recorded series an operator writes per deployment: none exists until one is configured, so no
 * rule of ours records it.
 */
export const CONFIGURED_SERIES: Record<string, string> = {
  'ledger:source_expected_interval_seconds':
    'infra/prometheus/rules/source-intervals.yml, one rule per source',
}

/** Series Prometheus makes itself. */
const PROMETHEUS_SERIES = new Set(['up', 'ALERTS', 'ALERTS_FOR_STATE', 'scrape_duration_seconds'])

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : []
  })
}

/**
 * Every series name some service exports: each `new Counter|Gauge|Histogram|Summary({ name })` in
 * the services' and packages' src/ (histograms and summaries with their suffixed series), plus
 * the process and Node.js metrics every service registry collects (`createMetricsRegistry`).
 */
export async function exportedMetrics(): Promise<Set<string>> {
  const names = new Set<string>()
  const suffixes: Record<string, string[]> = {
    Counter: [''],
    Gauge: [''],
    Histogram: ['_bucket', '_sum', '_count'],
    Summary: ['', '_sum', '_count'],
  }
  const files = ['services', 'packages'].flatMap((top) =>
    readdirSync(join(root, top)).flatMap((ws) => sourceFiles(join(root, top, ws, 'src'))),
  )
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(
      /new (Counter|Gauge|Histogram|Summary)\(\{\s*name: '([a-zA-Z_:][\w:]*)'/g,
    )) {
      for (const suffix of suffixes[m[1] as string] ?? []) names.add(`${m[2]}${suffix}`)
    }
  }
  const registry = createMetricsRegistry('inventory')
  for (const metric of await registry.getMetricsAsJSON()) {
    const kind = metric.type.toString()
    const extra = kind === 'histogram' ? suffixes.Histogram : kind === 'summary' ? suffixes.Summary : ['']
    for (const suffix of extra ?? ['']) names.add(`${metric.name}${suffix}`)
  }
  return names
}

interface RuleFile {
  groups: { name: string; rules: Rule[] }[]
}

/** One alerting or recording rule as written in the rule files. */
export interface Rule {
  alert?: string
  record?: string
  expr: string
  for?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
}

/** Every rule of infra/prometheus/rules/*.yml. */
export function loadRules(): Rule[] {
  return ruleFiles.flatMap((file) =>
    (parse(readFileSync(file, 'utf8')) as RuleFile).groups.flatMap((g) => g.rules),
  )
}

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'inf',
  'nan',
])

/**
 * The metric names a PromQL expression reads: identifiers that are not functions, keywords,
 * label names (inside `{}` or a `by`/`on` list), strings or durations.
 */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
  const names = new Set<string>()
  for (const m of stripped.matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)(?!\w)(\s*\()?/g)) {
    const [, name, call] = m
    if (!name || call || KEYWORDS.has(name.toLowerCase())) continue
    names.add(name)
  }
  return [...names]
}

/** What a metric name is, for the "every metric named is exported" checks. */
export type MetricStatus = 'exported' | 'recorded' | 'configured' | 'prometheus' | 'unknown'

/** Classifies names against the code's exports, the recording rules and the configured series. */
export async function metricClassifier(): Promise<(name: string) => MetricStatus> {
  const exported = await exportedMetrics()
  const recorded = new Set(loadRules().flatMap((r) => (r.record ? [r.record] : [])))
  return (name) =>
    exported.has(name)
      ? 'exported'
      : recorded.has(name)
        ? 'recorded'
        : name in CONFIGURED_SERIES
          ? 'configured'
          : PROMETHEUS_SERIES.has(name)
            ? 'prometheus'
            : 'unknown'
}

/**
 * Path of promtool ($PROMTOOL_BIN, PATH, /usr/bin/promtool). Throws a message saying how to
 * install it: the rule tests must fail, not skip, where it is missing.
 */
export function promtool(): string {
  const candidates = [
    process.env.PROMTOOL_BIN,
    ...(process.env.PATH ?? '').split(':').map((d) => join(d, 'promtool')),
    '/usr/bin/promtool',
  ]
  const found = candidates.find((c): c is string => !!c && existsSync(c))
  if (!found) {
    throw new Error(
      "promtool is not installed: `apt-get install prometheus` (Debian's package carries promtool; .ci/run installs it) or set PROMTOOL_BIN",
    )
  }
  return found
}

/** Runs promtool; returns its exit code and output. */
export function runPromtool(args: string[], cwd = root): { status: number; output: string } {
  const result = spawnSync(promtool(), args, { cwd, encoding: 'utf8' })
  return { status: result.status ?? 1, output: `${result.stdout}${result.stderr}` }
}
