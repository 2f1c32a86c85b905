// Webhook bodies for the benchmarks' realistic-payload profile. Sizes follow what providers send:
// Stripe events are 1–5 KB, Shopify orders and GitHub issue/pull-request events 5–30 KB (GitHub's
// repository and sender objects alone are ~6 KB of URLs), GitHub pushes with many commits and
// large Shopify orders 100 KB and more (GitHub caps payloads at 25 MB). The bodies are GitHub
// push-shaped JSON (URLs, hex IDs, file lists), so they compress as real ones do, not as padding.

import { seededRandom, signGithub } from '@integration-ledger/testing'

/** Share of deliveries per size band, smallest first; each band's sizes are uniform within it. */
export const REALISTIC_SIZE_BANDS: readonly { share: number; minBytes: number; maxBytes: number }[] = [
  { share: 0.55, minBytes: 1_000, maxBytes: 4_000 },
  { share: 0.3, minBytes: 4_000, maxBytes: 16_000 },
  { share: 0.12, minBytes: 16_000, maxBytes: 64_000 },
  { share: 0.03, minBytes: 100_000, maxBytes: 400_000 },
]

const hex = (next: () => number, length: number) =>
  Array.from({ length }, () => Math.floor(next() * 16).toString(16)).join('')

function repository(n: number, urls: number) {
  const base = `https://api.github.com/repos/acme/service-${n}`
  const repo: Record<string, unknown> = {
    id: 100_000 + n,
    node_id: `R_kgDO${n}`,
    name: `service-${n}`,
    full_name: `acme/service-${n}`,
    private: true,
    owner: { login: 'acme', id: 42, type: 'Organization', url: 'https://api.github.com/users/acme' },
    html_url: `https://github.com/acme/service-${n}`,
    pushed_at: 1_764_590_400 + n,
  }
  const kinds = ['forks', 'keys', 'collaborators', 'teams', 'hooks', 'issue_events', 'events', 'assignees']
  for (let i = 0; i < urls; i++)
    repo[`${kinds[i % kinds.length]}_url${i}`] = `${base}/${kinds[i % kinds.length]}{/id}`
  return repo
}

/** A GitHub push body of about `bytes` bytes (within a few hundred), delivery number `n`. */
export function pushBody(n: number, bytes: number): string {
  const next = seededRandom(n + 1)
  const body = {
    ref: 'refs/heads/main',
    before: hex(next, 40),
    after: hex(next, 40),
    repository: repository(n % 1000, Math.min(40, Math.max(4, Math.floor(bytes / 150)))),
    sender: { login: `dev${n % 50}`, id: 1000 + (n % 50), type: 'User' },
    commits: [] as unknown[],
  }
  let size = JSON.stringify(body).length
  for (let c = 0; size < bytes; c++) {
    const commit = {
      id: hex(next, 40),
      tree_id: hex(next, 40),
      message: `Change ${c} of push ${n}: update handler and tests`,
      timestamp: '2026-11-30T12:00:00Z',
      url: `https://github.com/acme/service-${n % 1000}/commit/${hex(next, 40)}`,
      author: { name: `Dev ${n % 50}`, email: `dev${n % 50}@example.com`, username: `dev${n % 50}` },
      added: [`src/feature-${c}/index.ts`],
      modified: Array.from({ length: 1 + (c % 6) }, (_, f) => `src/feature-${c}/part-${f}.ts`),
      removed: [],
    }
    body.commits.push(commit)
    size += JSON.stringify(commit).length + 1
  }
  return JSON.stringify(body)
}

/** `count` body sizes drawn from `REALISTIC_SIZE_BANDS`, deterministic. */
export function realisticSizes(count: number, seed = 7): number[] {
  const next = seededRandom(seed)
  return Array.from({ length: count }, () => {
    let pick = next()
    for (const band of REALISTIC_SIZE_BANDS) {
      if (pick < band.share) return Math.round(band.minBytes + next() * (band.maxBytes - band.minBytes))
      pick -= band.share
    }
    return REALISTIC_SIZE_BANDS[0]?.minBytes ?? 1000
  })
}

/** A pool of realistic bodies to cycle through (generating and signing per request would load the generator). */
export function realisticBodies(count: number): string[] {
  return realisticSizes(count).map((bytes, n) => pushBody(n, bytes))
}

/**
 * The small profile's delivery number `n`: a signed GitHub `repository` event of ~120 bytes, with
 * the delivery ID given. 1,000 repositories: keys spread over every partition, several events each.
 */
export function smallGithubDelivery(
  n: number,
  deliveryId: string,
  secret: string,
): { body: string; headers: Record<string, string> } {
  const body = `{"action":"edited","repository":{"id":${n % 1000},"full_name":"bench/r${n % 1000}"},"sender":{"login":"bench"}}`
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'repository',
      'x-github-delivery': deliveryId,
      ...signGithub({ body, secret }),
    },
  }
}
