import type { VerifierConfig } from '../verifiers/index.js'
import type { SourceConfig } from './types.js'

/** The verifier configuration for a source, to pass to `createVerifier`. */
export function verifierConfigFor(source: SourceConfig): VerifierConfig {
  switch (source.kind) {
    case 'stripe':
    case 'standard':
      return { kind: source.kind, toleranceSeconds: source.toleranceSeconds }
    case 'github':
    case 'shopify':
      return { kind: source.kind }
    case 'hmac':
      return {
        kind: 'hmac',
        ...source.hmac,
        ...(source.toleranceSeconds === undefined ? {} : { toleranceSeconds: source.toleranceSeconds }),
      }
  }
}
