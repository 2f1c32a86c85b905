// The OpenAPI documents of ingest, admin and the reconciler: the committed files are what the apps
// serve, every route the apps registered is in them, and the requests the README shows, the
// examples inside the documents and real error answers all fit the documents' schemas.
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { repoRoot, stackEnv } from '@integration-ledger/local-stack'
import { createTestDatabase } from '@integration-ledger/testing'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import type { FastifyInstance } from 'fastify'
import {
  DOCUMENTED_SERVICES,
  type DocumentedService,
  buildDocumentedApp,
  documentPath,
  servedDocument,
} from '../../infra/lib/openapi-documents.js'

type Json = Record<string, unknown>
interface Operation {
  parameters?: { name: string; in: string; required?: boolean; schema: Json }[]
  requestBody?: { content: Record<string, { schema: Json }> }
  responses: Record<string, { content?: Record<string, { schema: Json }> }>
}
type Paths = Record<string, Record<string, Operation>>

const PORTS: Record<string, DocumentedService> = { '8080': 'ingest', '8081': 'admin', '8083': 'reconciler' }
// The tokens buildDocumentedApp configures; see infra/lib/openapi-documents.ts.
const TOKEN = 'openapi-documents-token-0123456789'

/** Every `METHOD /path` fastify routes, from its own route tree (HEAD comes with every GET). */
function registeredRoutes(app: FastifyInstance): string[] {
  const stack: string[] = []
  const routes: string[] = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^((?:│ {3}| {4})*)(?:├── |└── )(\S+)(?: \(([^)]+)\))?$/.exec(line)
    if (!match) continue
    const depth = (match[1] ?? '').length / 4
    stack.length = depth
    stack.push(match[2] ?? '')
    const path = stack.join('').replace(/:(\w+)/g, '{$1}')
    for (const method of (match[3] ?? '').split(', ').filter(Boolean)) {
      if (method !== 'HEAD') routes.push(`${method} ${path}`)
    }
  }
  return routes
}

/** Splits a shell command line into words, honouring quotes; stops at an unquoted `#`. */
function shellWords(command: string): string[] {
  const words: string[] = []
  let word: string | undefined
  let quote: string | undefined
  for (const char of command) {
    if (quote) {
      if (char === quote) quote = undefined
      else word = (word ?? '') + char
    } else if (char === "'" || char === '"') {
      quote = char
      word ??= ''
    } else if (/\s/.test(char)) {
      if (word !== undefined) words.push(word)
      word = undefined
    } else if (char === '#' && word === undefined) break
    else word = (word ?? '') + char
  }
  if (word !== undefined) words.push(word)
  return words
}

interface Example {
  line: string
  service: DocumentedService
  method: string
  url: URL
  body?: unknown
}

/** The curl commands of the README's shell blocks that call ingest, admin or the reconciler. */
function readmeExamples(readme: string): Example[] {
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '')
  const commands = blocks.flatMap((block) => block.replace(/\\\n\s*/g, ' ').split('\n'))
  return commands.flatMap((line): Example[] => {
    if (!/^\s*curl /.test(line)) return []
    const words = shellWords(line)
    const target = words.find((w) => /^(http:\/\/)?localhost:(8080|8081|8083)\//.test(w))
    if (target === undefined) return []
    const url = new URL(target.startsWith('http') ? target : `http://${target}`)
    const option = (name: string) => (words.includes(name) ? words[words.indexOf(name) + 1] : undefined)
    const data = option('-d')
    const method = option('-X') ?? (data === undefined ? 'GET' : 'POST')
    const service = PORTS[url.port]
    if (service === undefined) return []
    return [{ line, service, method, url, ...(data === undefined ? {} : { body: JSON.parse(data) }) }]
  })
}

/** The documented path template `path` falls under, preferring the one with most literal segments. */
function templateFor(paths: Paths, path: string): string | undefined {
  const segments = path.split('/')
  const fits = Object.keys(paths).filter((template) => {
    const parts = template.split('/')
    return parts.length === segments.length && parts.every((p, i) => p.startsWith('{') || p === segments[i])
  })
  const literal = (t: string) => t.split('/').filter((p) => !p.startsWith('{')).length
  return fits.sort((a, b) => literal(b) - literal(a))[0]
}

const escapePointer = (part: string) => part.replaceAll('~', '~0').replaceAll('/', '~1')

