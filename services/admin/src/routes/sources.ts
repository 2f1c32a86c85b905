import { LedgerError, PermanentError, findLedgerError } from '@integration-ledger/core'
import { parseSourceConfig, sourceConfigSchema } from '@integration-ledger/providers'
import { declareTopology } from '@integration-ledger/sdk'
import { Keyring, SourceStore, migrateSourceStore } from '@integration-ledger/source-store'
import { addAuditDetails } from '@integration-ledger/access'
import { errorResponse, jsonResponse } from '@integration-ledger/service-kit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { AdminDeps } from '../app.js'

type Body = Record<string, unknown>

// What the routes take and answer, for the OpenAPI document; `validate` and `secretValue` parse.
const tags = ['sources']
const nameParams = z.object({ name: z.string().meta({ description: 'The source name.' }) })
const secretInfoSchema = z.looseObject({
  id: z.string(),
  keyId: z.string(),
  createdAt: z.string(),
  retiredAt: z.string().nullable(),
})
const storedSourceSchema = z.looseObject({
  name: z.string(),
  kind: z.string(),
  enabled: z.boolean(),
  secrets: z.array(secretInfoSchema).optional(),
})
const sourceBody = sourceConfigSchema.meta({
  description:
    'A source as in the sources file: name, kind, secrets (the values; env: references only work in the file) and the fields of its kind (README, "Sources"). Validated exactly as ingest validates the file.',
  examples: [{ name: 'billing', kind: 'stripe', secrets: ['whsec_…'] }],
})
const secretBody = z
  .object({ secret: z.string().min(8).meta({ description: 'The new signing secret.' }) })
  .meta({ examples: [{ secret: 'whsec_new' }] })
const invalid = errorResponse('VALIDATION_FAILED: the message names each field that is not as described.')
const unknownSource = errorResponse('NOT_FOUND: no source of that name.')

/** The audit target of a route on one source. */
const sourceParam = (request: FastifyRequest) => `source:${(request.params as { name: string }).name}`
const sourceInBody = (request: FastifyRequest) => {
  const name = (request.body as { name?: unknown } | undefined)?.name
  return `source:${typeof name === 'string' ? name.slice(0, 200) : '?'}`
}

/**
 * Validates a source declaration exactly as ingest will (with `parseSourceConfig` of
 * `@integration-ledger/providers`, the schema the sources file uses too) and splits off its secrets. Only
 * literal secrets: `env:` references would name the admin's environment, not ingest's.
 */
function validate(body: unknown): {
  config: Body
  secrets: string[]
  name: string
  kind: string
  topic: string
} {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new PermanentError('VALIDATION_FAILED', 'Send the source as a JSON object, as in the sources file.')
  }
  const { secrets, ...config } = body as Body
  if (Array.isArray(secrets) && secrets.some((s) => typeof s === 'string' && s.startsWith('env:'))) {
    throw new PermanentError(
      'VALIDATION_FAILED',
      'secrets: give the secret values; env: references only work in the sources file.',
    )
  }
  try {
    const parsed = parseSourceConfig(body, {}, 'source')
    return { config, secrets: [...parsed.secrets], name: parsed.name, kind: parsed.kind, topic: parsed.topic }
  } catch (err) {
    // The config error lists paths and problems, never secret values.
    throw new PermanentError('VALIDATION_FAILED', findLedgerError(err)?.message ?? 'Invalid source.', {
      cause: err,
    })
  }
}

function secretValue(body: unknown): string {
  const secret = (body as { secret?: unknown } | null)?.secret
  if (typeof secret !== 'string' || secret.trim().length < 8) {
    throw new PermanentError(
      'VALIDATION_FAILED',
      'Send {"secret": "<the new signing secret>"} (8 characters or more).',
    )
  }
  return secret.trim()
}

/**
 * Sources and their signing secrets: create, list, rotate (add a secret, retire an old one),
 * disable and enable. Secrets are stored encrypted (LEDGER_MASTER_KEYS) and never returned:
 * responses carry secret IDs and key IDs only.
 */
