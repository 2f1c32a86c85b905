import { type Clock, systemClock } from '@integration-ledger/core'
import { DEFAULT_GITHUB_TOKEN, GithubHandler, type GithubFakeOptions } from './github/handler.js'
import type { FaultHandle, FaultRule } from './server/faults.js'
import { ProviderServer } from './server/provider-server.js'
import type { LoggedRequest, RequestFilter } from './server/request-log.js'
import type { ProviderHandler } from './server/types.js'
import { DEFAULT_SHOPIFY_ACCESS_TOKEN, ShopifyHandler, type ShopifyFakeOptions } from './shopify/handler.js'
import { DEFAULT_STRIPE_SECRET_KEY, StripeHandler, type StripeFakeOptions } from './stripe/handler.js'

/** The Shopify Admin API version the printed URLs use; the fake accepts any `YYYY-01|04|07|10`. */
export const SHOPIFY_API_VERSION = '2025-01'

/** Options of `startFakeProviders`. */
export interface FakeProvidersOptions {
  /** Seed of every generated data set: the same seed and clock give the same data. @default 1 */
  seed?: number
  /** Time source of data, event windows and limits. @default systemClock */
  clock?: Clock
  /** @default '127.0.0.1' */
  host?: string
  /** A port per provider; 0 picks a free one. @default { stripe: 0, shopify: 0, github: 0 } */
  ports?: { stripe?: number; shopify?: number; github?: number }
  stripe?: StripeFakeOptions
  shopify?: ShopifyFakeOptions
  github?: GithubFakeOptions
}

/** One running provider fake: its origin, data, faults and request log. */
export class FakeProvider<H extends ProviderHandler> {
  constructor(private readonly server: ProviderServer<H>) {}

  /** `http://127.0.0.1:PORT`: the fake's stand-in for `https://api.stripe.com` and the like. */
  get baseUrl(): string {
    return this.server.baseUrl
  }

  /** The provider logic, for provider-specific controls (e.g. `github.handler.setWebhookTarget`). */
  get handler(): H {
    return this.server.handler
  }

  /** Create, change and delete remote records. */
  get records(): H['records'] {
    return this.server.handler.records
  }

  /** Scripts a fault; see `FaultRule`. */
  inject(rule: FaultRule): FaultHandle {
    return this.server.faults.add(rule)
  }

  clearFaults(): void {
    this.server.faults.clear()
  }

  /** Requests received, oldest first (credentials redacted). */
  requests(filter?: RequestFilter): LoggedRequest[] {
    return this.server.log.requests(filter)
  }

  /** Requests that changed remote state (creates, updates, redeliveries; not replays). */
  operations(filter?: RequestFilter): LoggedRequest[] {
    return this.server.log.operations(filter)
  }

  clearRequests(): void {
    this.server.log.clear()
  }
}

/** Credentials the running fakes accept, and where to send them. */
export interface FakeCredentials {
  stripe: { baseUrl: string; secretKey: string }
  shopify: { baseUrl: string; graphqlUrl: string; accessToken: string; apiVersion: string }
  github: { baseUrl: string; token: string; owner: string; repo: string; hookId: number }
}

/** The three fakes, each on its own origin. */
export interface FakeProviders {
  stripe: FakeProvider<StripeHandler>
  shopify: FakeProvider<ShopifyHandler>
  github: FakeProvider<GithubHandler>
  credentials: FakeCredentials
  close(): Promise<void>
}

/**
 * Starts the Stripe, Shopify and GitHub fakes on loopback. Each provider gets its own port, so
 * its base URL is an origin exactly like the real API's (`/v1/customers` on the Stripe origin,
 * `/repos/...` on the GitHub one): adapters take a base URL and nothing else changes, and the
 * outbound client sees one origin per provider, as in production (its connection pool, breaker
 * and rate limits are per provider). A fault that drops one fake's connections leaves the others
 * alone.
 */
export async function startFakeProviders(options: FakeProvidersOptions = {}): Promise<FakeProviders> {
  const seed = options.seed ?? 1
  const clock = options.clock ?? systemClock
  const host = options.host ?? '127.0.0.1'
  const servers = {
    stripe: new ProviderServer(new StripeHandler(seed, clock, options.stripe), {
      host,
      port: options.ports?.stripe ?? 0,
      clock,
    }),
    shopify: new ProviderServer(new ShopifyHandler(seed, clock, options.shopify), {
      host,
      port: options.ports?.shopify ?? 0,
      clock,
    }),
    github: new ProviderServer(new GithubHandler(seed, clock, options.github), {
      host,
      port: options.ports?.github ?? 0,
      clock,
    }),
  }
  const started: ProviderServer[] = []
  try {
    for (const server of Object.values(servers)) {
      await server.listen()
      started.push(server)
    }
  } catch (err) {
    await Promise.all(started.map((s) => s.close()))
    throw err
  }
  const github = servers.github.handler
  github.seed(servers.github.baseUrl)
  const shopifyUrl = servers.shopify.baseUrl
  return {
    stripe: new FakeProvider(servers.stripe),
    shopify: new FakeProvider(servers.shopify),
    github: new FakeProvider(servers.github),
    credentials: {
      stripe: {
        baseUrl: servers.stripe.baseUrl,
        secretKey: options.stripe?.secretKeys?.[0] ?? DEFAULT_STRIPE_SECRET_KEY,
      },
      shopify: {
        baseUrl: shopifyUrl,
        graphqlUrl: `${shopifyUrl}/admin/api/${SHOPIFY_API_VERSION}/graphql.json`,
        accessToken: options.shopify?.accessTokens?.[0] ?? DEFAULT_SHOPIFY_ACCESS_TOKEN,
        apiVersion: SHOPIFY_API_VERSION,
      },
      github: {
        baseUrl: servers.github.baseUrl,
        token: options.github?.tokens?.[0] ?? DEFAULT_GITHUB_TOKEN,
        owner: github.repo.owner,
        repo: github.repo.name,
        hookId: github.hookId,
      },
    },
    close: async () => {
      await Promise.all([github.settled(), servers.stripe.handler.settled()])
      await Promise.all(Object.values(servers).map((s) => s.close()))
    },
  }
}
