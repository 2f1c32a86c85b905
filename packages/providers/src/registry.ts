import { PermanentError } from '@integration-ledger/core'
import { githubProvider } from './github/provider.js'
import { hmacProvider } from './hmac/provider.js'
import type { ProviderModule } from './provider-module.js'
import { shopifyProvider } from './shopify/provider.js'
import { standardProvider } from './standard/provider.js'
import { stripeProvider } from './stripe/provider.js'

/**
 * Every provider module, in the order their kinds are listed in messages. Adding a provider means
 * adding its module folder and one entry here; the config schema, verification, extraction and
 * kept headers all dispatch through this list.
 */
export const PROVIDERS = [
  stripeProvider,
  githubProvider,
  shopifyProvider,
  standardProvider,
  hmacProvider,
] as const

type SourceOf<M> = M extends ProviderModule<infer S> ? S : never

/** One configured sender, of any kind; narrow on `kind` to read a kind's own fields. */
export type SourceConfig = SourceOf<(typeof PROVIDERS)[number]>

/** The kinds of source the ledger knows. */
export type ProviderKind = SourceConfig['kind']

/** The kinds of source the ledger knows, in `PROVIDERS` order. */
export const PROVIDER_KINDS = PROVIDERS.map((provider) => provider.kind) as [ProviderKind, ...ProviderKind[]]

// Widened once here: the registry only ever hands a module the sources of its own kind.
const byKind = new Map<string, ProviderModule<SourceConfig>>(
  PROVIDERS.map((provider) => [provider.kind, provider as unknown as ProviderModule<SourceConfig>]),
)

/**
 * The module of a kind. Pass its functions only sources of that kind: `providerFor(source.kind)`.
 * @throws PermanentError CONFIG_INVALID for a kind no module implements (a source that bypassed
 *   `parseSourceConfig`).
 */
export function providerFor(kind: string): ProviderModule<SourceConfig> {
  const provider = byKind.get(kind)
  if (provider === undefined) {
    throw new PermanentError(
      'CONFIG_INVALID',
      `No provider module for kind "${kind}"; expected one of ${PROVIDER_KINDS.join(', ')}`,
      { details: { kind } },
    )
  }
  return provider
}
