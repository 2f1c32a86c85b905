import { type AdminTokenStore, addAuditDetails, adminIdentity } from '@integration-ledger/access'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { parseRequest } from '../dlq/requests.js'

const createSchema = z.object({ name: z.string().min(1), role: z.string().min(1) })

const bodyName = (request: FastifyRequest) => {
  const name = (request.body as { name?: unknown } | undefined)?.name
  return `token:${typeof name === 'string' ? name.slice(0, 80) : '?'}`
}

/**
 * Named admin tokens (`@integration-ledger/access`):
 * - `GET /tokens`: every token, live and revoked, never a secret;
 * - `POST /tokens` `{ name, role: "read-only" | "operator" }` → 201 with the token, shown only here;
 * - `DELETE /tokens/:name`: revokes the live token of that name, refused from the next request on.
 * Who created or revoked a token is the token that asked.
 */
export async function tokenRoutes(
  api: FastifyInstance,
  { tokens }: { tokens: AdminTokenStore },
): Promise<void> {
  api.get('/tokens', async () => ({ tokens: await tokens.list() }))

  api.post(
    '/tokens',
    { config: { audit: { action: 'token.create', target: bodyName } } },
    async (request, reply) => {
      const body = parseRequest(createSchema, request.body, 'token request')
      const created = await tokens.create(body, adminIdentity(request).name)
      addAuditDetails(request, { tokenId: created.id, role: created.role })
      return reply.status(201).send(created)
    },
  )

  api.delete<{ Params: { name: string } }>(
    '/tokens/:name',
    {
      config: {
        audit: { action: 'token.revoke', target: (r) => `token:${(r.params as { name: string }).name}` },
      },
    },
    async (request) => {
      const revoked = await tokens.revoke(request.params.name, adminIdentity(request).name)
      addAuditDetails(request, { tokenId: revoked.id })
      return revoked
    },
  )
}
