import { createHash, timingSafeEqual } from 'node:crypto'
import { PermanentError } from '@ledger/core'
import type { FastifyInstance } from 'fastify'

const digest = (value: string) => createHash('sha256').update(value).digest()

/**
 * Requires `Authorization: Bearer <token>` on every route registered after it (health routes are
 * registered before). Compares digests so neither length nor content leaks through timing.
 */
export function requireBearerToken(app: FastifyInstance, token: string): void {
  const expected = digest(token)
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization ?? ''
    const presented = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : ''
    if (!timingSafeEqual(digest(presented), expected)) {
      throw new PermanentError(
        'UNAUTHORIZED',
        'Send "Authorization: Bearer <token>" with the admin token (LEDGER_ADMIN_TOKEN).',
      )
    }
  })
}
