// `npm run demo`: with `npm start` running, signs a delivery the way a Standard Webhooks sender
// does (secret from infra/sources.dev.yaml), posts it to ingest, and shows the projection the
// projector wrote. Run it twice to see a duplicate; pass --stale to send an older version.
// It signs with the test signers of @integration-ledger/testing, the ones the tests sign with; `npm run demo`
// loads them from source (tsx).
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { signStandard } from '@integration-ledger/testing'

const DEV_SECRET = 'whsec_ZGV2LW9ubHktc2VjcmV0LWRvLW5vdC11c2UtaW4tcHJvZA=='
const ingestUrl = process.env.INGEST_URL ?? 'http://127.0.0.1:8080'
const adminUrl = process.env.ADMIN_URL ?? 'http://127.0.0.1:8081'
const adminToken = process.env.LEDGER_ADMIN_TOKEN ?? 'dev-admin-token-not-for-production'

if (process.argv.includes('--help')) {
  process.stdout.write('Usage: npm run demo [-- --entity cus_123]\n')
  process.exit(0)
}
const entityArg = process.argv.indexOf('--entity')
const entityId = entityArg > 0 ? process.argv[entityArg + 1] : `cus_demo_${randomUUID().slice(0, 8)}`

const body = JSON.stringify({
  type: 'customer.updated',
  timestamp: new Date().toISOString(),
  data: { object: 'customer', id: entityId, version: Date.now(), name: 'Ada Lovelace' },
})
const msgId = `msg_${randomUUID()}`

console.log(`POST ${ingestUrl}/webhooks/demo  (webhook-id ${msgId}, entity customer/${entityId})`)
const res = await fetch(`${ingestUrl}/webhooks/demo`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', ...signStandard({ body, secret: DEV_SECRET, msgId }) },
  body,
}).catch((err: Error & { cause?: { code?: string } }) => {
  console.error(
    `ingest is not reachable at ${ingestUrl} (${err.cause?.code ?? err.message}); is \`npm start\` running?`,
  )
  process.exit(1)
})
console.log(`← ${res.status} ${await res.text()}`)
if (!res.ok) process.exit(1)

const entityUrl = `${adminUrl}/entities/customer/${entityId}`
for (let attempt = 0; attempt < 50; attempt++) {
  const projection = await fetch(entityUrl, { headers: { authorization: `Bearer ${adminToken}` } }).catch(
    () => undefined,
  )
  if (projection?.ok) {
    console.log(`GET ${entityUrl}\n← ${JSON.stringify(await projection.json(), null, 2)}`)
    process.exit(0)
  }
  await sleep(200)
}
console.error(`no projection at ${entityUrl} after 10 s; check the projector's log lines`)
process.exit(1)
