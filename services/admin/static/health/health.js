// The integration health page: polls GET /health/summary with the admin token and renders it.
// Everything shown is built with DOM nodes and text nodes, never as markup (innerHTML): DLQ error
// messages, entity IDs and alert texts can carry whatever a sender put in a payload.
// Polling, not EventSource: an EventSource cannot send an Authorization header, and the token must
// never be in a URL (logs, history, Referer).

const TOKEN_KEY = 'ledger-admin-token'
const $ = (id) => document.getElementById(id)

/**
 * `h('td', { class: 'num', dataset: { field: 'lag' } }, 'text', node…)`: an element; strings become
 * text. Buttons name what they do in `data-action` and its target in other data attributes; one
 * listener reads those at click time (see the end), so a button re-rendered under the pointer
 * still acts on what it shows now.
 */
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag)
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue
    if (key === 'dataset') Object.assign(el.dataset, value)
    else if (key === 'class') el.className = value
    else el.setAttribute(key, String(value))
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue
    el.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child)
  }
  return el
}

const fmtCount = (n) => (n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en-US'))
const fmtRate = (n) => (n === null || n === undefined || Number.isNaN(n) ? '–' : `${n.toFixed(2)}/s`)
function fmtAge(seconds) {
  if (seconds === null || seconds === undefined) return '–'
  const s = Math.round(seconds)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`
}
const fmtReasons = (byReason) =>
  Object.entries(byReason)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason} ${fmtCount(n)}`)
    .join(', ') || '0'
const yesNo = (value, yes, no) => (value === null || value === undefined ? '–' : value ? yes : no)

/** A cell with its raw value in `data-value`, so what is shown can be checked against the metrics. */
const cell = (field, value, text, cls = 'num') =>
  h('td', { class: cls, dataset: { field, value: value ?? '' } }, text)

function table(headings, rows, empty) {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty)
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headings.map((t) => h('th', {}, t)),
      ),
    ),
    h('tbody', {}, rows),
  )
}

/** A failed action or read is said on the page, never left as an unhandled rejection. */
function failed(err) {
  if (err instanceof AuthError) signedOut(err.message)
  else notice(err.message)
}

const state = { dlqGroup: undefined, reviewOpen: false, timer: undefined, refreshMs: 5000 }

class AuthError extends Error {}

async function api(path, options = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY)
  if (!token) throw new AuthError('no token')
  const res = await fetch(path, {
    ...options,
    headers: {
      authorization: `Bearer ${token}`,
      ...(options.body ? { 'content-type': 'application/json' } : {}),
    },
  })
  if (res.status === 401) throw new AuthError('The admin API refused this token.')
  const body = await res.json().catch(() => ({}))
  if (!res.ok) throw new Error(body.message ?? `${path} answered ${res.status}`)
  return body
}

function notice(text, kind = 'error') {
  const el = $('notice')
  el.hidden = !text
  el.className = kind
  el.textContent = text ?? ''
}

