export { HOLDER_ORDER_SQL, UPSERT_NEWER_SQL } from './version-rule.js'
export {
  type KafkaPosition,
  type LedgerEventRange,
  type LedgerEventRow,
  LedgerEvents,
} from './ledger-events.js'
export { type StateAsOf, type StateAsOfResult, stateAsOf } from './state-as-of.js'
export { type ReadLedgerEventsOptions, type ReadOutcome, readLedgerEvents } from './read-events.js'
