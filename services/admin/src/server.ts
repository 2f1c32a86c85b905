import { runServer } from '@integration-ledger/service-kit'
import { loadAdminConfig } from './config.js'
import { startAdmin } from './start.js'

const config = loadAdminConfig()
const app = await startAdmin(config)
await runServer(app, { host: config.host, port: config.port })