function render(summary) {
  const at = new Date(summary.evaluatedAt * 1000)
  const status = $('status')
  status.dataset.evaluatedAt = String(summary.evaluatedAt)
  status.textContent =
    `Updated ${at.toLocaleTimeString('en-GB')} (every ${summary.refreshMs / 1000} s)` +
    (summary.prometheus.ok ? '' : ` — Prometheus unavailable: ${summary.prometheus.error}`)
  status.className = summary.prometheus.ok ? '' : 'bad'

  const firing = summary.alerts.filter((a) => a.state === 'firing').length
  fill(
    'alerts',
    table(
      ['alert', 'state', 'severity', 'summary', 'labels', 'since'],
      summary.alerts.map((a) =>
        h(
          'tr',
          { class: a.state, dataset: { alert: a.name } },
          h('td', {}, a.name),
          h('td', {}, a.state),
          h('td', {}, a.severity),
          h('td', {}, a.summary),
          h(
            'td',
            { class: 'labels' },
            Object.entries(a.labels)
              .map(([k, v]) => `${k}=${v}`)
              .join(' '),
          ),
          h('td', {}, new Date(a.activeAt).toLocaleTimeString('en-GB')),
        ),
      ),
      summary.prometheus.ok ? 'No alert is firing or pending.' : 'Alerts unknown: Prometheus is unavailable.',
    ),
    firing,
  )

  fill(
    'sources',
    table(
      ['source', 'received/s (5m)', 'received', 'accepted', 'duplicates', 'rejected', 'quarantined'],
      summary.sources.map((s) =>
        h(
          'tr',
          { dataset: { source: s.source } },
          h('th', { scope: 'row' }, s.source),
          cell('receivedPerSecond', s.receivedPerSecond, fmtRate(s.receivedPerSecond)),
          cell('received', s.received, fmtCount(s.received)),
          cell('accepted', s.accepted, fmtCount(s.accepted)),
          cell('duplicates', s.duplicates, fmtCount(s.duplicates)),
          cell(
            'rejected',
            JSON.stringify(s.rejected),
            fmtReasons(s.rejected),
            Object.values(s.rejected).some((n) => n > 0) ? 'warn' : '',
          ),
          cell(
            'quarantined',
            JSON.stringify(s.quarantined),
            fmtReasons(s.quarantined),
            Object.values(s.quarantined).some((n) => n > 0) ? 'warn' : '',
          ),
        ),
      ),
      'No source has received anything since ingest started.',
    ),
  )

  fill(
    'consumers',
    table(
      [
        'group',
        'consuming',
        'lag',
        'oldest unprocessed',
        'paused',
        'sink breaker',
        'retry waiting',
        'oldest retry',
        'retries/s',
        'DLQ depth',
        'DLQ pending',
        'oldest pending',
        '',
      ],
      summary.consumers.map((c) =>
        h(
          'tr',
          { dataset: { group: c.group } },
          h('th', { scope: 'row' }, c.group),
          cell('consuming', c.consuming, yesNo(c.consuming, 'yes', 'NO'), c.consuming === false ? 'bad' : ''),
          cell('lag', c.lag, fmtCount(c.lag)),
          cell('oldestUnprocessedSeconds', c.oldestUnprocessedSeconds, fmtAge(c.oldestUnprocessedSeconds)),
          cell('paused', JSON.stringify(c.paused), fmtReasons(c.paused), ''),
          cell(
            'sinkBreakerOpen',
            c.sinkBreakerOpen,
            yesNo(c.sinkBreakerOpen, 'OPEN', 'closed'),
            c.sinkBreakerOpen ? 'bad' : '',
          ),
          cell(
            'retryWaiting',
            c.retry.waiting,
            c.retry.error ? `– (${c.retry.error})` : fmtCount(c.retry.waiting),
          ),
          cell('retryOldestSeconds', c.retry.oldestSeconds, fmtAge(c.retry.oldestSeconds)),
          cell('retryPerSecond', c.retry.perSecond, fmtRate(c.retry.perSecond)),
          cell('dlqDepth', c.dlq.depth, fmtCount(c.dlq.depth)),
          cell(
            'dlqPending',
            c.dlq.pending,
            c.dlq.error ? `– (${c.dlq.error})` : fmtCount(c.dlq.pending),
            c.dlq.pending > 0 ? 'num warn' : 'num',
          ),
          cell('dlqOldestPendingSeconds', c.dlq.oldestPendingSeconds, fmtAge(c.dlq.oldestPendingSeconds)),
          h(
            'td',
            {},
            c.dlq.pending === null
              ? ''
              : h(
                  'button',
                  { type: 'button', dataset: { action: 'browse-dlq', group: c.group } },
                  'Browse DLQ',
                ),
          ),
        ),
      ),
      'No consumer group reports metrics.',
    ),
  )

  fill(
    'breakers',
    table(
      ['provider / group', 'state'],
      [
        ...summary.breakers.map((b) =>
          h(
            'tr',
            { dataset: { breaker: b.provider } },
            h('th', { scope: 'row' }, b.provider),
            h('td', { class: b.state === 'closed' ? '' : 'bad' }, b.state),
          ),
        ),
        ...summary.consumers
          .filter((c) => c.sinkBreakerOpen !== null)
          .map((c) =>
            h(
              'tr',
              { dataset: { breaker: `sink:${c.group}` } },
              h('th', { scope: 'row' }, `sink of ${c.group}`),
              h('td', { class: c.sinkBreakerOpen ? 'bad' : '' }, c.sinkBreakerOpen ? 'open' : 'closed'),
            ),
          ),
      ],
      'No breaker reports metrics.',
    ),
  )

  const r = summary.reconciliation
  fill(
    'reconciliation',
    h(
      'div',
      {},
      r.error ? h('p', { class: r.configured ? 'bad' : 'empty' }, r.error) : null,
      h(
        'p',
        { dataset: { field: 'openReview', value: r.openReview ?? '' } },
        `Open review items: ${r.openReview === null ? '–' : `${r.openReview}${r.openReviewMore ? '+' : ''}`} `,
        r.configured
          ? h('button', { type: 'button', dataset: { action: 'browse-review' } }, 'Browse review items')
          : null,
      ),
      table(
        [
          'source',
          'entity type',
          'last run',
          'status',
          'started by',
          'compared',
          'drift',
          'repairs',
          'new review items',
        ],
        r.runs.map((run) =>
          h(
            'tr',
            { dataset: { run: `${run.source}/${run.entityType}` } },
            h('th', { scope: 'row' }, run.source),
            h('td', {}, run.entityType),
            h('td', {}, new Date(run.startedAt).toLocaleString('en-GB')),
            h(
              'td',
              { class: run.status === 'failed' ? 'bad' : '' },
              run.dryRun ? `${run.status} (dry run)` : run.status,
            ),
            h('td', {}, run.startedBy),
            cell('compared', run.counts.compared, fmtCount(run.counts.compared)),
            cell('drift', JSON.stringify(run.counts.drift), fmtReasons(run.counts.drift), ''),
            cell('repairs', run.counts.repairsPublished, fmtCount(run.counts.repairsPublished)),
            cell('reviewNew', run.counts.reviewNew, fmtCount(run.counts.reviewNew)),
          ),
        ),
        r.configured && !r.error ? 'No reconciliation has run yet.' : '',
      ),
    ),
  )
}

