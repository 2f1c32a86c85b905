import { OutboundClient, derivePolicy, githubPolicy } from '@integration-ledger/outbound'
import { GithubApi } from '@integration-ledger/providers'
import { z } from 'zod'
import { GithubDeliveriesCatchUp } from '../catchup/github-deliveries.js'
import { GithubIssuesSource, githubIssueComparison } from '../remote/github-issues.js'
import { type BuiltTarget, type TargetDeps, commonSourceFields, credentialEnvSchema } from './common.js'

/**
 * A GitHub repository: its issues, and catch-up by asking GitHub to redeliver the repository
 * webhook's failed deliveries (needs `hookId`; the redelivery goes through ingest's webhook path).
 */
export const githubSourceSchema = z.object({
  ...commonSourceFields,
  kind: z.literal('github'),
  /** The REST API's origin (GitHub Enterprise: `https://HOST/api/v3`). @default 'https://api.github.com' */
  baseUrl: z.url().default('https://api.github.com'),
  /** Environment variable holding the token (needs issues read, and webhooks admin for catch-up). @default 'GITHUB_TOKEN' */
  credentialEnv: credentialEnvSchema.default('GITHUB_TOKEN'),
  /** The repository's owner (user or organisation). */
  owner: z.string().min(1),
  /** The repository's name. */
  repo: z.string().min(1),
  /** The repository webhook that delivers to ingest; absent: no catch-up. @default undefined */
  hookId: z.number().int().positive().optional(),
  /** @default ['issue'] */
  entityTypes: z.array(z.literal('issue')).min(1).default(['issue']),
  /** Redeliveries asked per failed delivery, in all. @default 3 */
  redeliveryMaxAttempts: z.number().int().min(1).max(10).default(3),
})

export type GithubSourceConfig = z.output<typeof githubSourceSchema>

export function buildGithubTarget(source: GithubSourceConfig, secret: string, deps: TargetDeps): BuiltTarget {
  const client = new OutboundClient({
    policy: derivePolicy(githubPolicy, { baseUrl: source.baseUrl }),
    credentials: () => secret,
    registry: deps.registry,
    onResult: deps.calls.record,
  })
  const api = new GithubApi({ client, credentialId: 'default', owner: source.owner, repo: source.repo })
  return {
    client,
    remote: new GithubIssuesSource({
      api,
      calls: deps.calls,
      repository: `${source.owner}/${source.repo}`,
      pageSize: source.pageSize,
    }),
    comparison: githubIssueComparison,
    ...(source.hookId === undefined || !source.catchUp
      ? {}
      : {
          catchUp: new GithubDeliveriesCatchUp({
            api,
            hookId: source.hookId,
            maxAttempts: source.redeliveryMaxAttempts,
            settleTimeoutMs: source.catchUpSettleSeconds * 1000,
          }),
        }),
  }
}
