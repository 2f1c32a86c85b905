// `npm run openapi`: writes docs/openapi/{ingest,admin,reconciler}.json, each the document the
// service serves at GET /openapi.json. The services are built in-process against the stack (the
// running one is reused; what this starts is stopped again) with a database of their own, which
// is dropped afterwards. test/e2e/openapi.test.ts fails when a committed file is not current.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ensureStack, repoRoot, stderrLog as log } from '@integration-ledger/local-stack'
import { createTestDatabase } from '@integration-ledger/testing'
import prettier from 'prettier'
import {
  DOCUMENTED_SERVICES,
  buildDocumentedApp,
  documentPath,
  servedDocument,
} from './lib/openapi-documents.js'

const stack = await ensureStack({ prometheus: false, log })
const cleanups: (() => Promise<void> | void)[] = []
try {
  const databaseUrl = await createTestDatabase(
    { after: (fn) => void cleanups.push(fn) },
    stack.env.databaseUrl,
  )
  for (const service of DOCUMENTED_SERVICES) {
    const { app, close } = await buildDocumentedApp(service, databaseUrl, stack.env)
    try {
      const path = join(repoRoot, documentPath(service))
      const text = JSON.stringify(await servedDocument(app), null, 2)
      const options = await prettier.resolveConfig(path)
      await writeFile(path, await prettier.format(text, { ...options, filepath: path }))
      log(`wrote ${documentPath(service)}`)
    } finally {
      await close()
    }
  }
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup()
  await stack.stop()
}