function fill(id, content, badge) {
  const section = $(id)
  update(section.querySelector('.body'), content)
  section.classList.toggle('firing', badge > 0)
}

/**
 * Makes `body`'s children those of a new `.body` holding `content`, changing only what differs, so
 * a refresh does not replace the button under the operator's pointer (a click whose press and
 * release land on different elements is lost) nor lose text being selected.
 */
function update(body, ...content) {
  morph(body, h('div', { class: body.className }, ...content))
}

function morph(from, to) {
  if (from.nodeType !== to.nodeType || from.nodeName !== to.nodeName) return from.replaceWith(to)
  if (from.nodeType === 3) {
    if (from.data !== to.data) from.data = to.data
    return
  }
  for (const { name } of [...from.attributes]) if (!to.hasAttribute(name)) from.removeAttribute(name)
  for (const { name, value } of [...to.attributes])
    if (from.getAttribute(name) !== value) from.setAttribute(name, value)
  const old = [...from.childNodes]
  const next = [...to.childNodes]
  next.forEach((node, i) => (i < old.length ? morph(old[i], node) : from.append(node)))
  for (const node of old.slice(next.length)) node.remove()
}

async function openDlq(group) {
  state.dlqGroup = group
  $('dlq').hidden = false
  await refreshDlq()
  $('dlq').scrollIntoView({ block: 'start' })
}

