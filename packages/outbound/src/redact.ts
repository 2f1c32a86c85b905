/** Query parameters whose values are secrets wherever they appear in a URL. */
const SECRET_PARAMS =
  /^(access_token|token|key|api_key|apikey|client_secret|secret|password|signature|sig|code)$/i

/**
 * A URL as it may appear in logs and errors: user-info dropped, secret-looking query values
 * replaced by `[redacted]`. Requests never carry the credential in the URL, but callers' paths
 * might (an OAuth callback, a signed URL).
 */
export function redactUrl(url: URL): string {
  const copy = new URL(url.href)
  copy.username = ''
  copy.password = ''
  for (const name of [...copy.searchParams.keys()]) {
    if (SECRET_PARAMS.test(name)) copy.searchParams.set(name, '[redacted]')
  }
  return copy.href
}
