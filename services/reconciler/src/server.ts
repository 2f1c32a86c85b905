import { runServer } from '@integration-ledger/service-kit'
import { buildReconcilerApp } from './app.js'
import { loadReconcilerConfig } from './config.js'
import { startSchedule } from './scheduler.js'
import { startReconcilerCore } from './start.js'

const config = loadReconcilerConfig()
const core = await startReconcilerCore(config)
const app = await buildReconcilerApp(core)
const stopSchedule = startSchedule(core.targets.values(), core.reconciler, app.log, core.metrics)
app.log.info(
  {
    sources: config.sources.map((s) => ({
      name: s.name,
      entityTypes: s.entityTypes,
      credentials: s.secret === undefined ? `missing (${s.credentialEnv})` : 'set',
      schedule:
        s.secret === undefined || s.intervalSeconds === undefined ? 'off' : `every ${s.intervalSeconds} s`,
    })),
  },
  'reconciler configured',
)
app.addHook('onClose', async () => {
  stopSchedule()
  await core.close()
})
await runServer(app, { host: config.host, port: config.port })
