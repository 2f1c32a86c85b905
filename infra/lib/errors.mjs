// One error type for everything infra reports, so a caller (the test runner)
// can tell "a tool is missing" from "a server did not come up" by `code`.

/**
 * @typedef {'MISSING_TOOL' | 'FETCH_FAILED' | 'START_FAILED' | 'READY_TIMEOUT' | 'PORT_TAKEN' | 'CONFIG_INVALID'} InfraErrorCode
 */

export class InfraError extends Error {
  /**
   * @param {InfraErrorCode} code
   * @param {string} message what happened, why, and what to do
   * @param {{ cause?: unknown, logFile?: string }} [options]
   */
  constructor(code, message, options = {}) {
    super(message, { cause: options.cause })
    this.name = 'InfraError'
    this.code = code
    /** Log file that explains the failure, when there is one. */
    this.logFile = options.logFile
  }
}
