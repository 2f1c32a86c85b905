import {
  GITHUB_SIGNATURE_HEADER,
  type HmacVerifierOptions,
  SHOPIFY_SIGNATURE_HEADER,
  STANDARD_WEBHOOK_HEADERS,
  STRIPE_SIGNATURE_HEADER,
  decodeStandardSecret,
  hmac,
} from '@integration-ledger/providers'

/*
 * Signers produce the headers each provider would send, for tests, fake senders and the benchmark.
 * Header names are lower-cased so the result can be passed straight to `verify` as well as to an
 * HTTP client. A list of secrets yields one signature per secret, the way Stripe and Standard
 * Webhooks senders sign during a rotation.
 */

/** Headers to send with a signed delivery. */
export type SignedHeaders = Record<string, string>

/** Common input of every signer. */
export interface SignInput {
  /** The exact bytes that will be sent as the body. */
  body: Buffer | string
  /** One secret, or several to put several signatures in the header. */
  secret: string | readonly string[]
}

/** Input of signers whose scheme signs a timestamp. */
export interface TimestampedSignInput extends SignInput {
  /** Unix seconds to sign. @default the current time */
  timestampSec?: number
}

function secretsOf(secret: string | readonly string[]): readonly string[] {
  return typeof secret === 'string' ? [secret] : secret
}

function nowSeconds(timestampSec: number | undefined): number {
  return timestampSec ?? Math.floor(Date.now() / 1000)
}

function bytes(body: Buffer | string): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body
}

/** Signs like Stripe: `stripe-signature: t=<unix>,v1=<hex>[,v1=...]`. */
export function signStripe(input: TimestampedSignInput): SignedHeaders {
  const t = nowSeconds(input.timestampSec)
  const signatures = secretsOf(input.secret).map(
    (secret) => `v1=${hmac('sha256', secret, [`${t}.`, bytes(input.body)]).toString('hex')}`,
  )
  return { [STRIPE_SIGNATURE_HEADER]: [`t=${t}`, ...signatures].join(',') }
}

/** Signs like GitHub: `x-hub-signature-256: sha256=<hex>`. */
export function signGithub(input: SignInput): SignedHeaders {
  const signatures = secretsOf(input.secret).map(
    (secret) => `sha256=${hmac('sha256', secret, [bytes(input.body)]).toString('hex')}`,
  )
  return { [GITHUB_SIGNATURE_HEADER]: signatures.join(',') }
}

/** Signs like Shopify: `x-shopify-hmac-sha256: <base64>`. */
export function signShopify(input: SignInput): SignedHeaders {
  const signatures = secretsOf(input.secret).map((secret) =>
    hmac('sha256', secret, [bytes(input.body)]).toString('base64'),
  )
  return { [SHOPIFY_SIGNATURE_HEADER]: signatures.join(',') }
}

/** Input of the Standard Webhooks signer. */
export interface SignStandardInput extends TimestampedSignInput {
  /** The `webhook-id`, unique per message and kept across retries. */
  msgId: string
}

/**
 * Signs like a Standard Webhooks sender: `webhook-id`, `webhook-timestamp` and
 * `webhook-signature: v1,<base64>[ v1,...]`.
 * @throws TypeError when a secret is not `whsec_<base64>` (a bug in the caller's test setup).
 */
export function signStandard(input: SignStandardInput): SignedHeaders {
  const t = nowSeconds(input.timestampSec)
  const signatures = secretsOf(input.secret).map((secret) => {
    const key = decodeStandardSecret(secret)
    if (key === undefined) throw new TypeError('signStandard: secret is not "whsec_<base64>"')
    return `v1,${hmac('sha256', key, [`${input.msgId}.${t}.`, bytes(input.body)]).toString('base64')}`
  })
  return {
    [STANDARD_WEBHOOK_HEADERS.id]: input.msgId,
    [STANDARD_WEBHOOK_HEADERS.timestamp]: String(t),
    [STANDARD_WEBHOOK_HEADERS.signature]: signatures.join(' '),
  }
}

/** Input of the generic HMAC signer. */
export interface SignHmacInput extends TimestampedSignInput {
  /** The same options the receiving verifier is configured with. */
  options: HmacVerifierOptions
}

/** Signs for a generic HMAC source, adding the timestamp header when the options name one. */
export function signHmac(input: SignHmacInput): SignedHeaders {
  const { options } = input
  const t = options.timestampHeader === undefined ? undefined : nowSeconds(input.timestampSec)
  const parts = t === undefined ? [bytes(input.body)] : [`${t}.`, bytes(input.body)]
  const signatures = secretsOf(input.secret).map(
    (secret) => `${options.prefix ?? ''}${hmac(options.algorithm, secret, parts).toString(options.encoding)}`,
  )
  const headers: SignedHeaders = { [options.header.toLowerCase()]: signatures.join(',') }
  if (options.timestampHeader !== undefined) headers[options.timestampHeader.toLowerCase()] = String(t)
  return headers
}