export async function sourceRoutes(api: FastifyInstance, deps: AdminDeps): Promise<void> {
  const keys = deps.config.masterKeys
  if (!keys) {
    api.log.warn({}, 'LEDGER_MASTER_KEYS unset: the /sources API answers 503 until it is set')
    const audit = { action: 'source.change', target: (r: FastifyRequest) => r.url.split('?')[0] ?? '' }
    api.all('/sources*', { config: { audit } }, async () => {
      throw new LedgerError(
        'CONFIG_INVALID',
        'Set LEDGER_MASTER_KEYS ("<id>:<base64 of 32 bytes>") on the admin and ingest services to manage sources.',
      )
    })
    return
  }
  const store = new SourceStore(deps.pool, Keyring.parse(keys))
  await migrateSourceStore(deps.pool)

  const listRoute = {
    schema: {
      tags,
      summary: 'Every source, with secret IDs and key IDs (never a secret)',
      response: { 200: jsonResponse('The sources.', z.object({ sources: z.array(storedSourceSchema) })) },
    },
  }
  api.get('/sources', listRoute, async () => ({ sources: await store.list() }))
  const showRoute = {
    schema: {
      tags,
      summary: 'One source',
      params: nameParams,
      response: { 200: jsonResponse('The source.', storedSourceSchema), 404: unknownSource },
    },
  }
  api.get<{ Params: { name: string } }>('/sources/:name', showRoute, async (request) =>
    store.get(request.params.name),
  )

  const creating = {
    action: 'source.create',
    target: sourceInBody,
    details: (r: FastifyRequest) => ({ kind: (r.body as { kind?: unknown } | undefined)?.kind }),
  }
  const createRoute = {
    config: { audit: creating },
    schema: {
      tags,
      summary: 'Create a source; ingest serves it at POST /webhooks/{name} (audited)',
      body: sourceBody,
      response: {
        201: jsonResponse('Created.', storedSourceSchema),
        400: invalid,
        409: errorResponse('CONFLICT: a source of that name exists.'),
      },
    },
  }
  api.post('/sources', createRoute, async (request, reply) => {
    const source = validate(request.body)
    const admin = deps.transport.admin()
    await admin.connect()
    try {
      await admin.ensureTopics(
        declareTopology({
          eventTopics: [source.topic],
          consumerGroups: [],
          replicationFactor: deps.config.kafkaReplicationFactor,
        }),
      )
    } finally {
      await admin.disconnect()
    }
    const created = await store.create(source)
    request.log.info({ source: source.name, kind: source.kind }, 'source created')
    return reply.status(201).send(created)
  })

  const rotating = { action: 'source.secret.add', target: sourceParam }
  api.post<{ Params: { name: string } }>(
    '/sources/:name/secrets',
    {
      config: { audit: rotating },
      schema: {
        tags,
        summary: 'Add a signing secret (rotation: old and new are both accepted) (audited)',
        params: nameParams,
        body: secretBody,
        response: {
          201: jsonResponse('The new secret, by ID.', secretInfoSchema),
          400: invalid,
          404: unknownSource,
        },
      },
    },
    async (request, reply) => {
      const info = await store.addSecret(request.params.name, secretValue(request.body))
      addAuditDetails(request, { secretId: info.id })
      request.log.info({ source: request.params.name, secretId: info.id }, 'source secret added')
      return reply.status(201).send(info)
    },
  )

  const retiring = {
    action: 'source.secret.retire',
    target: sourceParam,
    details: (r: FastifyRequest) => ({ secretId: (r.params as { id: string }).id }),
  }
  api.delete<{ Params: { name: string; id: string } }>(
    '/sources/:name/secrets/:id',
    {
      config: { audit: retiring },
      schema: {
        tags,
        summary: 'Retire a secret (not the last one) (audited)',
        params: z.object({ name: z.string(), id: z.string().meta({ description: 'The secret ID.' }) }),
        response: {
          204: z.null().meta({ description: 'Retired; no body.' }),
          404: errorResponse('NOT_FOUND: no such source or active secret.'),
        },
      },
    },
    async (request, reply) => {
      await store.retireSecret(request.params.name, request.params.id)
      request.log.info({ source: request.params.name, secretId: request.params.id }, 'source secret retired')
      return reply.status(204).send()
    },
  )

  for (const [action, enabled] of [
    ['disable', false],
    ['enable', true],
  ] as const) {
    const audit = { action: `source.${action}`, target: sourceParam }
    api.post<{ Params: { name: string } }>(
      `/sources/:name/${action}`,
      {
        config: { audit },
        schema: {
          tags,
          summary: enabled
            ? 'Enable a source (audited)'
            : 'Disable a source: ingest answers 404 for it (audited)',
          params: nameParams,
          response: { 200: jsonResponse('The source.', storedSourceSchema), 404: unknownSource },
        },
      },
      async (request) => {
        await store.setEnabled(request.params.name, enabled)
        return store.get(request.params.name)
      },
    )
  }

  const resealing = { action: 'source.reseal', target: () => 'sources' }
  const resealRoute = {
    config: { audit: resealing },
    schema: {
      tags,
      summary: 'Re-encrypt every secret under the newest master key (audited)',
      response: {
        200: jsonResponse('How many secrets were re-encrypted.', z.object({ resealed: z.number().int() })),
      },
    },
  }
  api.post('/sources/reseal', resealRoute, async (request) => {
    const resealed = await store.reseal()
    addAuditDetails(request, { resealed })
    return { resealed }
  })
}
