import type { Delivery, RepositoryRef, Thread } from './store.js'

/** GitHub's timestamps: ISO 8601, UTC, whole seconds. */
export function githubTime(seconds: number | null): string | null {
  return seconds === null ? null : new Date(seconds * 1000).toISOString().replace('.000Z', 'Z')
}

function user(login: string, api: string): Record<string, unknown> {
  const id = [...login].reduce((sum, c) => sum * 31 + c.charCodeAt(0), 7) % 100_000_000
  return {
    login,
    id,
    node_id: `U_kgDO${id}`,
    url: `${api}/users/${login}`,
    html_url: `https://github.com/${login}`,
    type: 'User',
    site_admin: false,
  }
}

/** The repository object as webhook payloads and PR heads carry it. */
export function repositoryView(repo: RepositoryRef, api: string): Record<string, unknown> {
  return {
    id: repo.id,
    node_id: `R_kgDO${repo.id}`,
    name: repo.name,
    full_name: `${repo.owner}/${repo.name}`,
    private: true,
    owner: user(repo.owner, api),
    html_url: `https://github.com/${repo.owner}/${repo.name}`,
    url: `${api}/repos/${repo.owner}/${repo.name}`,
  }
}

/** The issues endpoint's view; a pull request carries the `pull_request` key, as GitHub's does. */
export function issueView(thread: Thread, repo: RepositoryRef, api: string): Record<string, unknown> {
  const base = `${api}/repos/${repo.owner}/${repo.name}`
  const html = `https://github.com/${repo.owner}/${repo.name}`
  const view: Record<string, unknown> = {
    url: `${base}/issues/${thread.number}`,
    repository_url: base,
    labels_url: `${base}/issues/${thread.number}/labels{/name}`,
    comments_url: `${base}/issues/${thread.number}/comments`,
    events_url: `${base}/issues/${thread.number}/events`,
    html_url: `${html}/${thread.kind === 'pull' ? 'pull' : 'issues'}/${thread.number}`,
    id: thread.issueId,
    node_id: `I_kwDO${thread.issueId}`,
    number: thread.number,
    title: thread.title,
    user: user(thread.user, api),
    labels: thread.labels.map((name, i) => ({
      id: 5_000_000 + i,
      name,
      color: 'ededed',
      default: i === 0,
      description: null,
    })),
    state: thread.state,
    state_reason: thread.stateReason,
    locked: false,
    assignee: null,
    assignees: [],
    milestone: null,
    comments: thread.comments,
    created_at: githubTime(thread.createdAt),
    updated_at: githubTime(thread.updatedAt),
    closed_at: githubTime(thread.closedAt),
    author_association: 'MEMBER',
    active_lock_reason: null,
    body: thread.body,
    timeline_url: `${base}/issues/${thread.number}/timeline`,
    performed_via_github_app: null,
  }
  if (thread.kind === 'pull') {
    view['draft'] = thread.draft
    view['pull_request'] = {
      url: `${base}/pulls/${thread.number}`,
      html_url: `${html}/pull/${thread.number}`,
      diff_url: `${html}/pull/${thread.number}.diff`,
      patch_url: `${html}/pull/${thread.number}.patch`,
      merged_at: githubTime(thread.mergedAt),
    }
  }
  return view
}

/** The pulls endpoint's view of a pull request. */
export function pullView(thread: Thread, repo: RepositoryRef, api: string): Record<string, unknown> {
  const base = `${api}/repos/${repo.owner}/${repo.name}`
  const html = `https://github.com/${repo.owner}/${repo.name}`
  const repository = repositoryView(repo, api)
  return {
    url: `${base}/pulls/${thread.number}`,
    id: thread.pullId,
    node_id: `PR_kwDO${thread.pullId}`,
    html_url: `${html}/pull/${thread.number}`,
    diff_url: `${html}/pull/${thread.number}.diff`,
    patch_url: `${html}/pull/${thread.number}.patch`,
    issue_url: `${base}/issues/${thread.number}`,
    number: thread.number,
    state: thread.state,
    locked: false,
    title: thread.title,
    user: user(thread.user, api),
    body: thread.body,
    labels: thread.labels.map((name, i) => ({
      id: 5_000_000 + i,
      name,
      color: 'ededed',
      default: i === 0,
      description: null,
    })),
    milestone: null,
    created_at: githubTime(thread.createdAt),
    updated_at: githubTime(thread.updatedAt),
    closed_at: githubTime(thread.closedAt),
    merged_at: githubTime(thread.mergedAt),
    merge_commit_sha: thread.mergedAt === null ? null : thread.headSha,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    draft: thread.draft,
    head: {
      label: `${repo.owner}:feature-${thread.number}`,
      ref: `feature-${thread.number}`,
      sha: thread.headSha,
      repo: repository,
    },
    base: {
      label: `${repo.owner}:main`,
      ref: 'main',
      sha: thread.headSha.split('').reverse().join(''),
      repo: repository,
    },
    author_association: 'MEMBER',
    auto_merge: null,
    active_lock_reason: null,
  }
}

/** A delivery as the list endpoint shows it (no request or response). */
export function deliveryItem(delivery: Delivery, repo: RepositoryRef): Record<string, unknown> {
  return {
    id: delivery.id,
    guid: delivery.guid,
    delivered_at: githubTime(delivery.deliveredAt),
    redelivery: delivery.redelivery,
    duration: delivery.duration,
    status: delivery.status,
    status_code: delivery.statusCode,
    event: delivery.event,
    action: delivery.action,
    installation_id: null,
    repository_id: repo.id,
    throttled_at: null,
  }
}