async function refreshDlq() {
  const group = state.dlqGroup
  if (!group) return
  const page = await api(`/dlq?${new URLSearchParams({ group, status: 'pending', limit: '50' })}`)
  const rows = page.records.map((rec) => {
    const ref = `${rec.partition}:${rec.offset}`
    return h(
      'tr',
      { dataset: { record: ref } },
      h('td', {}, ref),
      h('td', {}, new Date(rec.deadLetteredAt).toLocaleString('en-GB')),
      h(
        'td',
        {},
        rec.event
          ? `${rec.event.source} ${rec.event.entityType}/${rec.event.entityId} v${rec.event.entityVersion}`
          : `(undecodable: ${rec.decodeError ?? '?'})`,
      ),
      h('td', {}, rec.errorClass ?? ''),
      h('td', { class: 'message', dataset: { field: 'errorMessage' } }, rec.errorMessage ?? ''),
      h(
        'td',
        { class: 'actions' },
        h('button', { type: 'button', dataset: { action: 'show', group, ref } }, 'Show'),
        h('button', { type: 'button', dataset: { action: 'replay', group, ref } }, 'Replay'),
        h('button', { type: 'button', dataset: { action: 'discard', group, ref } }, 'Discard'),
      ),
    )
  })
  update(
    $('dlq').querySelector('.body'),
    h(
      'p',
      {},
      `Group ${group}: ${page.total} pending record${page.total === 1 ? '' : 's'}${page.next ? ' (first 50 shown)' : ''}.`,
    ),
    table(['record', 'dead-lettered', 'event', 'error', 'message', ''], rows, 'Nothing pending in this DLQ.'),
  )
}

async function showDlqRecord(group, ref) {
  const [partition, offset] = ref.split(':')
  const detail = await api(`/dlq/${encodeURIComponent(group)}/${partition}/${offset}`)
  $('dlq-detail').replaceChildren(
    h('h3', {}, `Record ${ref} of ${group}`),
    h(
      'dl',
      {},
      Object.entries(detail.headers).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
    ),
  )
}

async function dlqAction(action, group, ref) {
  let reason
  if (action === 'discard') {
    reason = prompt(`Discard DLQ record ${ref} of ${group}: why? (recorded)`)
    if (!reason) return
  } else if (!confirm(`Replay DLQ record ${ref} of ${group} to its original topic?`)) return
  try {
    const result = await api(`/dlq/${action}`, {
      method: 'POST',
      body: JSON.stringify({
        group,
        records: [ref],
        ...(reason ? { reason } : { reason: 'from the health page' }),
      }),
    })
    const what = result.done.length
      ? `${action === 'replay' ? 'replayed' : 'discarded'}`
      : 'already handled earlier; left alone'
    notice(`DLQ record ${ref}: ${what}.`, 'ok')
  } catch (err) {
    notice(`${action} of ${ref} failed: ${err.message}`)
  }
  await refresh()
}

async function openReview() {
  state.reviewOpen = true
  $('review').hidden = false
  await refreshReview()
  $('review').scrollIntoView({ block: 'start' })
}

async function refreshReview() {
  if (!state.reviewOpen) return
  const page = await api('/reconciler/review?status=open&limit=50')
  const rows = page.items.map((item) =>
    h(
      'tr',
      { dataset: { review: String(item.id) } },
      h('td', {}, String(item.id)),
      h('td', {}, `${item.source} ${item.entityType}/${item.entityId}`),
      h('td', {}, item.kind),
      h('td', { class: 'num' }, `${item.localVersion ?? '–'} / ${item.remoteVersion ?? '–'}`),
      h('td', {}, new Date(item.foundAt).toLocaleString('en-GB')),
      h(
        'td',
        { class: 'actions' },
        ['accept-remote', 'keep-local', 'ignore'].map((action) =>
          h(
            'button',
            { type: 'button', dataset: { action: 'resolve', id: item.id, resolution: action } },
            action,
          ),
        ),
      ),
    ),
  )
  update(
    $('review').querySelector('.body'),
    table(
      ['item', 'entity', 'kind', 'local / remote version', 'found', 'resolve'],
      rows,
      'No open review item.',
    ),
  )
}

