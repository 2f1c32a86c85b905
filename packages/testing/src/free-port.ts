import { createServer } from 'node:net'

/** Ports already handed out by this process: the kernel may offer a just-closed port again. */
const handedOut = new Set<number>()

function askKernel(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/**
 * A TCP port nobody listens on right now, for servers that must be told their port up front
 * (Prometheus, owned brokers). Picked by the kernel, so parallel test runs do not collide, and
 * never the same twice in one process, so two calls can name a broker's two ports.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await askKernel()
    if (!handedOut.has(port)) {
      handedOut.add(port)
      return port
    }
  }
}
