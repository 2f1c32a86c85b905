import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { loadAdminConfig, startAdmin } from '@integration-ledger/admin'
import { startFakeProviders } from '@integration-ledger/fake-providers'
import { loadIngestConfig, startIngest } from '@integration-ledger/ingest'
import { buildProjectorApp, loadProjectorConfig } from '@integration-ledger/projector'
import { buildReconcilerApp, loadReconcilerConfig, startReconcilerCore } from '@integration-ledger/reconciler'
import {
  cleanupScope,
  createTestPool,
  freeTcpPorts,
  signStandard,
  stackEnv,
  startPrometheus,
  waitFor,
  writeSourcesFile,
} from '@integration-ledger/testing'
import { chromium, type Page } from 'playwright-core'
import { projectorFixture } from '../e2e/projector-support.js'
import { root, shortenedRules } from './metric-inventory.js'

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it). */
const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium'
const ADMIN_TOKEN = 'health-page-admin-token-0123456789'
const RECONCILER_TOKEN = 'health-page-reconciler-token-0123'
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const OTHER_SECRET = 'whsec_b3RoZXItc2VjcmV0LW5vdC1jb25maWd1cmVkLTE='
const STRIPE_WEBHOOK_SECRET = 'whsec_cmVjb25jaWxlci10ZXN0LXNlY3JldC0wMDAwMDA='
/** What a hostile sender puts in a payload; the page must show it as text and run none of it. */
const HOSTILE = `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">`
const SCREENSHOT = join(root, 'docs', 'health-page.png')

interface PromVector {
  data: { result: { metric: Record<string, string>; value: [number, string] }[] }
}

