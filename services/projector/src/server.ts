import { runServer } from '@integration-ledger/service-kit'
import type { FastifyInstance } from 'fastify'
import { buildProjectorApp } from './app.js'
import { loadProjectorConfig } from './config.js'

/** Closes what can be closed within 15 s and exits with code 1, which tells a supervisor to restart. */
function exitForRestart(app: FastifyInstance, err: unknown): void {
  app.log.fatal(
    { err },
    'Kafka consumer crashed for good (PROJECTOR_ON_CONSUMER_CRASH=exit); exiting with code 1 so the supervisor restarts the projector',
  )
  setTimeout(() => process.exit(1), 15_000).unref()
  app.close().then(
    () => process.exit(1),
    () => process.exit(1),
  )
}

const config = loadProjectorConfig()
// The consumer may fail while the app is still being built, before there is an app to close.
const lifecycle: { app?: FastifyInstance; failure?: { err: unknown } } = {}
const { app } = await buildProjectorApp(config, {
  onConsumerFailed: (err) => {
    if (lifecycle.app) exitForRestart(lifecycle.app, err)
    else lifecycle.failure = { err }
  },
})
lifecycle.app = app
if (lifecycle.failure) exitForRestart(app, lifecycle.failure.err)
else await runServer(app, { host: config.host, port: config.port })
