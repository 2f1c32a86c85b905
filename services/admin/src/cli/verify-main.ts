import { runVerifyCli } from './verify.js'

// Entry point of `npm run verify`; everything else lives in verify.ts so tests can run it in-process.
process.exitCode = await runVerifyCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
})
