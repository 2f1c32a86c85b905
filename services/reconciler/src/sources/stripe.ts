import { OutboundClient } from '@integration-ledger/outbound'
import { StripeApi, stripeApiPolicy } from '@integration-ledger/providers'
import { z } from 'zod'
import { StripeEventsCatchUp } from '../catchup/stripe-events.js'
import { StripeCustomersSource, stripeCustomerComparison } from '../remote/stripe-customers.js'
import { type BuiltTarget, type TargetDeps, commonSourceFields, credentialEnvSchema } from './common.js'

/** A Stripe account: customers, and catch-up from `GET /v1/events` through ingest. */
export const stripeSourceSchema = z.object({
  ...commonSourceFields,
  kind: z.literal('stripe'),
  /** The provider API's origin. @default 'https://api.stripe.com' */
  baseUrl: z.url().default('https://api.stripe.com'),
  /** Environment variable holding the API key; unset → the source is never scheduled. @default 'STRIPE_API_KEY' */
  credentialEnv: credentialEnvSchema.default('STRIPE_API_KEY'),
  /** @default ['customer'] */
  entityTypes: z.array(z.literal('customer')).min(1).default(['customer']),
  /**
   * Days after which a catch-up checkpoint is warned about, before it falls out of Stripe's
   * 30-day event window. @default 20
   */
  catchUpWarnAfterDays: z.number().positive().max(30).default(20),
})

export type StripeSourceConfig = z.output<typeof stripeSourceSchema>

/** Catch-up needs ingest's recovery endpoint (RECONCILER_INGEST_TOKEN); the scan does not. */
export function buildStripeTarget(source: StripeSourceConfig, secret: string, deps: TargetDeps): BuiltTarget {
  const client = new OutboundClient({
    // Test keys get Stripe's test-mode limits (25/s), live keys the live ones.
    policy: stripeApiPolicy({
      mode: secret.startsWith('sk_live_') ? 'live' : 'test',
      baseUrl: source.baseUrl,
    }),
    credentials: () => secret,
    registry: deps.registry,
    onResult: deps.calls.record,
  })
  const api = new StripeApi({ client, credentialId: 'default' })
  return {
    client,
    remote: new StripeCustomersSource({ api, calls: deps.calls, pageSize: source.pageSize }),
    comparison: stripeCustomerComparison,
    ...(deps.recovery === undefined || !source.catchUp
      ? {}
      : {
          catchUp: new StripeEventsCatchUp({
            api,
            recovery: deps.recovery,
            pageSize: source.pageSize,
            warnAfterSeconds: source.catchUpWarnAfterDays * 86_400,
            settleTimeoutMs: source.catchUpSettleSeconds * 1000,
          }),
        }),
  }
}
