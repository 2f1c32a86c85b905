// The open-loop sender of `npm run bench:latency`, in its own process so the load generator's
// event loop is not the ingest's or the bench's. argv: port, rate (deliveries/s), seconds, prefix,
// secret. Every delivery is built and signed before the timed phase; then each is sent at its
// scheduled instant (start + i / rate) whether or not earlier ones were answered (open loop: a
// slow server does not slow the offered rate down). Prints one JSON line when every answer is in:
// counts, how late the schedule ran, and each delivery's send instant (µs since the epoch, on
// this machine's clock, the same clock ingest stamps `receivedAt` with).
import http from 'node:http'
import { smallGithubDelivery } from './payloads.js'

const [port = '0', rateArg = '1000', secondsArg = '5', prefix = 'lat', secret = 'bench'] =
  process.argv.slice(2)
const rate = Number(rateArg)
const total = Math.round(rate * Number(secondsArg))

interface Delivery {
  id: string
  body: string
  headers: Record<string, string>
}

const deliveries: Delivery[] = Array.from({ length: total }, (_, n) => {
  const id = `${prefix}-${n}`
  const { body, headers } = smallGithubDelivery(n, id, secret)
  return { id, body, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }
})

// Enough sockets that a slow answer never holds up the next scheduled send: at 1,000/s and a
// 50 ms answer about 50 are busy; past the limit requests would queue here and send late, which
// `lateP99Ms` would show.
const agent = new http.Agent({ keepAlive: true, maxSockets: 512 })
// The wall clock in microseconds, the way ingest's Date.now() sees it: performance.timeOrigin
// can be off from Date.now() by a lot, so the monotonic clock is anchored on the instant
// Date.now() ticks over (within a few microseconds of a millisecond boundary).
const anchorMs = Date.now()
while (Date.now() === anchorMs);
const anchorWallMs = anchorMs + 1
const anchorMono = performance.now()
const nowUs = () => Math.round((anchorWallMs + (performance.now() - anchorMono)) * 1000)
const sentAtUs: Record<string, number> = {}
const lateMs: number[] = []
let ok = 0
let failed = 0
let answered = 0
const statuses: Record<string, number> = {}

function send(d: Delivery): void {
  sentAtUs[d.id] = nowUs()
  const request = http.request(
    {
      host: '127.0.0.1',
      port: Number(port),
      method: 'POST',
      path: '/webhooks/bench',
      headers: d.headers,
      agent,
    },
    (response) => {
      response.resume()
      response.on('end', () => {
        const code = response.statusCode ?? 0
        statuses[code] = (statuses[code] ?? 0) + 1
        if (code >= 200 && code < 300) ok++
        else failed++
        answered++
      })
    },
  )
  request.on('error', () => {
    statuses.error = (statuses.error ?? 0) + 1
    failed++
    answered++
  })
  request.end(d.body)
}

// Open the sockets a steady 1,000/s needs before the timed phase, so the first second is not a
// burst of new connections (that would be the sender's cost, not the ledger's).
await Promise.all(
  Array.from(
    { length: 64 },
    () =>
      new Promise<void>((resolve) => {
        http
          .get({ host: '127.0.0.1', port: Number(port), path: '/healthz', agent }, (response) => {
            response.resume()
            response.on('end', resolve)
          })
          .on('error', () => resolve())
      }),
  ),
)

const started = performance.now()
let next = 0
await new Promise<void>((resolve) => {
  const tick = () => {
    const elapsedMs = performance.now() - started
    while (next < total && next * (1000 / rate) <= elapsedMs) {
      lateMs.push(elapsedMs - next * (1000 / rate))
      const d = deliveries[next++]
      if (d) send(d)
    }
    if (next < total) setTimeout(tick, 1)
    else resolve()
  }
  tick()
})
const sendSeconds = (performance.now() - started) / 1000
while (answered < total) await new Promise((resolve) => setTimeout(resolve, 5))
agent.destroy()
lateMs.sort((a, b) => a - b)
process.stdout.write(
  `${JSON.stringify({
    total,
    ok,
    failed,
    statuses,
    sendSeconds,
    lateP99Ms: lateMs[Math.floor(lateMs.length * 0.99)] ?? 0,
    sentAtUs,
  })}\n`,
)
