import { LedgerError, PermanentError, findLedgerError } from '@integration-ledger/core'
import { parseSourceConfig } from '@integration-ledger/providers'
import { declareTopology } from '@integration-ledger/sdk'
import { Keyring, SourceStore, migrateSourceStore } from '@integration-ledger/source-store'
import { addAuditDetails } from '@integration-ledger/access'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { AdminDeps } from '../app.js'

type Body = Record<string, unknown>

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

  api.get('/sources', async () => ({ sources: await store.list() }))
  api.get<{ Params: { name: string } }>('/sources/:name', async (request) => store.get(request.params.name))

  const creating = {
    action: 'source.create',
    target: sourceInBody,
    details: (r: FastifyRequest) => ({ kind: (r.body as { kind?: unknown } | undefined)?.kind }),
  }
  api.post('/sources', { config: { audit: creating } }, async (request, reply) => {
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
    { config: { audit: rotating } },
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
    { config: { audit: retiring } },
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
      { config: { audit } },
      async (request) => {
        await store.setEnabled(request.params.name, enabled)
        return store.get(request.params.name)
      },
    )
  }

  const resealing = { action: 'source.reseal', target: () => 'sources' }
  api.post('/sources/reseal', { config: { audit: resealing } }, async (request) => {
    const resealed = await store.reseal()
    addAuditDetails(request, { resealed })
    return { resealed }
  })
}
