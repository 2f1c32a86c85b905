import { type Verifier, createVerifier } from '../verifiers/index.js'
import type { SourceConfig } from './types.js'
import { verifierConfigFor } from './verifier-config.js'

// Keyed by the source object: the registry replaces a source on upsert/disable instead of
// mutating it, so a changed source is a new key and stale verifiers are collected with the old one.
const cache = new WeakMap<SourceConfig, Verifier>()

/** The verifier for a source, built (and its options validated) once per source version. */
export function verifierForSource(source: SourceConfig): Verifier {
  let verifier = cache.get(source)
  if (verifier === undefined) {
    verifier = createVerifier(verifierConfigFor(source))
    cache.set(source, verifier)
  }
  return verifier
}
