// Progress lines for people watching a terminal: one line per step, on stderr so stdout stays free
// for what a caller may parse (the endpoints).

/** Where progress lines go. */
export type Log = (line: string) => void

/** Default sink: `[infra] <line>` on stderr. */
export function stderrLog(line: string): void {
  process.stderr.write(`[infra] ${line}\n`)
}

/** Seconds since `startMs`, one decimal, for "ready in 4.2s". */
export function since(startMs: number): string {
  return `${((Date.now() - startMs) / 1000).toFixed(1)}s`
}
