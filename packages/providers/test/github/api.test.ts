import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LedgerError } from '@integration-ledger/core'
import { derivePolicy, githubPolicy } from '@integration-ledger/outbound'
import { signGithub } from '@integration-ledger/testing'
import {
  GithubApi,
  type GithubThreadItem,
  extractDelivery,
  isFailedDelivery,
  parseSourceConfig,
} from '../../src/index.js'
import { clientFor, collect, firstItem, startFakes } from '../api/support.js'

const WEBHOOK_SECRET = 'github-scan-agreement'
const source = parseSourceConfig({ name: 'code', kind: 'github', secrets: [WEBHOOK_SECRET] }, {})

async function githubApi(t: Parameters<typeof startFakes>[0]) {
  const fakes = await startFakes(t)
  const { baseUrl, token, owner, repo, hookId } = fakes.credentials.github
  const client = clientFor(t, derivePolicy(githubPolicy, { baseUrl }), token)
  return { fakes, client, hookId, api: new GithubApi({ client, credentialId: 'gh_fake', owner, repo }) }
}

/** Runs the fake's newest delivery through the webhook path, signed as GitHub signs it. */
async function newestDeliveryEntity(api: GithubApi, hookId: number) {
  const newest = await firstItem(api.deliveries(hookId, { perPage: 1 }))
  assert.ok(newest)
  const detail = await api.delivery(hookId, newest.id)
  assert.ok(detail?.request.payload)
  const body = JSON.stringify(detail.request.payload)
  const headers = { ...detail.request.headers, ...signGithub({ body, secret: WEBHOOK_SECRET }) }
  const extracted = extractDelivery(source, Buffer.from(body), headers, Date.now())
  assert.ok(extracted.ok, extracted.ok ? '' : extracted.message)
  const { entityType, entityId, entityVersion } = extracted.delivery
  return { entityType, entityId, entityVersion }
}

