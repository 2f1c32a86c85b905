import type { RequestHeaders } from '../verification/types.js'
import type { DeliveryDraft, Located } from './extraction-result.js'
import type { EntityMapping } from '../config/source-fields.js'
import { resolveSpec } from './values.js'

function describe(spec: string): string {
  return spec.startsWith('/') || spec.startsWith('header:') ? `"${spec}"` : `literal "${spec}"`
}

function override(
  current: Located,
  spec: string | undefined,
  body: unknown,
  headers: RequestHeaders,
): Located {
  return spec === undefined ? current : { value: resolveSpec(spec, body, headers), from: describe(spec) }
}

/** Replaces a provider's default entity fields with the source's configured mapping, field by field. */
export function applyEntityMapping(
  draft: DeliveryDraft,
  mapping: EntityMapping | undefined,
  body: unknown,
  headers: RequestHeaders,
): DeliveryDraft {
  if (mapping === undefined) return draft
  return {
    ...draft,
    entityType: override(draft.entityType, mapping.type, body, headers),
    entityId: override(draft.entityId, mapping.id, body, headers),
    entityVersion: override(draft.entityVersion, mapping.version, body, headers),
  }
}
