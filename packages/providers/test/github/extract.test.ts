import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { extractDelivery, parseSourceConfig } from '../../src/index.js'

const source = parseSourceConfig({ name: 'gh', kind: 'github', secrets: ['x'] }, {})
const RECEIVED = 1_700_000_000_000
const headers = {
  'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
  'x-github-event': 'issues',
  'x-github-hook-id': '292430182',
  'user-agent': 'GitHub-Hookshot/044aadd',
}
const repository = {
  id: 1296269,
  node_id: 'MDEwOlJlcG9zaXRvcnkxMjk2MjY5',
  name: 'Hello-World',
  full_name: 'octocat/Hello-World',
  private: false,
  updated_at: '2011-01-26T19:14:43Z',
}

// Shape of a real `issues` / `opened` delivery, trimmed.
const issuesOpened = {
  action: 'opened',
  issue: {
    id: 1,
    node_id: 'MDU6SXNzdWUx',
    number: 1347,
    title: 'Found a bug',
    state: 'open',
    user: { login: 'octocat', id: 1 },
    created_at: '2011-04-22T13:33:48Z',
    updated_at: '2011-04-22T13:33:48Z',
  },
  repository,
  sender: { login: 'octocat', id: 1 },
}

describe('github extraction', () => {
  it('extracts an issues.opened delivery', () => {
    assert.deepEqual(extractDelivery(source, JSON.stringify(issuesOpened), headers, RECEIVED), {
      ok: true,
      delivery: {
        providerEventId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
        type: 'issues.opened',
        entityType: 'issue',
        entityId: 'octocat/Hello-World#1347',
        entityVersion: Date.parse('2011-04-22T13:33:48Z'),
        occurredAtMs: Date.parse('2011-04-22T13:33:48Z'),
      },
    })
  })

  it('keys a comment on a pull request as the pull request', () => {
    const comment = {
      action: 'created',
      issue: {
        ...issuesOpened.issue,
        pull_request: { url: 'https://api.github.com/repos/octocat/Hello-World/pulls/1347' },
      },
      comment: { id: 99, body: 'LGTM' },
      repository,
    }
    const result = extractDelivery(
      source,
      JSON.stringify(comment),
      { ...headers, 'x-github-event': 'issue_comment' },
      RECEIVED,
    )
    assert.ok(result.ok)
    assert.equal(result.delivery.type, 'issue_comment.created')
    assert.equal(result.delivery.entityType, 'pull_request')
    assert.equal(result.delivery.entityId, 'octocat/Hello-World#1347')
  })

  it('falls back to the repository and to the receipt time for events without a timestamped object', () => {
    const push = {
      ref: 'refs/heads/main',
      repository: { ...repository, updated_at: undefined },
      pusher: { name: 'octocat' },
    }
    const result = extractDelivery(
      source,
      JSON.stringify(push),
      { ...headers, 'x-github-event': 'push' },
      RECEIVED,
    )
    assert.ok(result.ok)
    assert.deepEqual(
      {
        type: result.delivery.type,
        entityType: result.delivery.entityType,
        entityId: result.delivery.entityId,
        version: result.delivery.entityVersion,
      },
      { type: 'push', entityType: 'repository', entityId: 'octocat/Hello-World', version: RECEIVED },
    )
  })

  it('needs the delivery and event headers', () => {
    const result = extractDelivery(
      source,
      JSON.stringify(issuesOpened),
      { 'x-github-event': 'issues' },
      RECEIVED,
    )
    assert.equal(!result.ok && result.reason, 'validation_failed')
  })

  it('reports a delivery with no known entity object as missing_entity', () => {
    const result = extractDelivery(
      source,
      JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 }),
      { ...headers, 'x-github-event': 'ping' },
      RECEIVED,
    )
    assert.equal(!result.ok && result.reason, 'missing_entity')
  })
})