async function resolveReview(id, action) {
  if (!confirm(`Resolve review item ${id} as ${action}?`)) return
  try {
    const item = await api(`/reconciler/review/${id}/resolve`, {
      method: 'POST',
      body: JSON.stringify({ action }),
    })
    notice(`Review item ${id}: ${item.status} by ${item.resolvedBy}.`, 'ok')
  } catch (err) {
    notice(`Resolving review item ${id} failed: ${err.message}`)
  }
  await refresh()
}

/** The newest audit records matching the filter form; every state change of every service is there. */
async function refreshAudit() {
  const query = new URLSearchParams({ limit: '25' })
  for (const [key, value] of new FormData($('audit-filter'))) {
    if (typeof value === 'string' && value.trim()) query.set(key, value.trim())
  }
  const page = await api(`/audit?${query.toString()}`)
  const rows = page.records.map((r) =>
    h(
      'tr',
      { dataset: { audit: String(r.id) } },
      h('td', {}, new Date(r.at).toLocaleString('en-GB')),
      h('td', {}, r.service),
      h('td', {}, r.actor),
      h('td', {}, r.action),
      h('td', {}, r.target),
      h(
        'td',
        { class: r.outcome === 'succeeded' ? '' : 'bad' },
        r.errorCode ? `${r.outcome} (${r.errorCode})` : r.outcome,
      ),
    ),
  )
  update(
    $('audit').querySelector('.body'),
    table(['when', 'service', 'who', 'action', 'target', 'outcome'], rows, 'No audit record matches.'),
  )
}

async function refresh() {
  clearTimeout(state.timer)
  try {
    const summary = await api('/health/summary')
    state.refreshMs = summary.refreshMs
    render(summary)
    await Promise.all([refreshDlq(), refreshReview(), refreshAudit()])
  } catch (err) {
    if (err instanceof AuthError) return signedOut(err.message === 'no token' ? undefined : err.message)
    $('status').textContent = `Update failed: ${err.message}; retrying.`
    $('status').className = 'bad'
  }
  state.timer = setTimeout(refresh, state.refreshMs)
}

function signedOut(message) {
  clearTimeout(state.timer)
  sessionStorage.removeItem(TOKEN_KEY)
  $('board').hidden = true
  $('login').hidden = false
  $('identity').hidden = true
  $('status').textContent = 'Not signed in.'
  notice(message)
}

function signedIn() {
  $('login').hidden = true
  $('identity').hidden = false
  $('board').hidden = false
  notice(undefined)
  // Replays, discards and resolutions are recorded under the token's name; the page shows whose.
  api('/whoami')
    .then((who) => ($('whoami').textContent = `Acting as ${who.name} (${who.role})`))
    .catch(() => ($('whoami').textContent = ''))
  void refresh()
}

$('login').addEventListener('submit', (e) => {
  e.preventDefault()
  sessionStorage.setItem(TOKEN_KEY, $('token').value)
  $('token').value = ''
  signedIn()
})
$('logout').addEventListener('click', () => signedOut())
$('audit-filter').addEventListener('submit', (e) => {
  e.preventDefault()
  refreshAudit().catch(failed)
})
if (sessionStorage.getItem(TOKEN_KEY)) signedIn()

const ACTIONS = {
  'browse-dlq': ({ group }) => openDlq(group),
  'browse-review': () => openReview(),
  show: ({ group, ref }) => showDlqRecord(group, ref),
  replay: ({ group, ref }) => dlqAction('replay', group, ref),
  discard: ({ group, ref }) => dlqAction('discard', group, ref),
  resolve: ({ id, resolution }) => resolveReview(Number(id), resolution),
}
$('board').addEventListener('click', (e) => {
  const button = e.target.closest('button[data-action]')
  if (button) ACTIONS[button.dataset.action]?.(button.dataset).catch(failed)
})
