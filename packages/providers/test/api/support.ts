import type { TestContext } from 'node:test'
import {
  type FakeProviders,
  type FakeProvidersOptions,
  startFakeProviders,
} from '@integration-ledger/fake-providers'
import { OutboundClient, type ProviderPolicy } from '@integration-ledger/outbound'
import { Registry } from 'prom-client'

/** Starts the fakes on free ports for one test and closes them after it. */
export async function startFakes(t: TestContext, options: FakeProvidersOptions = {}): Promise<FakeProviders> {
  const fakes = await startFakeProviders({ seed: 1, ...options })
  t.after(() => fakes.close())
  return fakes
}

/**
 * An outbound client on `policy` whose only credential is `secret`, closed after the test; its
 * metrics go to `registry` (a fresh one by default).
 */
export function clientFor(
  t: TestContext,
  policy: ProviderPolicy,
  secret: string,
  registry = new Registry(),
): OutboundClient {
  const client = new OutboundClient({ policy, credentials: () => secret, registry })
  t.after(() => client.close())
  return client
}

/** The sum of a counter's values with the given labels (every label set when none given). */
export async function counterTotal(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get()
  return (metric?.values ?? [])
    .filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))
    .reduce((sum, v) => sum + v.value, 0)
}

/** Drains an async iterator of pages into one array of items. */
export async function collect<T>(
  pages: AsyncIterable<{ items: T[] }>,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = []
  let count = 0
  for await (const page of pages) {
    items.push(...page.items)
    count++
  }
  return { items, pages: count }
}

/** The first item of a walk's first page (the walk is not continued). */
export async function firstItem<T>(pages: AsyncIterable<{ items: T[] }>): Promise<T | undefined> {
  for await (const page of pages) return page.items[0]
  return undefined
}
