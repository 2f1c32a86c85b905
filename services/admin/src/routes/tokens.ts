import { type AdminTokenStore, addAuditDetails, adminIdentity } from '@integration-ledger/access'
import { errorResponse, jsonResponse, parseRequest } from '@integration-ledger/service-kit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { z } from 'zod'

const createSchema = z
  .object({
    name: z.string().min(1),
    role: z
      .string()
      .min(1)
      .meta({ description: 'read-only or operator.', examples: ['operator'] }),
  })
  .meta({ examples: [{ name: 'ada', role: 'operator' }] })

const tokenSchema = z.looseObject({ id: z.string(), name: z.string(), role: z.string() })
const tags = ['tokens']

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
  const listRoute = {
    schema: {
      tags,
      summary: 'Every token, live and revoked, never a secret',
      response: { 200: jsonResponse('The tokens.', z.object({ tokens: z.array(tokenSchema) })) },
    },
  }
  api.get('/tokens', listRoute, async () => ({ tokens: await tokens.list() }))

  api.post(
    '/tokens',
    {
      config: { audit: { action: 'token.create', target: bodyName } },
      schema: {
        tags,
        summary: 'Create a named token; its secret is shown only in this answer (audited)',
        body: createSchema,
        response: {
          201: jsonResponse(
            'Created; `token` is the secret, shown once.',
            z.looseObject({ id: z.string(), name: z.string(), role: z.string(), token: z.string() }),
          ),
          400: errorResponse('VALIDATION_FAILED: name or role is not as described.'),
          409: errorResponse('CONFLICT: a live token of that name exists.'),
        },
      },
    },
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
      schema: {
        tags,
        summary: 'Revoke the live token of that name (audited)',
        params: z.object({ name: z.string() }),
        response: {
          200: jsonResponse('The revoked token.', tokenSchema),
          404: errorResponse('NOT_FOUND: no live token of that name.'),
        },
      },
    },
    async (request) => {
      const revoked = await tokens.revoke(request.params.name, adminIdentity(request).name)
      addAuditDetails(request, { tokenId: revoked.id })
      return revoked
    },
  )
}
