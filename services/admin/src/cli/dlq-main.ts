import { runDlqCli } from './dlq.js'

// Entry point of `npm run dlq`; everything else lives in dlq.ts so tests can run it in-process.
process.exitCode = await runDlqCli(process.argv.slice(2))