describe(
  'the integration health page in a headless browser',
  {
    skip:
      !existsSync(CHROMIUM) &&
      `Debian's chromium is not installed at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_BIN); .ci/run installs it`,
  },
  () => {
    it('shows the metrics under traffic, updates live, replays a DLQ record into the projection, resolves a review item, escapes hostile text', async (test) => {
      const t = cleanupScope(test)
      const stack = stackEnv()
      const { url: databaseUrl, pool } = await createTestPool(t, stack.databaseUrl)
      const fixture = await projectorFixture(t, 'health-page', { databaseUrl })
      const { env, topic, groupId } = fixture
      const sourcesFile = await writeSourcesFile([
        '  - name: acme',
        '    kind: standard',
        `    secrets: ["${SECRET}"]`,
        `    topic: ${topic}`,
        '    entity: { type: /type, id: /data/id, version: /data/version }',
        '  - name: billing',
        '    kind: stripe',
        `    secrets: ["${STRIPE_WEBHOOK_SECRET}"]`,
        `    topic: ${topic}`,
      ])

      const ingest = await startIngest(loadIngestConfig({ ...env, LEDGER_SOURCES: sourcesFile }))
      t.after(() => ingest.close())
      const ingestUrl = await ingest.listen({ host: '127.0.0.1', port: 0 })
      const { app: projector } = await buildProjectorApp(loadProjectorConfig(env))
      t.after(() => projector.close())
      const projectorUrl = await projector.listen({ host: '127.0.0.1', port: 0 })

      // The projection refuses one entity's state, the way a schema change would: its event goes to
      // the DLQ with PostgreSQL's message, which quotes the hostile payload. Dropped before the replay.
      await pool.query(`
        CREATE FUNCTION refuse_hostile() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.entity_id LIKE 'hostile%' THEN
            RAISE EXCEPTION 'refused note %', NEW.state->'data'->>'note' USING ERRCODE = 'check_violation';
          END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER refuse_hostile BEFORE INSERT OR UPDATE ON projections
          FOR EACH ROW EXECUTE FUNCTION refuse_hostile();`)

      // The fake Stripe and the reconciler, for a review item to resolve from the page.
      const fakes = await startFakeProviders({
        seed: 11,
        stripe: {
          sizes: { customers: 0, subscriptions: 0, invoices: 0, paymentIntents: 0, charges: 0 },
          webhook: { url: `${ingestUrl}/webhooks/billing`, secret: STRIPE_WEBHOOK_SECRET },
        },
      })
      t.after(() => fakes.close())
      for (const name of ['Ada', 'Grace']) fakes.stripe.records.create('customer', { name })
      await fakes.stripe.handler.settled()
      const customers = async () =>
        (
          await pool.query<{ entity_id: string }>(
            `SELECT entity_id FROM projections WHERE entity_type = 'customer' ORDER BY entity_id`,
          )
        ).rows.map((r) => r.entity_id)
      const [ahead] = await waitFor(async () => {
        const ids = await customers()
        return ids.length === 2 && ids
      })
      await pool.query('UPDATE projections SET version = version + 100 WHERE entity_id = $1', [ahead])
      const reconcilerCore = await startReconcilerCore(
        loadReconcilerConfig({
          ...env,
          RECONCILER_TOKENS: `admin=${RECONCILER_TOKEN}`,
          TEST_STRIPE_KEY: fakes.credentials.stripe.secretKey,
          RECONCILER_SOURCES: JSON.stringify([
            {
              name: 'billing',
              kind: 'stripe',
              topic,
              baseUrl: fakes.credentials.stripe.baseUrl,
              credentialEnv: 'TEST_STRIPE_KEY',
            },
          ]),
        }),
      )
      t.after(() => reconcilerCore.close())
      const reconciler = await buildReconcilerApp(reconcilerCore)
      t.after(() => reconciler.close())
      const reconcilerUrl = await reconciler.listen({ host: '127.0.0.1', port: 0 })
      const reconcilerApi = async <T>(path: string, body?: unknown): Promise<T> => {
        const res = await fetch(`${reconcilerUrl}${path}`, {
          method: body === undefined ? 'GET' : 'POST',
          headers: {
            authorization: `Bearer ${RECONCILER_TOKEN}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        })
        return (await res.json()) as T
      }
      const { runId } = await reconcilerApi<{ runId: string }>('/runs', {
        source: 'billing',
        entityType: 'customer',
      })
      await waitFor(
        async () => (await reconcilerApi<{ status: string }>(`/runs/${runId}`)).status === 'succeeded',
        {
          description: 'the reconciliation run finished',
        },
      )

      // Admin and a Prometheus of the test's own, scraping the ephemeral ports and evaluating the
      // real rules with test-sized windows, so an alert fires within the test.
      const [promPort] = await freeTcpPorts(1)
      const prometheusUrl = `http://127.0.0.1:${promPort}`
      const admin = await startAdmin(
        loadAdminConfig({
          ...env,
          LEDGER_ADMIN_TOKEN: ADMIN_TOKEN,
          LEDGER_PROMETHEUS_URL: prometheusUrl,
          LEDGER_RECONCILER_URL: reconcilerUrl,
          LEDGER_RECONCILER_TOKEN: RECONCILER_TOKEN,
          LEDGER_HEALTH_REFRESH_MS: '1000',
        }),
      )
      t.after(() => admin.close())
      const adminUrl = await admin.listen({ host: '127.0.0.1', port: 0 })
      const rulesDir = mkdtempSync(join(tmpdir(), 'health-page-rules-'))
      t.after(() => rmSync(rulesDir, { recursive: true, force: true }))
      const host = (url: string) => new URL(url).host
      const prometheus = await startPrometheus({
        port: promPort,
        throwaway: true,
        targets: [
          { job: 'ingest', address: host(ingestUrl) },
          { job: 'admin', address: host(adminUrl) },
          { job: 'projector', address: host(projectorUrl) },
          { job: 'reconciler', address: host(reconcilerUrl) },
        ],
        ruleFiles: shortenedRules(rulesDir),
        scrapeInterval: '1s',
        evaluationInterval: '1s',
      })
      t.after(() => prometheus.kill())
      const promQuery = async (promql: string, time: number) =>
        (
          (await (
            await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(promql)}&time=${time}`)
          ).json()) as PromVector
        ).data.result

      // Traffic: good deliveries and bad signatures until told to stop; once each, a duplicate, a
      // quarantined body and the hostile delivery the projection refuses.
      let n = 0
      const deliver = async (body: string, secret = SECRET, msgId = `msg_health_${++n}`) => {
        const res = await fetch(`${ingestUrl}/webhooks/acme`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...signStandard({ secret, msgId, body }) },
          body,
        })
        await res.arrayBuffer()
        return res.status
      }
      const order = (id: string, version: number, extra: Record<string, unknown> = {}) =>
        JSON.stringify({ type: 'order', data: { id, version, ...extra } })
      assert.equal(await deliver(order('o-1', 1), SECRET, 'msg_health_dup'), 202)
      assert.equal(await deliver(order('o-1', 1), SECRET, 'msg_health_dup'), 200, 'the redelivery')
      assert.equal(await deliver('{not json', SECRET), 202, 'quarantined')
      assert.equal(await deliver(order(`hostile-${HOSTILE}`, 1, { note: HOSTILE })), 202)
      let traffic = true
      const load = (async () => {
        while (traffic) {
          await deliver(order(`o-${n}`, 1))
          // Two in three signed with a secret acme does not have: a leaked or rotated secret.
          await deliver(order('o-bad', 1), OTHER_SECRET)
          await deliver(order('o-bad', 1), OTHER_SECRET)
          await new Promise((r) => setTimeout(r, 100))
        }
      })()
      t.after(async () => {
        traffic = false
        await load
      })

      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
      t.after(() => browser.close())
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
      const pageErrors: string[] = []
      page.on('pageerror', (err) => pageErrors.push(err.message))
      page.on('dialog', (dialog) => void dialog.accept())
      await page.goto(`${adminUrl}/health`)
      await page.fill('#token', ADMIN_TOKEN)
      await page.click('#login button[type=submit]')
      await page.waitForSelector('#status[data-evaluated-at]')
      assert.equal(new URL(page.url()).search, '', 'the token is never put in the URL')
      assert.equal(await page.evaluate("sessionStorage.getItem('ledger-admin-token')"), ADMIN_TOKEN)
      // Set once: a reload would lose it.
      await page.evaluate('window.__loadedOnce = true')

      /** Waits for `selector`; a timeout says what the page said meanwhile (its notice and errors). */
      const shows = async (selector: string, timeout = 30_000) => {
        try {
          await page.waitForSelector(selector, { timeout })
        } catch (err) {
          const said = await page
            .locator('#notice')
            .innerText()
            .catch(() => '?')
          const status = await page
            .locator('#status')
            .innerText()
            .catch(() => '?')
          throw new Error(
            `${selector} not shown; page notice "${said}", status "${status}", errors ${JSON.stringify(pageErrors)}`,
            { cause: err },
          )
        }
      }
      const text = (selector: string) => page.locator(selector).first().innerText({ timeout: 60_000 })
      const acme = (field: string) => `tr[data-source="acme"] [data-field="${field}"]`
      const group = (field: string) => `tr[data-group="${groupId}"] [data-field="${field}"]`
      const first = Number((await text(acme('received'))).replaceAll(',', ''))
      await waitFor(async () => Number((await text(acme('received'))).replaceAll(',', '')) > first, {
        timeoutMs: 30_000,
        description: 'a live update of the received count',
      })
      await shows(`${group('dlqPending')}[data-value="1"]`, 60_000)
      await shows('#alerts tr.firing[data-alert="LedgerSignatureFailuresSpiking"]', 90_000)
      assert.equal(await page.evaluate('window.__loadedOnce'), true, 'updated without a reload')

      // The DLQ record, its hostile text shown as text: no script ran, no element was made of it.
      await page.click(`tr[data-group="${groupId}"] button:text("Browse DLQ")`)
      const message = await text('#dlq [data-field="errorMessage"]')
      assert.ok(message.includes(`refused note ${HOSTILE}`), message)
      assert.ok((await text('#dlq tbody')).includes(`hostile-${HOSTILE}`))
      assert.equal(await page.evaluate('window.__pwned'), undefined)
      assert.equal(await page.locator('img, main script').count(), 0)
      assert.ok((await page.content()).includes('&lt;script&gt;window.__pwned = 1&lt;/script&gt;'))
      await page.click('#dlq button:text("Show")')
      await shows('#dlq-detail dt:text("ledger-error-message")')
      assert.ok((await text('#dlq-detail')).includes(`refused note ${HOSTILE}`))

      mkdirSync(join(root, 'docs'), { recursive: true })
      await page.screenshot({ path: SCREENSHOT, fullPage: true })

      // Traffic stops; once Prometheus holds ingest's final counters, the page shows exactly them.
      traffic = false
      await load
      const ingestMetrics = await (await fetch(`${ingestUrl}/metrics`)).text()
      const counter = (name: string, labels: string) =>
        Number(new RegExp(`^${name}\\{${labels}[^}]*\\} (\\d+)$`, 'm').exec(ingestMetrics)?.[1] ?? NaN)
      const expected = {
        received: counter('ledger_ingest_received_total', 'source="acme"'),
        accepted: counter('ledger_ingest_accepted_total', 'source="acme"'),
        duplicates: counter('ledger_ingest_duplicates_total', 'source="acme"'),
        badSignatures: counter('ledger_ingest_rejected_total', 'source="acme",reason="bad_signature"'),
        quarantined: counter('ledger_ingest_quarantined_total', 'source="acme",reason="invalid_json"'),
      }
      assert.equal(expected.duplicates, 1)
      assert.equal(expected.quarantined, 1)
      await waitFor(
        async () =>
          Number(await page.locator(acme('received')).getAttribute('data-value')) === expected.received,
        {
          timeoutMs: 30_000,
          description: `the page showing ${expected.received} received`,
        },
      )
      const shown = await shownValues(page, groupId)
      const at = shown.evaluatedAt
      const promValue = async (promql: string) => {
        const [sample] = await promQuery(promql, at)
        return sample === undefined ? null : Number(sample.value[1])
      }
      assert.deepEqual(
        {
          received: shown.received,
          accepted: shown.accepted,
          duplicates: shown.duplicates,
          rejected: shown.rejected,
          quarantined: shown.quarantined,
        },
        {
          received: String(expected.received),
          accepted: String(expected.accepted),
          duplicates: '1',
          rejected: JSON.stringify({ bad_signature: expected.badSignatures }),
          quarantined: JSON.stringify({ invalid_json: 1 }),
        },
      )
      assert.equal(shown.receivedText, expected.received.toLocaleString('en-US'))
      // The rest, as Prometheus answers the same query at the same instant.
      assert.equal(
        Number(shown.receivedPerSecond),
        await promValue('ledger:ingest_received:rate5m{source="acme"}'),
      )
      assert.equal(
        Number(shown.lag),
        await promValue(`sum(ledger_consumer_lag{group="${groupId}",topic!~".*[.]retry[.].*"})`),
      )
      assert.equal(
        Number(shown.dlqDepth),
        await promValue(`max(ledger_consumer_dlq_depth{group="${groupId}"})`),
      )
      assert.equal(shown.dlqDepth, '1')
      assert.equal(shown.consuming, 'true')
      assert.equal(shown.dlqPending, '1')

      // The replay, from the page, after the fix: the event reaches the projection.
      await pool.query('DROP TRIGGER refuse_hostile ON projections')
      await page.click('#dlq button:text("Replay")')
      await shows('#notice.ok', 30_000)
      assert.match(await text('#notice'), /replayed/)
      const projected = await waitFor(
        async () =>
          (
            await pool.query<{ state: { data: { note: string } } }>(
              'SELECT state FROM projections WHERE entity_id = $1',
              [`hostile-${HOSTILE}`],
            )
          ).rows[0],
        { timeoutMs: 30_000, description: 'the replayed event projected' },
      )
      assert.equal(projected.state.data.note, HOSTILE)
      await shows(`${group('dlqPending')}[data-value="0"]`, 30_000)
      const actions = await pool.query<{ action: string; actor: string }>(
        'SELECT action, actor FROM dlq_actions',
      )
      assert.deepEqual(
        actions.rows.map((r) => [r.action, r.actor]),
        [['replay', 'bootstrap']],
        'the actor is the token the page was given (LEDGER_ADMIN_TOKEN), never a name it sends',
      )

      // The review item, resolved from the page through the reconciler's API.
      assert.equal(
        await page.locator('#reconciliation [data-field="openReview"]').getAttribute('data-value'),
        '1',
      )
      assert.ok((await text('tr[data-run="billing/customer"]')).includes('succeeded'))
      await page.click('#reconciliation button:text("Browse review items")')
      await page.click('#review tbody tr button:text("keep-local")')
      await shows('#notice.ok:has-text("kept-local by admin")', 30_000)
      const review = await reconcilerApi<{
        items: { entityId: string; status: string; resolvedBy: string }[]
      }>('/review?status=all')
      assert.deepEqual(
        review.items.map((i) => [i.entityId, i.status, i.resolvedBy]),
        [[ahead, 'kept-local', 'admin']],
      )
      // Both operations are in the audit log under the page's token.
      const audited = await pool.query<{ action: string; actor: string; outcome: string }>(
        "SELECT action, actor, outcome FROM ledger_audit_log WHERE action IN ('dlq.replay', 'review.resolve') AND service = 'admin' ORDER BY id",
      )
      assert.deepEqual(
        audited.rows.map((r) => [r.action, r.actor, r.outcome]),
        [
          ['dlq.replay', 'bootstrap', 'succeeded'],
          ['review.resolve', 'bootstrap', 'succeeded'],
        ],
      )
      // And the page lists them, filtered the way an operator would.
      await page.fill('#audit-filter input[name="action"]', 'dlq.replay')
      await page.click('#audit-filter button[type="submit"]')
      await shows('#audit tbody tr:has-text("dlq.replay"):has-text("bootstrap")')
      assert.deepEqual(
        await page.locator('#audit tbody tr td:nth-child(4)').allInnerTexts(),
        ['dlq.replay'],
        'only the replay matches the filter',
      )
      assert.deepEqual(pageErrors, [])
    })
  },
)

/** What the page shows for the acme source and the test's consumer group, all from one render. */
async function shownValues(
  page: Page,
  group: string,
): Promise<Record<string, string | null> & { evaluatedAt: number }> {
  // A string, not a function: the test is compiled without the DOM's types.
  return page.evaluate(`(() => {
    const value = (row, field) => document.querySelector(row + ' [data-field="' + field + '"]')?.dataset.value ?? null
    const acme = 'tr[data-source="acme"]'
    const consumer = 'tr[data-group="' + ${JSON.stringify(group)} + '"]'
    return {
      evaluatedAt: Number(document.getElementById('status').dataset.evaluatedAt),
      received: value(acme, 'received'),
      receivedText: document.querySelector(acme + ' [data-field="received"]').innerText,
      accepted: value(acme, 'accepted'),
      duplicates: value(acme, 'duplicates'),
      rejected: value(acme, 'rejected'),
      quarantined: value(acme, 'quarantined'),
      receivedPerSecond: value(acme, 'receivedPerSecond'),
      lag: value(consumer, 'lag'),
      consuming: value(consumer, 'consuming'),
      dlqDepth: value(consumer, 'dlqDepth'),
      dlqPending: value(consumer, 'dlqPending'),
    }
  })()`)
}