describe('OpenAPI documents', () => {
  const documents = new Map<DocumentedService, { app: FastifyInstance; served: Json; committed: Json }>()
  const closers: (() => Promise<void> | void)[] = []
  // One validator per document; query and path parameters arrive as text, so those coerce.
  const validators = new Map<DocumentedService, { body: Ajv2020; text: Ajv2020 }>()

  before(async () => {
    const stack = stackEnv()
    const databaseUrl = await createTestDatabase({ after: (fn) => void closers.push(fn) }, stack.databaseUrl)
    for (const service of DOCUMENTED_SERVICES) {
      const { app, close } = await buildDocumentedApp(service, databaseUrl, stack)
      closers.push(close)
      const served = await servedDocument(app)
      const committed = JSON.parse(await readFile(join(repoRoot, documentPath(service)), 'utf8')) as Json
      documents.set(service, { app, served, committed })
      const ajv = (coerceTypes: boolean) => {
        const instance = new Ajv2020({ strict: false, validateSchema: false, allErrors: true, coerceTypes })
        addFormats.default(instance)
        // zod's z.base64() says `format: base64`, which ajv-formats does not define.
        instance.addFormat('base64', /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/)
        instance.addSchema(served, `${service}.json`)
        return instance
      }
      validators.set(service, { body: ajv(false), text: ajv(true) })
    }
  })
  after(async () => {
    for (const close of closers.reverse()) await close()
  })

  /** Validates `value` against the schema at JSON pointer `pointer` of the service's document. */
  const check = (service: DocumentedService, pointer: string, value: unknown, text = false) => {
    const ajv = validators.get(service)
    assert.ok(ajv)
    const validate = (text ? ajv.text : ajv.body).compile({ $ref: `${service}.json#${pointer}` })
    const ok = validate(text && typeof value === 'string' ? value : structuredClone(value))
    return ok ? undefined : JSON.stringify(validate.errors)
  }

  it('are committed as the apps serve them (npm run openapi writes them)', () => {
    for (const [service, { served, committed }] of documents) {
      assert.deepEqual(committed, served, `${documentPath(service)} is stale: run npm run openapi`)
      assert.equal(served.openapi, '3.1.0')
    }
  })

  it('hold every route the apps registered, and no other', () => {
    for (const [service, { app, served }] of documents) {
      const paths = served.paths as Paths
      const documented = Object.entries(paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
      )
      assert.deepEqual(documented.sort(), registeredRoutes(app).sort(), service)
      assert.ok(documented.includes('GET /openapi.json'))
    }
  })

  it('name the security of every route, and a documented error body for every answer', () => {
    for (const [service, { served }] of documents) {
      const schemes = Object.keys((served.components as { securitySchemes: Json }).securitySchemes)
      for (const [path, ops] of Object.entries(served.paths as Paths)) {
        for (const [method, op] of Object.entries(ops)) {
          const security = (op as { security?: Json[] }).security
          assert.ok(security, `${service} ${method} ${path} names no security`)
          for (const requirement of security) {
            for (const name of Object.keys(requirement)) assert.ok(schemes.includes(name), name)
          }
          const fallback = op.responses.default?.content?.['application/json']?.schema
          assert.deepEqual(fallback, { $ref: '#/components/schemas/ErrorBody' }, `${method} ${path}`)
        }
      }
    }
    const webhook = (documents.get('ingest')?.served.paths as Paths)['/webhooks/{source}']?.post
    assert.ok(webhook?.requestBody?.content['application/octet-stream'], 'webhooks take any bytes')
  })

  it('fit the examples they carry', () => {
    for (const [service, { served }] of documents) {
      let seen = 0
      const walk = (node: unknown, pointer: string): void => {
        if (Array.isArray(node)) return node.forEach((child, i) => walk(child, `${pointer}/${i}`))
        if (node === null || typeof node !== 'object') return
        const object = node as Json
        if ('schema' in object && 'example' in object) {
          seen += 1
          assert.equal(check(service, `${pointer}/schema`, object.example), undefined, pointer)
        }
        if (Array.isArray(object.examples) && ('type' in object || 'anyOf' in object)) {
          for (const example of object.examples) {
            seen += 1
            assert.equal(check(service, pointer, example), undefined, pointer)
          }
        }
        for (const [key, child] of Object.entries(object)) walk(child, `${pointer}/${escapePointer(key)}`)
      }
      walk(served, '')
      assert.ok(seen > 0, `${service} carries examples`)
    }
  })

  it('fit every request the README shows', async () => {
    const examples = readmeExamples(await readFile(join(repoRoot, 'README.md'), 'utf8'))
    // The README calls each of these at least once.
    for (const route of ['POST /events', 'POST /sources', 'POST /dlq/replay', 'POST /tokens', 'POST /runs']) {
      assert.ok(
        examples.some((e) => `${e.method} ${e.url.pathname}`.endsWith(route.split(' ')[1] ?? '')),
        route,
      )
    }
    for (const example of examples) {
      const paths = documents.get(example.service)?.served.paths as Paths
      const template = templateFor(paths, example.url.pathname)
      assert.ok(template, `${example.line}: no documented path`)
      const method = example.method.toLowerCase()
      const op = paths[template]?.[method]
      assert.ok(op, `${example.line}: ${example.method} ${template} is not documented`)
      const at = `/paths/${escapePointer(template)}/${method}`
      const parameters = op.parameters ?? []
      for (const [name, value] of example.url.searchParams) {
        const i = parameters.findIndex((p) => p.in === 'query' && p.name === name)
        assert.ok(i >= 0, `${example.line}: no query parameter ${name}`)
        assert.equal(
          check(example.service, `${at}/parameters/${i}/schema`, value, true),
          undefined,
          example.line,
        )
      }
      for (const [i, parameter] of parameters.entries()) {
        if (parameter.in === 'query' && parameter.required) {
          assert.ok(example.url.searchParams.has(parameter.name), `${example.line}: ${parameter.name}`)
        }
        if (parameter.in !== 'path') continue
        const index = template.split('/').indexOf(`{${parameter.name}}`)
        const value = decodeURIComponent(example.url.pathname.split('/')[index] ?? '')
        if (value.startsWith('<')) continue // a placeholder such as <runId>
        assert.equal(
          check(example.service, `${at}/parameters/${i}/schema`, value, true),
          undefined,
          example.line,
        )
      }
      if (example.body !== undefined) {
        assert.ok(op.requestBody?.content['application/json'], `${example.line}: takes no JSON body`)
        const pointer = `${at}/requestBody/content/application~1json/schema`
        assert.equal(check(example.service, pointer, example.body), undefined, example.line)
      }
    }
  })

  it('describe the error answers the one error mapper gives, unchanged', async () => {
    const cases = [
      { service: 'ingest', method: 'POST', url: '/events', status: 401, error: 'UNAUTHORIZED', payload: {} },
      {
        service: 'admin',
        method: 'POST',
        url: '/dlq/replay',
        status: 400,
        error: 'VALIDATION_FAILED',
        message: /^Invalid replay request: group: /,
        payload: { records: ['1:2'] },
      },
      {
        service: 'admin',
        method: 'GET',
        url: '/dlq?group=g&limit=0',
        status: 400,
        error: 'VALIDATION_FAILED',
        message: /^Invalid DLQ query: limit: /,
      },
      {
        service: 'reconciler',
        method: 'POST',
        url: '/runs',
        status: 400,
        error: 'VALIDATION_FAILED',
        message: /^Invalid run request: /,
        payload: { source: 'billing' },
      },
      { service: 'reconciler', method: 'GET', url: '/runs/nope', status: 404, error: 'NOT_FOUND' },
    ] as const
    for (const c of cases) {
      const entry = documents.get(c.service)
      assert.ok(entry)
      const response = await entry.app.inject({
        method: c.method,
        url: c.url,
        headers: c.service === 'ingest' ? {} : { authorization: `Bearer ${TOKEN}` },
        ...('payload' in c ? { payload: c.payload } : {}),
      })
      assert.equal(response.statusCode, c.status, response.body)
      const body = response.json<{ error: string; message: string }>()
      assert.equal(body.error, c.error)
      if ('message' in c) assert.match(body.message, c.message)
      const paths = entry.served.paths as Paths
      const template = templateFor(paths, c.url.split('?')[0] ?? '')
      assert.ok(template)
      const documented = paths[template]?.[c.method.toLowerCase()]?.responses
      const key = documented?.[String(c.status)] ? String(c.status) : 'default'
      const pointer = `/paths/${escapePointer(template)}/${c.method.toLowerCase()}/responses/${key}/content/application~1json/schema`
      assert.equal(check(c.service, pointer, body), undefined, `${c.method} ${c.url}`)
    }
  })
})
