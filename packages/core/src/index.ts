export { type Clock, systemClock } from './clock.js'
export { defer } from './defer.js'
export { type LedgerEvent, type SourceKind, envelopeSubject, parseEventBody } from './envelope.js'
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
export { eventIdFor, newCorrelationId } from './ids.js'
export { type Logger, silentLogger } from './logger.js'
