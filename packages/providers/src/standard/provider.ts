import type { ProviderModule } from '../provider-module.js'
import { type StandardSource, standardConfigSchema } from './config.js'
import { extractStandard } from './extract.js'
import { STANDARD_WEBHOOK_HEADERS, createStandardVerifier, decodeStandardSecret } from './verifier.js'

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
  signature: {
    header: STANDARD_WEBHOOK_HEADERS.signature,
    description:
      '`webhook-signature: v1,<base64>` (space-separated for several): HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<body>` with the base64 key of `whsec_<base64>`; `webhook-id` and `webhook-timestamp` (unix s, within the tolerance) are required.',
  },
}
