import type { TestContext } from 'node:test'
import type { Clock } from '@integration-ledger/core'
import {
  type FakeProviders,
  type FakeProvidersOptions,
  startFakeProviders,
} from '@integration-ledger/fake-providers'

/** A clock the test moves by hand, so windows and buckets do not depend on how fast the machine is. */
export class ManualClock implements Clock {
  constructor(private at = Date.UTC(2026, 5, 1, 12, 0, 0)) {}

  now(): number {
    return this.at
  }

  advance(ms: number): void {
    this.at += ms
  }
}

/** Starts the fakes for one test and closes them after it. */
export async function startFakes(t: TestContext, options: FakeProvidersOptions = {}): Promise<FakeProviders> {
  const fakes = await startFakeProviders(options)
  t.after(() => fakes.close())
  return fakes
}

/** Small data sets: tests that need the full sizes ask for them. */
export const SMALL = {
  stripe: { sizes: { customers: 30, subscriptions: 30, invoices: 30, paymentIntents: 20, charges: 20 } },
  shopify: { sizes: { orders: 40, products: 10, customers: 20 } },
  github: { sizes: { issues: 30, pulls: 10, deliveries: 20 } },
} as const
