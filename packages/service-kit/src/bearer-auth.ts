import { createHash, timingSafeEqual } from 'node:crypto'
import { PermanentError } from '@integration-ledger/core'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { documentSecurity } from './openapi.js'

/** A bearer token and the name it is recorded under (who started or resolved something). */
export interface NamedToken {
  name: string
  token: string
}

const digest = (value: string) => createHash('sha256').update(value).digest()

/** The token of an `Authorization: Bearer <token>` header; empty when there is none. */
export function presentedBearerToken(header: string | undefined): string {
  return header?.startsWith('Bearer ') === true ? header.slice('Bearer '.length) : ''
}

/**
 * Bearer tokens from configuration, each with what it stands for. `match` compares SHA-256 digests
 * with `timingSafeEqual` against every token, so neither length, content nor which token matched
 * leaks through timing.
 */
export class BearerTokens<T> {
  readonly #expected: { digest: Buffer; value: T }[]

  constructor(entries: readonly { token: string; value: T }[]) {
    this.#expected = entries.map((e) => ({ digest: digest(e.token), value: e.value }))
  }

  /** What `token` stands for, or `undefined` when it is none of them. */
  match(token: string): T | undefined {
    const presented = digest(token)
    let matched: T | undefined
    for (const candidate of this.#expected) {
      if (timingSafeEqual(presented, candidate.digest) && matched === undefined) matched = candidate.value
    }
    return matched
  }
}

const names = new WeakMap<FastifyRequest, string>()

/**
 * Requires `Authorization: Bearer <token>` with one of `tokens` on every route registered after it
 * (health routes are registered before).
 * @param variable the setting that holds the tokens, named in the 401 answer and as the routes'
 *   security scheme in the OpenAPI document.
 */
export function requireBearerToken(
  app: FastifyInstance,
  tokens: readonly NamedToken[],
  variable: string,
): void {
  const expected = new BearerTokens(tokens.map((t) => ({ token: t.token, value: t.name })))
  documentSecurity(app, {
    [variable]: {
      type: 'http',
      scheme: 'bearer',
      description: `\`Authorization: Bearer <token>\` with a token of ${variable} (name=token,…).`,
    },
  })
  app.addHook('onRequest', async (request) => {
    const matched = expected.match(presentedBearerToken(request.headers.authorization))
    if (matched === undefined) {
      throw new PermanentError(
        'UNAUTHORIZED',
        `Send "Authorization: Bearer <token>" with a token of ${variable}.`,
      )
    }
    names.set(request, matched)
  })
}

/** The name of the token a request authenticated with (`undefined` on open routes). */
export function bearerTokenName(request: FastifyRequest): string | undefined {
  return names.get(request)
}
