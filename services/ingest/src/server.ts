import { runServer } from '@integration-ledger/service-kit'
import { loadIngestConfig } from './config.js'
import { startIngest } from './start.js'

const config = loadIngestConfig()
const app = await startIngest(config)
await runServer(app, { host: config.host, port: config.port })
