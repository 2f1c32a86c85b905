import { type SourceConfig, providerFor } from './registry.js'
import type { Verifier } from './verification/types.js'

// Keyed by the source object: the registry replaces a source on upsert/disable instead of
// mutating it, so a changed source is a new key and stale verifiers are collected with the old one.
const cache = new WeakMap<SourceConfig, Verifier>()

/** The verifier for a source, built (and its options validated) once per source version. */
export function verifierForSource(source: SourceConfig): Verifier {
  let verifier = cache.get(source)
  if (verifier === undefined) {
    verifier = providerFor(source.kind).createVerifier(source)
    cache.set(source, verifier)
  }
  return verifier
}
