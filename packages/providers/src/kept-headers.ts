import {
  GITHUB_SIGNATURE_HEADER,
  type RequestHeaders,
  SHOPIFY_SIGNATURE_HEADER,
  STRIPE_SIGNATURE_HEADER,
} from '../verifiers/index.js'
import type { SourceConfig, ValueSpec } from './types.js'

interface HeaderSelection {
  names: ReadonlySet<string>
  prefixes: readonly string[]
}

/**
 * The provider's own headers, as name prefixes: what the verifier and the extractor read (signature,
 * delivery ID, topic, timestamps) and what a provider adds later lands in the ledger too.
 */
const PREFIXES_BY_KIND: Record<SourceConfig['kind'], readonly string[]> = {
  stripe: [],
  github: ['x-github-'],
  shopify: ['x-shopify-'],
  standard: ['webhook-'],
  hmac: [],
}

const HEADER_SPEC = 'header:'

function headerOf(spec: ValueSpec | undefined): string[] {
  return spec?.startsWith(HEADER_SPEC) ? [spec.slice(HEADER_SPEC.length).toLowerCase()] : []
}

function selectionFor(source: SourceConfig): HeaderSelection {
  const { entity } = source
  const names = ['user-agent', ...[entity?.type, entity?.id, entity?.version].flatMap(headerOf)]
  if (source.kind === 'stripe') names.push(STRIPE_SIGNATURE_HEADER)
  if (source.kind === 'github') names.push(GITHUB_SIGNATURE_HEADER)
  if (source.kind === 'shopify') names.push(SHOPIFY_SIGNATURE_HEADER)
  if (source.kind === 'hmac') {
    names.push(source.hmac.header.toLowerCase())
    if (source.hmac.timestampHeader) names.push(source.hmac.timestampHeader.toLowerCase())
    names.push(...[source.eventId, source.eventType, source.occurredAt].flatMap(headerOf))
  }
  return { names: new Set(names), prefixes: PREFIXES_BY_KIND[source.kind] }
}

// Keyed by the source object, which the registry replaces (never mutates) on every change.
const cache = new WeakMap<SourceConfig, HeaderSelection>()

/**
 * The request headers a ledger event keeps: the ones the source's verifier and extractor read, and
 * the provider's own. With the byte-exact body they let a delivery be verified and extracted again
 * from the ledger alone (`reverifyEvent`). Never authorization or cookies: only named headers.
 */
export function keptHeaders(source: SourceConfig, headers: RequestHeaders): Record<string, string> {
  let selection = cache.get(source)
  if (selection === undefined) cache.set(source, (selection = selectionFor(source)))
  const kept: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    if (!selection.names.has(name) && !selection.prefixes.some((prefix) => name.startsWith(prefix))) continue
    kept[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return kept
}
