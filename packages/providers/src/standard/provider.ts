import type { ProviderModule } from '../provider-module.js'
import { type StandardSource, standardConfigSchema } from './config.js'
import { extractStandard } from './extract.js'
import { createStandardVerifier, decodeStandardSecret } from './verifier.js'

/** Standard Webhooks: `webhook-signature` over `${id}.${timestamp}.${body}` with a `whsec_` key. */
export const standardProvider: ProviderModule<StandardSource> = {
  kind: 'standard',
  configSchema: standardConfigSchema,
  secretProblem: (secret, sourceName) =>
    decodeStandardSecret(secret) === undefined
      ? `not a Standard Webhooks secret (source "${sourceName}"); expected "whsec_<base64>"`
      : undefined,
  createVerifier: (source) => createStandardVerifier({ toleranceSeconds: source.toleranceSeconds }),
  extract: extractStandard,
  // Every header the specification defines starts with `webhook-`.
  keptHeaders: () => ({ names: [], prefixes: ['webhook-'] }),
}
