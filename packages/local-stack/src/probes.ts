// Is something there, and is it what we think it is? Raw protocol checks with
// node:net only, so readiness and "reuse what is running" need no client libraries.
import { type AddressInfo, type Server, connect, createServer } from 'node:net'

/**
 * Opens a TCP connection, writes `request` (if any) and collects bytes until
 * `done(buffer)` says enough. Resolves the buffer, or undefined on any failure.
 */
function exchange(
  host: string,
  port: number,
  request: Buffer | undefined,
  done: (buffer: Buffer) => boolean,
  timeoutMs: number,
): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    let buffer = Buffer.alloc(0)
    const finish = (value: Buffer | undefined) => {
      socket.destroy()
      resolve(value)
    }
    socket.setTimeout(timeoutMs, () => finish(undefined))
    socket.on('error', () => finish(undefined))
    socket.on('connect', () => {
      if (!request) finish(Buffer.alloc(0))
      else socket.write(request)
    })
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk])
      if (done(buffer)) finish(buffer)
    })
    socket.on('end', () => finish(undefined))
  })
}

/** True when something accepts TCP connections on host:port. */
export async function tcpOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return (await exchange(host, port, undefined, () => true, timeoutMs)) !== undefined
}

/**
 * Sends a Kafka ApiVersions v0 request and checks the answer. A broker only
 * processes requests once its startup is complete (in KRaft: after it has been
 * unfenced), so this is a sound readiness check, unlike a bare TCP connect.
 */
export async function kafkaAnswers(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  const clientId = Buffer.from('ledger-infra-probe')
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length)
  body.writeInt16BE(18, 0) // api_key: ApiVersions
  body.writeInt16BE(0, 2) // api_version 0: every broker version answers it
  body.writeInt32BE(0x1ed9e, 4) // correlation_id
  body.writeInt16BE(clientId.length, 8)
  clientId.copy(body, 10)
  const size = Buffer.alloc(4)
  size.writeInt32BE(body.length, 0)
  const reply = await exchange(
    host,
    port,
    Buffer.concat([size, body]),
    (b) => b.length >= 4 && b.length >= 4 + b.readInt32BE(0),
    timeoutMs,
  )
  // size, correlation_id, error_code, api_keys[] (count, then 6 bytes each)
  if (!reply || reply.length < 14) return false
  return reply.readInt32BE(4) === 0x1ed9e && reply.readInt16BE(8) === 0 && reply.readInt32BE(10) > 0
}

/**
 * True when a PostgreSQL server listens on host:port: it answers an SSLRequest
 * with a single 'S' or 'N' byte. Closing right after does not make the server
 * log a complaint.
 */
export async function postgresAnswers(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  const request = Buffer.alloc(8)
  request.writeInt32BE(8, 0)
  request.writeInt32BE(80877103, 4) // SSLRequest code
  const reply = await exchange(host, port, request, (b) => b.length >= 1, timeoutMs)
  return reply !== undefined && (reply[0] === 0x53 || reply[0] === 0x4e)
}

/** HTTP status of a GET, or 0 when nothing answered. */
export async function httpStatus(url: string, timeoutMs = 2000): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
    await res.arrayBuffer()
    return res.status
  } catch {
    return 0
  }
}

/**
 * `count` distinct TCP ports nobody listens on right now, picked by the kernel (all held open at
 * once, so they differ), for a server that must be told its ports up front.
 */
export async function freeTcpPorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve, reject) => {
          const server = createServer()
          server.once('error', reject)
          server.listen(0, '127.0.0.1', () => resolve(server))
        }),
    ),
  )
  const ports = servers.map((server) => (server.address() as AddressInfo).port)
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))))
  return ports
}
