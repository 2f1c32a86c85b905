// One error type for everything the local stack reports, so a caller (the test runner) can tell
// "a tool is missing" from "a server did not come up" by `code`.

export type InfraErrorCode =
  'MISSING_TOOL' | 'FETCH_FAILED' | 'START_FAILED' | 'READY_TIMEOUT' | 'PORT_TAKEN' | 'CONFIG_INVALID'

/** A server could not be fetched, configured or started; the message says what to do. */
export class InfraError extends Error {
  readonly code: InfraErrorCode
  /** Log file that explains the failure, when there is one. */
  readonly logFile: string | undefined

  constructor(code: InfraErrorCode, message: string, options: { cause?: unknown; logFile?: string } = {}) {
    super(message, { cause: options.cause })
    this.name = 'InfraError'
    this.code = code
    this.logFile = options.logFile
  }
}
