export { type Clock, systemClock } from './clock.js'
export { defer } from './defer.js'
export {
  ENTITY_ID_MAX_LENGTH,
  ENTITY_TYPE_MAX_LENGTH,
  type LedgerEvent,
  type SourceKind,
  envelopeSubject,
  isEntityVersion,
  parseEventBody,
} from './envelope.js'
export {
  ERROR_CODES,
  type ErrorCode,
  LedgerError,
  type LedgerErrorOptions,
  PermanentError,
  TransientError,
  describeError,
  errorChain,
  findLedgerError,
  isRetryable,
} from './errors.js'
export { CORRELATION_ID_PATTERN, eventIdFor, isCorrelationId, newCorrelationId } from './ids.js'
export { type Logger, silentLogger } from './logger.js'
export {
  MAX_JSON_DEPTH,
  type StorableJson,
  type UnstorableJsonProblem,
  jsonText,
  parseStorableJson,
} from './storable-json.js'
export { type BackoffPolicy, backoffDelayMs } from './backoff.js'
