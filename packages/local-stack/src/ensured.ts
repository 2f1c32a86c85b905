/** A component of the stack as `ensure*()` found or started it. */
export interface EnsuredServer {
  /** Its address, as its environment variable takes it. */
  url: string
  /** True when this call started it; `stop()` stops only that. */
  started: boolean
  stop(): Promise<void>
}
