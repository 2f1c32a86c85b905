// Kept in the emitted declarations: route schemas of every service may then give `tags`,
// `summary`, `security` (@fastify/swagger's additions to FastifySchema).
/// <reference types="@fastify/swagger" preserve="true" />
import { readFile } from 'node:fs/promises'
import fastifySwagger from '@fastify/swagger'
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify'
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod'
import type { OpenAPIV3_1 } from 'openapi-types'
import { z } from 'zod'
import { errorBodySchema } from './http-errors.js'

/** What a service says about itself at the top of its OpenAPI document. */
export interface OpenApiInfo {
  title: string
  description: string
  /** The service's package.json; its `version` is the document's `info.version`. */
  packageJson: URL
  /** Where the service answers by default, e.g. `http://127.0.0.1:8080`. */
  defaultUrl: string
}

type SecurityScheme = OpenAPIV3_1.SecuritySchemeObject

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The security schemes the routes of this app name, by scheme name; filled by
     * `documentSecurity` from any scope (the object is the root's, shared by reference).
     */
    openApiSecuritySchemes?: Record<string, SecurityScheme>
  }
}

/** The path every service serves its document under, without a token. */
export const OPENAPI_PATH = '/openapi.json'

/** An error answer of a route, for its `schema.response`: the one error body, with when it happens. */
export function errorResponse(description: string) {
  return { description, content: { 'application/json': { schema: errorBodySchema } } }
}

/** A JSON answer of a route, for its `schema.response`, with what it means. */
export function jsonResponse(description: string, schema: z.ZodType) {
  return { description, content: { 'application/json': { schema } } }
}

const DEFAULT_ERROR = {
  description:
    'Any other error: the body names the code and what was wrong (statuses: packages/service-kit/src/http-errors.ts).',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } },
}

/**
 * Documents every route registered after it in `scope` as needing one of `schemes` (by the name
 * the document gives each), unless the route names its own `security`. Called by the hooks that
 * check a token or a signature, so the document says what the code checks.
 */
export function documentSecurity(
  scope: FastifyInstance,
  schemes: Readonly<Record<string, SecurityScheme>>,
): void {
  if (scope.openApiSecuritySchemes) Object.assign(scope.openApiSecuritySchemes, schemes)
  const security = Object.keys(schemes).map((name) => ({ [name]: [] }))
  scope.addHook('onRoute', (route: RouteOptions) => {
    const schema = (route.schema ?? {}) as FastifySchema & { security?: unknown }
    if (schema.security === undefined) route.schema = { ...schema, security }
  })
}

/** The names of every component a `$ref` in `value` points at, transitively. */
function referencedComponents(value: unknown, schemas: Record<string, unknown>, seen = new Set<string>()) {
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk)
    else if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) {
        if (key === '$ref' && typeof child === 'string' && child.startsWith('#/components/schemas/')) {
          const name = child.slice('#/components/schemas/'.length)
          if (!seen.has(name)) {
            seen.add(name)
            walk(schemas[name])
          }
        } else walk(child)
      }
    }
  }
  walk(value)
  return seen
}

/**
 * Makes the app describe itself in OpenAPI 3.1 from its routes' own zod schemas and serve the
 * document at `GET /openapi.json` (open). Call it first, before any route: the document holds the
 * routes registered after it.
 *
 * Route schemas describe; they never validate or serialise. Handlers parse with the same zod
 * schemas (`parseRequest` and the like), because ingest reads its bodies as bytes (signatures and
 * idempotency hashes are over the exact bytes), and because each route's own order of checks and
 * its messages ("Invalid DLQ query: limit: …") are what the one error mapper answers. So the
 * validator accepts everything as it is and the serialiser is `JSON.stringify`, what fastify does
 * for a route without schemas.
 */
export async function registerOpenApi(app: FastifyInstance, info: OpenApiInfo): Promise<void> {
  const { version } = JSON.parse(await readFile(info.packageJson, 'utf8')) as { version: string }
  app.setValidatorCompiler(() => () => true)
  app.setSerializerCompiler(() => (data) => JSON.stringify(data))
  // Filled as routes are registered; the swagger plugin reads it when the document is asked for.
  const securitySchemes: Record<string, SecurityScheme> = {}
  app.decorate('openApiSecuritySchemes', securitySchemes)
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: info.title, description: info.description, version },
      servers: [{ url: info.defaultUrl, description: 'the default port; PORT moves it' }],
      components: { securitySchemes },
    },
    transform: (document) => {
      const transformed = jsonSchemaTransform(document)
      const schema = (transformed.schema ?? {}) as { hide?: boolean; response?: Record<string, unknown> }
      // Added after zod is converted to JSON Schema, so as the $ref the converter gives named schemas.
      if (!schema.hide && schema.response?.default === undefined) {
        schema.response = { ...schema.response, default: DEFAULT_ERROR }
      }
      return { ...transformed, schema }
    },
    transformObject: (document) => {
      const object = jsonSchemaTransformObject(document) as OpenAPIV3_1.Document
      // zod's global registry holds the named schemas of every module loaded in this process;
      // a document keeps only those it refers to, so it does not depend on what else is loaded.
      const all = object.components?.schemas ?? {}
      const used = referencedComponents(object.paths, all)
      const schemas = Object.fromEntries(
        Object.entries(all)
          .filter(([name]) => used.has(name))
          .sort(([a], [b]) => a.localeCompare(b)),
      )
      const components: OpenAPIV3_1.ComponentsObject = { ...object.components, schemas }
      return { ...object, components }
    },
  })
  app.get(
    OPENAPI_PATH,
    {
      logLevel: 'warn',
      schema: {
        summary: 'This document (OpenAPI 3.1)',
        tags: ['meta'],
        security: [],
        response: { 200: jsonResponse('The OpenAPI document of this service.', z.looseObject({})) },
      },
    },
    async () => app.swagger(),
  )
}
