import type { z } from 'zod'
import type { SourceFields } from './config/source-fields.js'
import type { ExtractResult } from './extraction/types.js'
import type { RequestHeaders, Verifier } from './verification/types.js'

/** The request headers a kind's events keep, besides the ones every source keeps. */
export interface KeptHeaderRule {
  /** Lower-cased header names. */
  names: readonly string[]
  /** Lower-cased name prefixes: the provider's own headers, including those it adds later. */
  prefixes: readonly string[]
}

/**
 * Everything the ledger knows about one kind of source. One module (folder) per kind implements
 * it; `PROVIDERS` in `registry.ts` lists them, and nothing outside a module branches on its kind.
 * `S` is the kind's parsed source, the output of `configSchema`.
 */
export interface ProviderModule<S extends SourceFields = SourceFields> {
  /** The `kind` of a source in the sources file and the admin API. */
  readonly kind: S['kind']
  /**
   * Strict schema of one source of this kind, built with `sourceSchema(kind, ownFields)`. Fields
   * that only other kinds declare are refused for this kind by the registry ("only valid for kind
   * …"), so a module lists only its own.
   */
  readonly configSchema: z.ZodObject
  /**
   * Fields other kinds declare that this kind refuses with a reason of its own (field → message),
   * instead of the registry's generic one.
   */
  readonly refusedFields?: Readonly<Record<string, string>>
  /**
   * Rules across fields, run after the fields are checked, even when some failed; `declared` is
   * therefore the input as far as it parsed, so read it defensively.
   */
  readonly refineConfig?: (declared: Readonly<Record<string, unknown>>, ctx: z.RefinementCtx) => void
  /** Defaults that depend on other fields, applied once the source is valid. */
  readonly completeConfig?: (source: S) => S
  /**
   * Why a resolved secret cannot be used by this kind (a message naming `sourceName`, never the
   * secret), or `undefined`. Checked at load, so an unusable key fails then and not on traffic.
   */
  readonly secretProblem?: (secret: string, sourceName: string) => string | undefined
  /**
   * The verifier of a source, its options validated here, once per source version.
   * @throws PermanentError CONFIG_INVALID for invalid options.
   */
  createVerifier(source: S): Verifier
  /**
   * The ledger fields of a verified delivery whose body is a JSON object. Never throws: an unusable
   * delivery comes back as `{ ok: false, reason }`.
   */
  extract(
    source: S,
    body: Record<string, unknown>,
    headers: RequestHeaders,
    receivedAtMs: number,
  ): ExtractResult
  /** The headers this kind's verifier and extractor read, so an event can be checked again later. */
  keptHeaders(source: S): KeptHeaderRule
  /** How a sender of this kind signs, for the API reference (ingest's OpenAPI document). */
  readonly signature: SignatureDescription
}

/** The signature of one kind of source as a caller sees it. */
export interface SignatureDescription {
  /** The header that carries the signature (for `hmac`, the usual one; each source names its own). */
  readonly header: string
  /** What is signed and which other headers a delivery needs. */
  readonly description: string
}
