import { headerNameOf } from '../extraction/values.js'
import type { ProviderModule } from '../provider-module.js'
import { DEFAULT_TOLERANCE_SECONDS } from '../verification/tolerance.js'
import { type HmacSource, hmacConfigSchema } from './config.js'
import { extractHmac } from './extract.js'
import { createHmacVerifier } from './verifier.js'

function timestampHeaderOf(hmac: unknown): unknown {
  return typeof hmac === 'object' && hmac !== null
    ? (hmac as Record<string, unknown>)['timestampHeader']
    : undefined
}

/** A generic sender: a plain HMAC in a configured header; every event field from the configuration. */
export const hmacProvider: ProviderModule<HmacSource> = {
  kind: 'hmac',
  configSchema: hmacConfigSchema,
  refineConfig: (declared, ctx) => {
    if (declared['toleranceSeconds'] !== undefined && timestampHeaderOf(declared['hmac']) === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['toleranceSeconds'],
        message: 'needs hmac.timestampHeader; without a signed timestamp there is nothing to check',
      })
    }
  },
  completeConfig: (source) =>
    source.hmac.timestampHeader === undefined
      ? source
      : { ...source, toleranceSeconds: source.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS },
  createVerifier: (source) =>
    createHmacVerifier({ ...source.hmac, toleranceSeconds: source.toleranceSeconds }),
  extract: extractHmac,
  keptHeaders: (source) => ({
    names: [
      source.hmac.header.toLowerCase(),
      ...(source.hmac.timestampHeader === undefined ? [] : [source.hmac.timestampHeader.toLowerCase()]),
      ...[source.eventId, source.eventType, source.occurredAt].flatMap((spec) => headerNameOf(spec) ?? []),
    ],
    prefixes: [],
  }),
  signature: {
    header: 'X-Signature',
    description:
      "The source's `hmac.header` (X-Signature here stands for it): an HMAC of the body (or of `<timestamp>.<body>` with `hmac.timestampHeader`) in the source's algorithm, encoding and prefix.",
  },
}
