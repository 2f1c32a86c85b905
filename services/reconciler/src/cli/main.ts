import { runReconcileCli } from './reconcile.js'

// Entry point of `npm run reconcile`; everything else lives in reconcile.ts so tests can run it in-process.
const abort = new AbortController()
process.once('SIGINT', () =>
  abort.abort(new Error('interrupted (SIGINT); run again to resume from the checkpoint')),
)
process.exitCode = await runReconcileCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  signal: abort.signal,
})
