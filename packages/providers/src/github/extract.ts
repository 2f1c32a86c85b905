import { z } from 'zod'
import { readHeader } from '../verification/headers.js'
import type { RequestHeaders } from '../verification/types.js'
import { applyEntityMapping } from '../extraction/entity-overrides.js'
import {
  type DeliveryDraft,
  completeDelivery,
  extractFailure,
  payloadInvalid,
} from '../extraction/extraction-result.js'
import type { ExtractResult } from '../extraction/types.js'
import type { GithubSource } from './config.js'
import { isJsonObject, parseIsoMs } from '../extraction/values.js'

/**
 * Payload objects tried, in order, as the event's entity. The most specific comes first: an
 * `issue_comment` carries `issue` and `repository`, and the comment belongs to the history.
 */
export const GITHUB_ENTITY_KEYS = [
  'pull_request',
  'issue',
  'discussion',
  'release',
  'workflow_run',
  'workflow_job',
  'check_run',
  'check_suite',
  'deployment',
  'repository',
  'organization',
] as const

const githubPayloadSchema = z.object({
  action: z.string().optional(),
  repository: z.object({ full_name: z.string().min(1) }).optional(),
})

/** An entity as found in a GitHub object, before its fields are checked. */
export interface DefaultEntity {
  type: string
  id: unknown
  idFrom: string
  updatedAt: unknown
  updatedFrom: string
}

/**
 * The entity of one GitHub object found under `key` (one of `GITHUB_ENTITY_KEYS`) — in a webhook
 * payload, or as the REST API lists it (the issues endpoint lists issues under `issue`, pull
 * requests included). The webhook path and the API adapter both map through here, so they agree.
 */
export function githubEntityOf(
  key: (typeof GITHUB_ENTITY_KEYS)[number],
  object: Record<string, unknown>,
  repo: string | undefined,
): DefaultEntity {
  // GitHub reports comments on pull requests as `issue` events; key them as the pull request
  // so one PR's history is a single entity whichever event type announced the change.
  const type = key === 'issue' && object['pull_request'] !== undefined ? 'pull_request' : key
  const numbered = key === 'pull_request' || key === 'issue' || key === 'discussion'
  let id: unknown = object['id']
  let idFrom = `/${key}/id`
  if (numbered && repo !== undefined && typeof object['number'] === 'number') {
    id = `${repo}#${object['number']}`
    idFrom = `/repository/full_name + /${key}/number`
  } else if (key === 'repository') {
    id = object['full_name']
    idFrom = '/repository/full_name'
  } else if (key === 'organization') {
    id = object['login']
    idFrom = '/organization/login'
  }
  return { type, id, idFrom, updatedAt: object['updated_at'], updatedFrom: `/${key}/updated_at` }
}

function defaultEntity(body: Record<string, unknown>, repo: string | undefined): DefaultEntity | undefined {
  for (const key of GITHUB_ENTITY_KEYS) {
    // A plain check, not a schema: most keys are absent, and a failed parse builds an error each.
    const object = body[key]
    if (isJsonObject(object)) return githubEntityOf(key, object, repo)
  }
  return undefined
}

/**
 * A GitHub delivery. Event ID: `X-GitHub-Delivery` (kept on redelivery). Type:
 * `X-GitHub-Event` plus `.action` when present. Entity: the first of `GITHUB_ENTITY_KEYS` present;
 * issues, pull requests and discussions are `owner/repo#number`. Version: that object's
 * `updated_at` in ms (1 s resolution), else the receipt time, which is NOT ordered across
 * redeliveries; `occurredAtMs` follows the same rule.
 */
export function extractGithub(
  source: GithubSource,
  body: unknown,
  headers: RequestHeaders,
  receivedAtMs: number,
): ExtractResult {
  const delivery = readHeader(headers, 'x-github-delivery')
  const event = readHeader(headers, 'x-github-event')
  if (delivery.status !== 'present' || event.status !== 'present') {
    return extractFailure(
      'validation_failed',
      'A GitHub delivery needs exactly one X-GitHub-Delivery and one X-GitHub-Event header.',
    )
  }
  const parsed = githubPayloadSchema.safeParse(body)
  if (!parsed.success) return payloadInvalid('GitHub payload', parsed.error)
  const record = body as Record<string, unknown>
  const entity = defaultEntity(record, parsed.data.repository?.full_name)
  const updatedMs = entity === undefined ? undefined : parseIsoMs(entity.updatedAt)
  const draft: DeliveryDraft = {
    providerEventId: delivery.value,
    type: parsed.data.action === undefined ? event.value : `${event.value}.${parsed.data.action}`,
    occurredAtMs: updatedMs ?? receivedAtMs,
    entityType: { value: entity?.type, from: `any of ${GITHUB_ENTITY_KEYS.join(', ')}` },
    entityId: { value: entity?.id, from: entity?.idFrom ?? 'the entity object' },
    entityVersion: { value: updatedMs ?? receivedAtMs, from: entity?.updatedFrom ?? 'the receipt time' },
  }
  return completeDelivery(applyEntityMapping(draft, source.entity, body, headers))
}
