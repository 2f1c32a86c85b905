import { readFile } from 'node:fs/promises'
import { type Environment, SourcesConfigError } from '@integration-ledger/providers'
import { parseDocument } from 'yaml'
import { type SourcesFile, parseSourcesConfig } from './parse-sources-config.js'

/**
 * Reads, parses and validates a YAML (or JSON) sources file. Meant for boot: every failure is a
 * `SourcesConfigError` naming the file, so the service can refuse to start with a clear message.
 * @throws SourcesConfigError (CONFIG_INVALID) when the file is unreadable, not YAML, or invalid.
 */
export async function loadSourcesFile(path: string, env: Environment): Promise<SourcesFile> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'unknown error'
    throw new SourcesConfigError(
      path,
      [{ path: '(file)', message: `cannot be read (${code}); check the path and permissions` }],
      { cause },
    )
  }
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true })
  if (document.errors.length > 0) {
    const issues = document.errors.map((error) => ({
      path: '(yaml)',
      message: error.message.split('\n')[0] ?? error.code,
    }))
    throw new SourcesConfigError(path, issues)
  }
  return parseSourcesConfig(document.toJS(), env, path)
}
