import { connect, type Socket } from 'node:net'

/** A request written by hand on a socket the test controls: headers now, body bytes when it likes. */
export interface RawRequest {
  socket: Socket
  /** Everything the server has sent so far. */
  received(): string
  /** Resolves with the status code once a status line arrived; rejects after `timeoutMs`. */
  status(timeoutMs?: number): Promise<number>
  /** Resolves once the server closed the connection. */
  closed: Promise<void>
}

/** Opens a socket to `port` and writes the request line and headers (no body). */
export function openRawRequest(port: number, head: string[]): Promise<RawRequest> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`${head.join('\r\n')}\r\n\r\n`)
      resolve({
        socket,
        received: () => text,
        status: (timeoutMs = 10_000) =>
          new Promise<number>((resolveStatus, rejectStatus) => {
            const check = () => {
              const match = /^HTTP\/1\.1 (\d{3})/.exec(text)
              if (!match) return false
              clearTimeout(timer)
              socket.off('data', check)
              resolveStatus(Number(match[1]))
              return true
            }
            const timer = setTimeout(
              () =>
                rejectStatus(
                  new Error(`no answer within ${timeoutMs} ms; received: ${JSON.stringify(text)}`),
                ),
              timeoutMs,
            )
            if (!check()) socket.on('data', check)
          }),
        closed,
      })
    })
    let text = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      text += chunk
    })
    socket.on('error', () => {})
    const closed = new Promise<void>((resolveClosed) => socket.on('close', () => resolveClosed()))
    socket.once('error', reject)
  })
}
