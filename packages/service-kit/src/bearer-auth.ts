import { createHash, timingSafeEqual } from 'node:crypto'
import { PermanentError } from '@ledger/core'
import type { FastifyInstance, FastifyRequest } from 'fastify'

/** A bearer token and the name it is recorded under (who started or resolved something). */
export interface NamedToken {
  name: string
  token: string
}

const digest = (value: string) => createHash('sha256').update(value).digest()
const names = new WeakMap<FastifyRequest, string>()

/**
 * Requires `Authorization: Bearer <token>` on every route registered after it (health routes are
 * registered before). Compares SHA-256 digests with `timingSafeEqual`, against every token, so
 * neither length, content nor which token matched leaks through timing.
 * @param variable the setting that holds the tokens, named in the 401 answer.
 */
export function requireBearerToken(
  app: FastifyInstance,
  tokens: readonly NamedToken[],
  variable: string,
): void {
  const expected = tokens.map((t) => ({ name: t.name, digest: digest(t.token) }))
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization ?? ''
    const presented = digest(header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '')
    let matched: string | undefined
    for (const candidate of expected) {
      if (timingSafeEqual(presented, candidate.digest) && matched === undefined) matched = candidate.name
    }
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
