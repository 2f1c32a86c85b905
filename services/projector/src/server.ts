import { runServer } from '@ledger/service-kit'
import { buildProjectorApp } from './app.js'
import { loadProjectorConfig } from './config.js'

const config = loadProjectorConfig()
const { app } = await buildProjectorApp(config)
await runServer(app, { host: config.host, port: config.port })
