import { runEntityCli } from './entity.js'

// Entry point of `npm run entity`; everything else lives in entity.ts so tests can run it in-process.
process.exitCode = await runEntityCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
})
