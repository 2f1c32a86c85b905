import { userInfo } from 'node:os'
import {
  type AdminIdentity,
  type AdminTokenInfo,
  AdminTokenStore,
  AuditLog,
  type CreatedAdminToken,
  migrateAccess,
} from '@integration-ledger/access'
import { LedgerError, findLedgerError } from '@integration-ledger/core'
import { createPool } from '@integration-ledger/postgres'
import { type CliIo, parseCommandLine, parseEnv, stackEnvSchema } from '@integration-ledger/service-kit'

export const ADMIN_HELP = `Usage: npm run admin -- tokens <command> [options]

Named admin tokens: each has a name (recorded as who acted in the audit log) and a role,
read-only (GET only; anything else answers 403) or operator. Only a hash of each token is stored;
the token is printed once, when it is created.

Commands:
  tokens create --name <name> --role read-only|operator
                             Create a token and print it (store it now: it is not shown again).
  tokens list                List every token, live and revoked, without secrets.
  tokens revoke <name>       Revoke the live token of that name; refused from its next request on.

Options:
  --url <admin URL>          Go through the admin API, authenticated with $LEDGER_ADMIN_TOKEN
                             (the bootstrap token, or a named operator token); default
                             $LEDGER_ADMIN_URL. Without either, work on the database directly
                             (DATABASE_URL), recorded in the audit log as cli:<OS user>.
  --name <name>              create: 1-63 of a-z 0-9 . _ -, e.g. ada or ci-deploy
  --role <role>              create: read-only | operator
  --json                     Print JSON
  -h, --help                 Show this help

Examples:
  # The first token, with the bootstrap token from the admin service's environment:
  LEDGER_ADMIN_TOKEN=dev-admin-token-not-for-production \\
    npm run admin -- tokens create --name ada --role operator --url http://127.0.0.1:8081
  npm run admin -- tokens create --name dashboard --role read-only
  npm run admin -- tokens list
  npm run admin -- tokens revoke dashboard
`

/** What the commands need, over the API or on the database. */
interface TokenClient {
  create(name: string, role: string): Promise<CreatedAdminToken>
  list(): Promise<AdminTokenInfo[]>
  revoke(name: string): Promise<AdminTokenInfo>
  close(): Promise<void>
}

/** Runs the admin CLI; returns the process exit code (0 ok, 1 failure, 2 usage error). */
export async function runAdminCli(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    {
      url: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    ADMIN_HELP,
    io,
  )
  if (typeof parsed === 'number') return parsed
  const { values, positionals } = parsed
  const [group, command, ...rest] = positionals
  if (group === undefined) {
    io.out(ADMIN_HELP)
    return 2
  }
  const usage =
    group !== 'tokens'
      ? `Unknown command "${group}"; expected tokens.`
      : command === 'create'
        ? values.name === undefined || values.role === undefined
          ? 'tokens create needs --name and --role.'
          : undefined
        : command === 'list'
          ? undefined
          : command === 'revoke'
            ? rest.length !== 1
              ? 'tokens revoke needs the name of the token.'
              : undefined
            : `Unknown tokens command "${command ?? ''}"; expected create, list or revoke.`
  if (usage !== undefined) {
    io.err(`${usage}\n\n${ADMIN_HELP}`)
    return 2
  }

  let client: TokenClient | undefined
  try {
    const url = values.url ?? io.env.LEDGER_ADMIN_URL
    client = url === undefined ? await databaseClient(io) : apiClient(url, io)
    const print = (value: unknown) => io.out(JSON.stringify(value, null, 2))
    switch (command) {
      case 'create': {
        const created = await client.create(values.name!, values.role!)
        if (values.json) print(created)
        else {
          io.out(
            `created ${created.role} token "${created.name}" (${created.id}); store it now, it is not shown again:`,
          )
          io.out(created.token)
        }
        break
      }
      case 'list': {
        const tokens = await client.list()
        if (values.json) print(tokens)
        else if (tokens.length === 0) io.out('No admin tokens yet; create one with tokens create.')
        else {
          io.out(['NAME', 'ROLE', 'STATUS', 'CREATED', 'BY', 'ID'].join('\t'))
          for (const t of tokens) {
            const status = t.revokedAt === null ? 'live' : `revoked ${t.revokedAt} by ${t.revokedBy}`
            io.out([t.name, t.role, status, t.createdAt, t.createdBy, t.id].join('\t'))
          }
        }
        break
      }
      case 'revoke': {
        const revoked = await client.revoke(rest[0]!)
        if (values.json) print(revoked)
        else io.out(`revoked token "${revoked.name}" (${revoked.id})`)
        break
      }
    }
    return 0
  } catch (err) {
    const ledgerError = findLedgerError(err)
    io.err(ledgerError ? `${ledgerError.code}: ${ledgerError.message}` : `Failed: ${(err as Error).message}`)
    return ledgerError?.code === 'VALIDATION_FAILED' || ledgerError?.code === 'CONFIG_INVALID' ? 2 : 1
  } finally {
    await client?.close().catch(() => {})
  }
}

/** Directly on the database: whoever can reach it is trusted already, so the OS user is recorded. */
async function databaseClient(io: CliIo): Promise<TokenClient> {
  const env = parseEnv(stackEnvSchema, io.env)
  const pool = createPool({ connectionString: env.DATABASE_URL, max: 2 })
  try {
    await migrateAccess(pool)
  } catch (err) {
    await pool.end()
    throw err
  }
  const store = new AdminTokenStore(pool)
  const audit = new AuditLog(pool, 'admin-cli')
  const actor: AdminIdentity = {
    name: `cli:${io.env.USER ?? userInfo().username}`,
    role: 'operator',
    tokenId: null,
  }
  return {
    create: (name, role) =>
      audit.track(
        { actor, action: 'token.create', target: `token:${name}` },
        () => store.create({ name, role }, actor.name),
        (created) => ({ tokenId: created.id, role: created.role }),
      ),
    list: () => store.list(),
    revoke: (name) =>
      audit.track(
        { actor, action: 'token.revoke', target: `token:${name}` },
        () => store.revoke(name, actor.name),
        (revoked) => ({ tokenId: revoked.id }),
      ),
    close: () => pool.end(),
  }
}

/** Through the admin API, which audits each call under the token's name. */
function apiClient(baseUrl: string, io: CliIo): TokenClient {
  const token = io.env.LEDGER_ADMIN_TOKEN
  if (!token) {
    throw new LedgerError(
      'CONFIG_INVALID',
      'Set LEDGER_ADMIN_TOKEN to the bootstrap token or a named operator token to use --url.',
    )
  }
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(new URL(path, baseUrl), {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await response.text()
    if (!response.ok) {
      let answer: { error?: string; message?: string } = {}
      try {
        answer = JSON.parse(text) as typeof answer
      } catch {
        // Not the API's error shape; the status is reported below.
      }
      throw new Error(`${answer.error ?? `HTTP ${response.status}`}: ${answer.message ?? text.slice(0, 200)}`)
    }
    return JSON.parse(text) as T
  }
  return {
    create: (name, role) => call('POST', '/tokens', { name, role }),
    list: async () => (await call<{ tokens: AdminTokenInfo[] }>('GET', '/tokens')).tokens,
    revoke: (name) => call('DELETE', `/tokens/${encodeURIComponent(name)}`),
    close: async () => {},
  }
}
