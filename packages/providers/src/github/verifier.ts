import { DIGEST_BYTES, hmac } from '../verification/digest.js'
import { decodeHex } from '../verification/encoding.js'
import { readHeader } from '../verification/headers.js'
import { reject } from '../verification/result.js'
import { assertSecrets } from '../verification/secrets.js'
import { decodeSignatureList } from '../verification/signature-list.js'
import { findMatchingSecret } from '../verification/timing-safe.js'
import type { Verifier, VerifyInput, VerifyResult } from '../verification/types.js'

/** Header GitHub signs deliveries in. The legacy SHA-1 `X-Hub-Signature` is deliberately not accepted. */
export const GITHUB_SIGNATURE_HEADER = 'x-hub-signature-256'

const PREFIX = 'sha256='
const FORMAT_HINT = 'expected "sha256=<hex signature>". Forward the header exactly as GitHub sent it.'

/**
 * Verifies GitHub deliveries: HMAC-SHA256 of the raw body with the webhook secret. GitHub signs no
 * timestamp, so replays cannot be refused here; de-duplicate on X-GitHub-Delivery instead.
 */
export function createGithubVerifier(): Verifier {
  return { verify: verifyGithub }
}

function stripPrefix(entry: string): Buffer | undefined {
  return entry.startsWith(PREFIX) ? decodeHex(entry.slice(PREFIX.length)) : undefined
}

function verifyGithub({ rawBody, headers, secrets }: VerifyInput): VerifyResult {
  assertSecrets(secrets, 'github')
  const header = readHeader(headers, GITHUB_SIGNATURE_HEADER)
  if (header.status === 'missing') {
    return reject(
      'missing_header',
      'Missing X-Hub-Signature-256 header. Set a secret on the GitHub webhook so that deliveries are signed.',
    )
  }
  if (header.status === 'repeated') {
    return reject('malformed_header', `X-Hub-Signature-256 was sent more than once; ${FORMAT_HINT}`)
  }
  const parsed = decodeSignatureList(header.value, stripPrefix, DIGEST_BYTES.sha256)
  if (!parsed.ok)
    return reject('malformed_header', `X-Hub-Signature-256 is malformed (${parsed.problem}); ${FORMAT_HINT}`)

  const expected = secrets.map((secret) => hmac('sha256', secret, [rawBody]))
  const secretIndex = findMatchingSecret(expected, parsed.signatures)
  if (secretIndex === -1) {
    return reject(
      'bad_signature',
      'X-Hub-Signature-256 does not match this body. Check that this source is configured with the same secret as the GitHub webhook, and that nothing modifies the body in transit.',
    )
  }
  return { ok: true, secretIndex }
}
