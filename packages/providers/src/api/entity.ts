import { type EntityDraft, type EntityRef, completeEntity } from '../extraction/extraction-result.js'
import { ProviderAnswerInvalidError } from './errors.js'

/**
 * Checks an API object's entity fields with the webhook path's own rules (`completeEntity`), so a
 * scan and a delivery produce the same (entityType, entityId, entityVersion) or the scan fails
 * with `ProviderAnswerInvalidError` instead of producing a key the projection cannot use.
 */
export function entityRefOf(draft: EntityDraft, call: { provider: string; operation: string }): EntityRef {
  const checked = completeEntity(draft)
  if (checked.ok) return checked.entity
  throw new ProviderAnswerInvalidError(call.provider, call.operation, [checked.message])
}
