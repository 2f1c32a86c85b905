import { ENTITY_ID_MAX_LENGTH, ENTITY_TYPE_MAX_LENGTH, isEntityVersion } from '@integration-ledger/core'
import type { z } from 'zod'
import type { Delivery, ExtractFailureReason, ExtractResult } from './types.js'
import { formatPath } from '../config/errors.js'
import { coerceVersion, readId } from './values.js'

/** A failed extraction; kept in one place so every extractor produces the same shape. */
export function extractFailure(reason: ExtractFailureReason, message: string): ExtractResult {
  return { ok: false, reason, message }
}

/** A `validation_failed` result listing a payload's zod issues (paths and messages, no values). */
export function payloadInvalid(what: string, error: z.ZodError): ExtractResult {
  const problems = error.issues.slice(0, 5).map((issue) => `${formatPath(issue.path)}: ${issue.message}`)
  return extractFailure(
    'validation_failed',
    `${what} does not have the expected shape: ${problems.join('; ')}`,
  )
}

/** One entity field before coercion, with a description of where it came from for messages. */
export interface Located {
  value: unknown
  from: string
}

/** Event-level fields already extracted, and the entity fields still to be checked. */
export interface DeliveryDraft {
  providerEventId: string
  type: string
  occurredAtMs: number
  entityType: Located
  entityId: Located
  entityVersion: Located
}

const MAX_LENGTH = { entityType: ENTITY_TYPE_MAX_LENGTH, entityId: ENTITY_ID_MAX_LENGTH } as const

/** The entity fields of a draft, before coercion. */
export type EntityDraft = Pick<DeliveryDraft, 'entityType' | 'entityId' | 'entityVersion'>

/** What the projection keys and orders an entity's state by. */
export interface EntityRef {
  entityType: string
  entityId: string
  entityVersion: number
}

/** Outcome of checking entity fields: the webhook path and the API adapters share it. */
export type EntityResult =
  { ok: true; entity: EntityRef } | { ok: false; reason: ExtractFailureReason; message: string }

/**
 * Checks and coerces the entity fields: missing type or ID (or a mapped version that is absent)
 * is `missing_entity`; a value of the wrong kind, an ID or type longer than the ledger takes, or a
 * version that is not a non-negative safe integer is `validation_failed`.
 */
export function completeEntity(draft: EntityDraft): EntityResult {
  const fields: Record<'entityType' | 'entityId', string> = { entityType: '', entityId: '' }
  for (const field of ['entityType', 'entityId'] as const) {
    const { value, from } = draft[field]
    const read = readId(value)
    const label = field === 'entityType' ? 'entity type' : 'entity ID'
    if (read.status === 'missing')
      return entityFailure(
        'missing_entity',
        `No ${label} in the delivery (looked at ${from}); configure entity.${field === 'entityType' ? 'type' : 'id'} for this source if it lives elsewhere.`,
      )
    if (read.status === 'invalid')
      return entityFailure('validation_failed', `The ${label} at ${from} ${read.problem}.`)
    if (read.value.length > MAX_LENGTH[field]) {
      return entityFailure(
        'validation_failed',
        `The ${label} at ${from} is ${read.value.length} characters long; the ledger takes at most ${MAX_LENGTH[field]}.`,
      )
    }
    fields[field] = read.value
  }
  const { value, from } = draft.entityVersion
  if (value === undefined || value === null) {
    return entityFailure(
      'missing_entity',
      `No entity version in the delivery (looked at ${from}); configure entity.version for this source.`,
    )
  }
  const entityVersion = coerceVersion(value)
  if (entityVersion === undefined) {
    return entityFailure(
      'validation_failed',
      `The entity version at ${from} is not a number, numeric string or ISO date-time.`,
    )
  }
  if (!isEntityVersion(entityVersion)) {
    return entityFailure(
      'validation_failed',
      `The entity version at ${from} is ${entityVersion}, not a non-negative integer up to ${Number.MAX_SAFE_INTEGER}; versions must order events exactly.`,
    )
  }
  return { ok: true, entity: { entityType: fields.entityType, entityId: fields.entityId, entityVersion } }
}

function entityFailure(reason: ExtractFailureReason, message: string): EntityResult {
  return { ok: false, reason, message }
}

/** A draft as a delivery, its entity fields checked by `completeEntity`. */
export function completeDelivery(draft: DeliveryDraft): ExtractResult {
  const checked = completeEntity(draft)
  if (!checked.ok) return checked
  const delivery: Delivery = {
    providerEventId: draft.providerEventId,
    type: draft.type,
    ...checked.entity,
    occurredAtMs: draft.occurredAtMs,
  }
  return { ok: true, delivery }
}
