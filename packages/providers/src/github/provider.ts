import type { ProviderModule } from '../provider-module.js'
import { type GithubSource, githubConfigSchema } from './config.js'
import { extractGithub } from './extract.js'
import { GITHUB_SIGNATURE_HEADER, createGithubVerifier } from './verifier.js'

/** GitHub: `X-Hub-Signature-256` over the body, no signed timestamp; entity from the payload object. */
export const githubProvider: ProviderModule<GithubSource> = {
  kind: 'github',
  configSchema: githubConfigSchema,
  refusedFields: { toleranceSeconds: 'kind "github" signs no timestamp; remove this field' },
  createVerifier: () => createGithubVerifier(),
  extract: extractGithub,
  keptHeaders: () => ({ names: [GITHUB_SIGNATURE_HEADER], prefixes: ['x-github-'] }),
  signature: {
    header: GITHUB_SIGNATURE_HEADER,
    description:
      '`X-Hub-Signature-256: sha256=<hex>`: HMAC-SHA256 of the body; with `X-GitHub-Delivery` (event ID) and `X-GitHub-Event` (type).',
  },
}
