import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, it } from 'node:test'
import type { FakeProviders } from '@integration-ledger/fake-providers'
import { ManualClock, SMALL, startFakes } from '../support.js'

type Json = Record<string, unknown>

function client(fakes: FakeProviders, scheme = 'Bearer') {
  const { baseUrl, token } = fakes.credentials.github
  return async (pathOrUrl: string, init: RequestInit = {}) => {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${baseUrl}${pathOrUrl}`
    const res = await fetch(url, {
      ...init,
      headers: { authorization: `${scheme} ${token}`, accept: 'application/vnd.github+json' },
    })
    return { res, body: await res.json() }
  }
}

/** `<url>; rel="next", …` → { next: url, … } */
function parseLink(header: string | null): Record<string, string> {
  const links: Record<string, string> = {}
  for (const part of (header ?? '').split(',')) {
    const match = /<([^>]+)>;\s*rel="([^"]+)"/.exec(part)
    if (match?.[1] !== undefined && match[2] !== undefined) links[match[2]] = match[1]
  }
  return links
}

describe('GitHub fake', () => {
  it('walks 650 issues (pull requests included) by following Link rel="next"', async (t) => {
    const fakes = await startFakes(t)
    const get = client(fakes)
    const { owner, repo } = fakes.credentials.github
    let url: string | undefined = `/repos/${owner}/${repo}/issues?state=all&per_page=100`
    const numbers: number[] = []
    let pulls = 0
    let pages = 0
    let lastLink = ''
    for (; url !== undefined; pages++) {
      const { res, body } = await get(url)
      assert.equal(res.status, 200)
      const items = body as Json[]
      numbers.push(...items.map((i) => i['number'] as number))
      pulls += items.filter((i) => i['pull_request'] !== undefined).length
      const links = parseLink(res.headers.get('link'))
      if (pages === 0) lastLink = links['last'] ?? ''
      if (pages > 0) assert.ok(links['first'] !== undefined && links['prev'] !== undefined)
      url = links['next']
    }
    assert.equal(pages, 7)
    assert.equal(new URL(lastLink).searchParams.get('page'), '7')
    assert.equal(numbers.length, 650)
    assert.equal(new Set(numbers).size, 650)
    assert.equal(pulls, 130)
    // Default order: created, descending.
    assert.deepEqual(
      numbers,
      [...numbers].sort((a, b) => b - a),
    )
  })

  it('lists pulls only on /pulls, filters by state and since, and caps per_page at 100', async (t) => {
    const fakes = await startFakes(t)
    const get = client(fakes)
    const open = (await get('/repos/acme/widgets/pulls?per_page=500')).body as Json[]
    assert.equal(open.length, 100)
    assert.ok(
      open.every(
        (p) => p['state'] === 'open' && typeof p['head'] === 'object' && p['pull_request'] === undefined,
      ),
    )
    const threads = fakes.github.records.threads
    const since = new Date((threads[600]?.updatedAt ?? 0) * 1000).toISOString()
    const recent: Json[] = []
    for (let page = 1; ; page++) {
      const items = (
        await get(`/repos/acme/widgets/issues?state=all&since=${since}&per_page=100&page=${page}`)
      ).body as Json[]
      if (items.length === 0) break
      recent.push(...items)
    }
    const expected = threads.filter((th) => th.updatedAt * 1000 >= Date.parse(since)).length
    assert.equal(recent.length, expected)
    assert.ok(recent.every((i) => String(i['updated_at']) >= since.replace('.000Z', 'Z')))
  })

  it('sends x-ratelimit headers and answers 403 with remaining 0 once the hourly quota is spent', async (t) => {
    const clock = new ManualClock()
    const fakes = await startFakes(t, { ...SMALL, clock, github: { ...SMALL.github, requestsPerHour: 3 } })
    const get = client(fakes, 'token')
    const first = await get('/repos/acme/widgets/issues')
    assert.equal(first.res.headers.get('x-ratelimit-limit'), '3')
    assert.equal(first.res.headers.get('x-ratelimit-remaining'), '2')
    assert.equal(first.res.headers.get('x-ratelimit-used'), '1')
    assert.equal(first.res.headers.get('x-ratelimit-resource'), 'core')
    assert.equal(first.res.headers.get('x-ratelimit-reset'), String(Math.ceil(clock.now() / 1000) + 3600))
    await get('/repos/acme/widgets/issues')
    await get('/repos/acme/widgets/issues')
    const over = await get('/repos/acme/widgets/issues')
    assert.equal(over.res.status, 403)
    assert.equal(over.res.headers.get('x-ratelimit-remaining'), '0')
    assert.match(String((over.body as Json)['message']), /^API rate limit exceeded/)
    clock.advance(3600_000)
    assert.equal((await get('/repos/acme/widgets/issues')).res.status, 200)
  })

  it('answers the secondary limit with 403, its documented message and retry-after', async (t) => {
    const clock = new ManualClock()
    const fakes = await startFakes(t, {
      ...SMALL,
      clock,
      github: {
        ...SMALL.github,
        secondaryLimit: { maxConcurrent: 100, pointsPerMinute: 10, retryAfterSeconds: 60 },
      },
    })
    const get = client(fakes)
    for (let i = 0; i < 10; i++) assert.equal((await get('/repos/acme/widgets/issues')).res.status, 200)
    clock.advance(20_000)
    const over = await get('/repos/acme/widgets/issues')
    assert.equal(over.res.status, 403)
    assert.equal(over.res.headers.get('retry-after'), '40')
    assert.match(String((over.body as Json)['message']), /^You have exceeded a secondary rate limit/)
    assert.ok(over.res.headers.get('x-ratelimit-remaining') !== null)
  })

  it('answers too many concurrent requests with the secondary limit', async (t) => {
    const fakes = await startFakes(t, {
      ...SMALL,
      github: {
        ...SMALL.github,
        secondaryLimit: { maxConcurrent: 2, pointsPerMinute: 900, retryAfterSeconds: 7 },
      },
    })
    // Holding the answers keeps all four requests in flight together.
    fakes.github.inject({ action: { kind: 'delay', ms: 300 }, times: 4 })
    const get = client(fakes)
    const answers = await Promise.all(Array.from({ length: 4 }, () => get('/repos/acme/widgets/issues')))
    const limited = answers.filter((a) => a.res.status === 403)
    assert.equal(limited.length, 2)
    assert.equal(limited[0]?.res.headers.get('retry-after'), '7')
  })

  it('pages webhook deliveries by cursor and redelivers one with 202, same guid, redelivery: true', async (t) => {
    const fakes = await startFakes(t)
    const get = client(fakes)
    const { hookId } = fakes.credentials.github
    let url: string | undefined = `/repos/acme/widgets/hooks/${hookId}/deliveries?per_page=30`
    const deliveries: Json[] = []
    while (url !== undefined) {
      const { res, body } = await get(url)
      deliveries.push(...(body as Json[]))
      url = parseLink(res.headers.get('link'))['next']
    }
    assert.equal(deliveries.length, 200)
    assert.equal(new Set(deliveries.map((d) => d['id'])).size, 200)
    const ids = deliveries.map((d) => d['id'] as number)
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => b - a),
    )
    for (const field of [
      'id',
      'guid',
      'delivered_at',
      'redelivery',
      'status',
      'status_code',
      'event',
      'action',
    ]) {
      assert.ok(field in (deliveries[0] ?? {}), field)
    }
    const failed = deliveries.find((d) => (d['status_code'] as number) >= 500 || d['status_code'] === 0)
    assert.ok(failed !== undefined, 'the seed has failed deliveries')
    const attempt = await fetch(
      `${fakes.credentials.github.baseUrl}/repos/acme/widgets/hooks/${hookId}/deliveries/${failed['id'] as number}/attempts`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${fakes.credentials.github.token}` },
      },
    )
    assert.equal(attempt.status, 202)
    await fakes.github.handler.settled()
    const newest = (
      (await get(`/repos/acme/widgets/hooks/${hookId}/deliveries?per_page=1`)).body as Json[]
    )[0]
    assert.equal(newest?.['guid'], failed['guid'])
    assert.equal(newest?.['redelivery'], true)
    assert.equal(newest?.['status_code'], 200)
    assert.equal(fakes.github.operations().length, 1)
  })

  it('redelivers to a webhook target, signed with X-Hub-Signature-256 and the original X-GitHub-Delivery', async (t) => {
    const secret = 'hook-secret'
    const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = []
    const target = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
        res.writeHead(202).end()
      })
    })
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve))
    t.after(() => new Promise<void>((resolve) => target.close(() => resolve())))
    const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/webhooks/repos`
    const fakes = await startFakes(t, { ...SMALL, github: { ...SMALL.github, webhook: { url, secret } } })
    const issue = fakes.github.records.threads.find((th) => th.kind === 'issue')
    fakes.github.records.update(
      'issue',
      String(issue?.number),
      { title: 'Renamed' },
      { webhookDelivered: false },
    )
    const failed = fakes.github.records.deliveries.at(-1)
    assert.equal(failed?.statusCode, 503)
    const { hookId, baseUrl, token } = fakes.credentials.github
    const attempt = await fetch(
      `${baseUrl}/repos/acme/widgets/hooks/${hookId}/deliveries/${failed?.id}/attempts`,
      {
        method: 'POST',
        headers: { authorization: `token ${token}` },
      },
    )
    assert.equal(attempt.status, 202)
    await fakes.github.handler.settled()
    assert.equal(received.length, 1)
    const delivery = received[0]
    assert.equal(delivery?.headers['x-github-delivery'], failed?.guid)
    assert.equal(delivery?.headers['x-github-event'], 'issues')
    const expected = `sha256=${createHmac('sha256', secret)
      .update(delivery?.body ?? '')
      .digest('hex')}`
    assert.equal(delivery?.headers['x-hub-signature-256'], expected)
    const payload = JSON.parse(delivery?.body ?? '{}') as { action: string; issue: Json; repository: Json }
    assert.equal(payload.action, 'edited')
    assert.equal(payload.issue['title'], 'Renamed')
    assert.equal(payload.repository['full_name'], 'acme/widgets')
    assert.equal(fakes.github.records.deliveries.at(-1)?.statusCode, 202)
  })

  it('sends the webhook of each change to the target and logs the answer it got', async (t) => {
    const statuses = [500, 200]
    const answered = new Map<string, number>()
    const target = createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        const status = statuses.shift() ?? 200
        answered.set(String(req.headers['x-github-delivery']), status)
        res.writeHead(status).end()
      })
    })
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve))
    t.after(() => new Promise<void>((resolve) => target.close(() => resolve())))
    const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/hook`
    const fakes = await startFakes(t, SMALL)
    fakes.github.handler.setWebhookTarget({ url, secret: 's' })
    const pull = fakes.github.records.threads.find((th) => th.kind === 'pull')
    fakes.github.records.update('pull', String(pull?.number), { title: 'One' })
    fakes.github.records.update('pull', String(pull?.number), { title: 'Two' })
    await fakes.github.handler.settled()
    const logged = fakes.github.records.deliveries.slice(-2)
    assert.equal(answered.size, 2)
    for (const delivery of logged) {
      assert.equal(delivery.event, 'pull_request')
      assert.equal(delivery.statusCode, answered.get(delivery.guid))
      assert.equal(delivery.status, delivery.statusCode === 500 ? 'Invalid HTTP Response: 500' : 'OK')
    }
    const titles = logged.map((d) => (d.payload['pull_request'] as Json)['title']).sort()
    assert.deepEqual(titles, ['One', 'Two'], 'each payload is a snapshot of its change')
  })

  it('answers 401 Bad credentials or Requires authentication, and 410 for a deleted issue', async (t) => {
    const fakes = await startFakes(t, SMALL)
    const { baseUrl } = fakes.credentials.github
    const none = await fetch(`${baseUrl}/repos/acme/widgets/issues`)
    assert.equal(none.status, 401)
    assert.equal(((await none.json()) as Json)['message'], 'Requires authentication')
    const wrong = await fetch(`${baseUrl}/repos/acme/widgets/issues`, {
      headers: { authorization: 'token ghp_wrong' },
    })
    assert.equal(wrong.status, 401)
    assert.deepEqual(await wrong.json(), {
      message: 'Bad credentials',
      documentation_url: 'https://docs.github.com/rest',
      status: '401',
    })
    const issue = fakes.github.records.threads.find((th) => th.kind === 'issue')
    fakes.github.records.remove('issue', String(issue?.number))
    const gone = await client(fakes)(`/repos/acme/widgets/issues/${issue?.number}`)
    assert.equal(gone.res.status, 410)
    const other = await client(fakes)('/repos/acme/other/issues')
    assert.equal(other.res.status, 404)
  })
})
