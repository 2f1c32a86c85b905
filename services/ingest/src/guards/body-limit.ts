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
  return meterBody(payload, (bytes) => {
    received += bytes
    return received > maxBytes ? tooLarge() : undefined
  })
}

/**
 * Passes a request body through, telling `onChunk` the size of each chunk as it arrives; the body
 * fails with the error `onChunk` returns, if any. Piped, not `pipeline`d, for the same reason.
 */
export function meterBody(
  payload: NodeJS.ReadableStream,
  onChunk: (bytes: number) => Error | undefined,
): Transform {
  const metered = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const refusal = onChunk(chunk.length)
      if (refusal) callback(refusal)
      else callback(null, chunk)
    },
  })
  payload.on('error', (err: Error) => metered.destroy(err))
  return payload.pipe(metered)
}
