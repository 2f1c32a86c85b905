/**
 * The tail of every write to a projection table: insert the entity, or replace it only when the
 * incoming version is newer. The live batch and the rebuild share it, so they cannot disagree.
 * The target table must be aliased `p`.
 */
export const UPSERT_NEWER_SQL = `
  ON CONFLICT (entity_type, entity_id) DO UPDATE
     SET version = EXCLUDED.version, last_event_id = EXCLUDED.last_event_id, state = EXCLUDED.state,
         state_sha256 = EXCLUDED.state_sha256, updated_at = EXCLUDED.updated_at
   WHERE p.version < EXCLUDED.version`
