import { type ParseArgsConfig, parseArgs } from 'node:util'

/** Where a CLI writes and what it reads, so tests run it in-process. */
export interface CliIo {
  out(line: string): void
  err(line: string): void
  env: NodeJS.ProcessEnv
  /** Aborts long work between steps (SIGINT); commands that resume pick up from there. */
  signal?: AbortSignal
}

/** The process's own stdout, stderr and environment. */
export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
}

type Options = NonNullable<ParseArgsConfig['options']>
type Parsed<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; allowPositionals: true; options: O }>
>

/**
 * Parses a CLI's arguments (`node:util` parseArgs, positionals allowed). An unknown or malformed
 * option prints the problem and `help` to stderr and gives exit code 2; `--help`/`-h` (declared in
 * `options`) prints `help` to stdout and gives 0. Otherwise the parsed values and positionals.
 */
export function parseCommandLine<O extends Options>(
  argv: readonly string[],
  options: O,
  help: string,
  io: CliIo,
): Parsed<O> | number {
  let parsed: Parsed<O>
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options })
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${help}`)
    return 2
  }
  if ((parsed.values as { help?: unknown }).help === true) {
    io.out(help)
    return 0
  }
  return parsed
}
