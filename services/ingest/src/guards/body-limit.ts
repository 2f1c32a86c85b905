import { Transform } from 'node:stream'

/**
 * Passes a request body through while it stays within `maxBytes`, and fails it with `tooLarge()`
 * on the first byte over, so a body without Content-Length is refused as it arrives rather than
 * after it was buffered whole. Piped, not `pipeline`d: destroying the request would also destroy
 * the socket the refusal is answered on.
 */
export function limitBody(
  payload: NodeJS.ReadableStream,
  maxBytes: number,
  tooLarge: () => Error,
): Transform {
  let received = 0
  const limited = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length
      if (received > maxBytes) callback(tooLarge())
      else callback(null, chunk)
    },
  })
  payload.on('error', (err: Error) => limited.destroy(err))
  return payload.pipe(limited)
}