describe('GithubApi against the fake GitHub', () => {
  it('pages through 520 issues and 130 pull requests by Link without a rate-limit answer', async (t) => {
    const { fakes, api } = await githubApi(t)
    const { items, pages } = await collect(api.issues({ perPage: 50 }))
    assert.equal(pages, 13)
    assert.equal(items.length, 650)
    assert.equal(new Set(items.map((i) => i.entity.entityId)).size, 650)
    assert.equal(items.filter((i) => i.entity.entityType === 'issue').length, 520)
    assert.equal(items.filter((i) => i.entity.entityType === 'pull_request').length, 130)
    assert.match(items[0]?.entity.entityId ?? '', /^acme\/widgets#\d+$/)
    const versions = items.map((i) => i.entity.entityVersion)
    assert.deepEqual(
      versions,
      [...versions].sort((a, b) => b - a),
      'sorted by updated, newest first',
    )

    const cut = new Date(versions[100] ?? 0)
    const recent = await collect(api.issues({ since: cut }))
    assert.ok(recent.items.length >= 101 && recent.items.length < 650)
    assert.ok(recent.items.every((i) => i.entity.entityVersion >= cut.getTime()))

    const pulls = await collect(api.pulls())
    assert.equal(pulls.items.length, 130)
    assert.deepEqual(
      fakes.github.requests().filter((r) => r.status !== 200),
      [],
      'not a single 403/429 while the fake enforced the primary and secondary limits',
    )
  })

  it('resumes a walk from a page link', async (t) => {
    const { api } = await githubApi(t)
    const seen: string[] = []
    let next: string | undefined
    for await (const page of api.issues({ perPage: 100 })) {
      seen.push(...page.items.map((i) => i.entity.entityId))
      next = page.next
      break
    }
    assert.ok(next)
    const rest = await collect(api.issues({ resumeFrom: next }))
    const all = [...seen, ...rest.items.map((i) => i.entity.entityId)]
    assert.equal(new Set(all).size, 650)
  })

  it('maps an issue and a pull request exactly as the webhook path maps their deliveries', async (t) => {
    const { fakes, api, hookId } = await githubApi(t)
    const { items } = await collect(api.issues())
    const issue = items.find((i) => i.entity.entityType === 'issue')
    const pull = items.find((i) => i.entity.entityType === 'pull_request')
    assert.ok(issue && pull)
    const rescan = async (number: number): Promise<GithubThreadItem | undefined> =>
      (await collect(api.issues())).items.find((i) => i.thread.number === number)

    fakes.github.records.update('issue', String(issue.thread.number), { title: 'Changed' })
    const issueDelivery = await newestDeliveryEntity(api, hookId)
    assert.deepEqual((await rescan(issue.thread.number))?.entity, issueDelivery)

    fakes.github.records.update('pull', String(pull.thread.number), { title: 'Changed too' })
    const pullDelivery = await newestDeliveryEntity(api, hookId)
    assert.deepEqual((await rescan(pull.thread.number))?.entity, pullDelivery, 'issues endpoint')
    const fromPulls = (await collect(api.pulls())).items.find((i) => i.thread.number === pull.thread.number)
    assert.deepEqual(fromPulls?.entity, pullDelivery, 'pulls endpoint')
  })

  it('retrieves one issue mapped as its listing; deleted (410) and unknown (404) are undefined', async (t) => {
    const { fakes, api } = await githubApi(t)
    const { items } = await collect(api.issues())
    const issue = items.find((i) => i.entity.entityType === 'issue')
    const pull = items.find((i) => i.entity.entityType === 'pull_request')
    assert.ok(issue && pull)
    assert.deepEqual((await api.issue(issue.thread.number))?.entity, issue.entity)
    assert.equal((await api.issue(pull.thread.number))?.entity.entityType, 'pull_request')
    fakes.github.records.remove('issue', String(issue.thread.number))
    assert.equal(await api.issue(issue.thread.number), undefined)
    assert.equal(await api.issue(99_999), undefined)
    assert.deepEqual(
      fakes.github
        .requests({ path: `/repos/acme/widgets/issues/${issue.thread.number}` })
        .map((r) => r.status),
      [200, 410],
    )
  })

  it('lists the failed deliveries across pages', async (t) => {
    const { api, hookId } = await githubApi(t)
    const all = await collect(api.deliveries(hookId, { perPage: 30 }))
    assert.ok(all.pages > 1)
    assert.ok(all.items.length >= 200)
    const failed = await collect(api.failedDeliveries(hookId, { perPage: 30 }))
    assert.ok(failed.items.length > 0)
    assert.deepEqual(failed.items, all.items.filter(isFailedDelivery))
    assert.ok(failed.items.every((d) => d.status_code >= 400 || d.status !== 'OK'))
  })

  it('a redelivery request dropped after processing is ambiguous, not retried, and resolved from the log', async (t) => {
    const { fakes, api, hookId } = await githubApi(t)
    const [failed] = (await collect(api.failedDeliveries(hookId))).items
    assert.ok(failed)
    fakes.github.inject({ method: 'POST', times: 1, action: { kind: 'drop-after-processing' } })
    const requestedAt = Date.now()
    const result = await api.redeliver(hookId, failed.id)
    assert.equal(result.kind, 'ambiguous')
    assert.equal(result.kind === 'ambiguous' ? result.reason : '', 'connection-lost')
    assert.equal(fakes.github.requests({ method: 'POST' }).length, 1, 'never sent twice')
    assert.equal(fakes.github.operations().length, 1)
    const found = await api.findRedelivery(hookId, failed.guid, requestedAt - 1_000)
    assert.equal(found?.guid, failed.guid, 'the log shows the redelivery happened')
    assert.equal(found?.redelivery, true)

    assert.deepEqual(await api.redeliver(hookId, failed.id), { kind: 'requested' })
  })

  it('a 400 is never retried', async (t) => {
    const { fakes, api } = await githubApi(t)
    fakes.github.inject({
      path: '/repos/acme/widgets/issues',
      times: 3,
      action: { kind: 'status', status: 400 },
    })
    await assert.rejects(collect(api.issues()), (err: unknown) => {
      assert.ok(err instanceof LedgerError)
      assert.equal(err.code, 'PROVIDER_REJECTED')
      return true
    })
    assert.equal(fakes.github.requests({ path: '/repos/acme/widgets/issues' }).length, 1)
  })
})
