import type { FastifyInstance } from 'fastify'

export interface RunServerOptions {
  host: string
  port: number
  /** Longest wait for a graceful close before the process exits anyway. @default 15000 */
  closeTimeoutMs?: number
}

/**
 * Listens and closes gracefully on SIGINT/SIGTERM: stop accepting, let in-flight requests and
 * `onClose` hooks (producer flush, consumer leave) finish, then exit.
 */
export async function runServer(app: FastifyInstance, options: RunServerOptions): Promise<void> {
  let closing = false
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down')
    const timer = setTimeout(() => {
      app.log.error('graceful shutdown timed out; exiting')
      process.exit(1)
    }, options.closeTimeoutMs ?? 15_000)
    timer.unref()
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'error during shutdown')
        process.exit(1)
      },
    )
  }
  process.once('SIGINT', shutdown)
  process.once('SIGTERM', shutdown)
  await app.listen({ host: options.host, port: options.port })
}
