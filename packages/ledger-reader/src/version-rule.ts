/**
 * The projection's version rule, in the two places it is written down:
 *
 * - live (the projector's batch statement) and in a rebuild, a projection row is replaced only by
 *   a strictly higher version (`UPSERT_NEWER_SQL`): an event arriving after a newer one is stale
 *   and never becomes the state;
 * - the ledger table records that verdict per event (`outcome`), so what a projection held at any
 *   point is the fold of the `applied` rows recorded until then: the row first in
 *   `HOLDER_ORDER_SQL`.
 *
 * Both the projector (apply, rebuild) and the readers of the ledger (state as of a time) take the
 * rule from here, so they cannot disagree.
 */

/**
 * The tail of every write to a projection table: insert the entity, or replace it only when the
 * incoming version is newer. The target table must be aliased `p`.
 */
export const UPSERT_NEWER_SQL = `
  ON CONFLICT (entity_type, entity_id) DO UPDATE
     SET version = EXCLUDED.version, last_event_id = EXCLUDED.last_event_id, state = EXCLUDED.state,
         state_sha256 = EXCLUDED.state_sha256, updated_at = EXCLUDED.updated_at
   WHERE p.version < EXCLUDED.version`

/**
 * Order of an entity's `applied` ledger rows in which the first is the one its projection holds:
 * the highest version, and at an equal version the first recorded, because `UPSERT_NEWER_SQL`
 * keeps the holder on a tie. (Two `applied` rows share a version only when two consumers handled
 * one partition at once during a rebalance.)
 */
export const HOLDER_ORDER_SQL = 'entity_version DESC, seq'
