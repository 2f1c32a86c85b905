import { headerNameOf } from './extraction/values.js'
import { type SourceConfig, providerFor } from './registry.js'
import type { RequestHeaders } from './verification/types.js'

interface HeaderSelection {
  names: ReadonlySet<string>
  prefixes: readonly string[]
}

/**
 * What every source keeps (the user agent and the headers its entity mapping reads) and what its
 * kind keeps: the headers its verifier and extractor read, and the provider's own by prefix, so
 * what a provider adds later lands in the ledger too.
 */
function selectionFor(source: SourceConfig): HeaderSelection {
  const { entity } = source
  const rule = providerFor(source.kind).keptHeaders(source)
  const mapped = [entity?.type, entity?.id, entity?.version].flatMap((spec) => headerNameOf(spec) ?? [])
  return { names: new Set(['user-agent', ...mapped, ...rule.names]), prefixes: rule.prefixes }
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
