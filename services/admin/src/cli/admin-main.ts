import { runAdminCli } from './admin.js'

// Entry point of `npm run admin`; everything else lives in admin.ts so tests can run it in-process.
process.exitCode = await runAdminCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
})
