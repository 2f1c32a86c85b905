import { LedgerError, PermanentError } from '@integration-ledger/core'
import { csv } from '@integration-ledger/service-kit'

/**
 * One caller of POST /events and what it may write. What an event claims (`source`,
 * `entityType`) is checked against this, never trusted: a client that could name any source
 * could publish as a webhook source (pre-empting the provider's real delivery) or freeze another
 * source's entities with a huge version.
 */
export interface EventClient {
  name: string
  /** Source → the entity types it may write there; an empty set allows every entity type. */
  grants: ReadonlyMap<string, ReadonlySet<string>>
}

/** Same rule as an SDK event's `source`. */
const SOURCE_NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/
const CLIENT_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/
/** An entity type, without the grant syntax's separators. */
const ENTITY_TYPE = /^[^\s,;=/]{1,256}$/

/** Outcome of parsing a variable: the value, or problems that never quote a token. */
type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string }

/**
 * `client=token,…` (INGEST_EVENT_TOKENS): token → client name. A client may be listed with several
 * tokens, to rotate them.
 */
export function parseEventTokens(value: string): Parsed<Map<string, string>> {
  const clients = new Map<string, string>()
  for (const pair of csv(value)) {
    const at = pair.indexOf('=')
    const name = pair.slice(0, at)
    const token = pair.slice(at + 1)
    if (at < 1 || !CLIENT_NAME.test(name) || token.length < 16) {
      // Never echo the pair: it holds a token.
      return {
        ok: false,
        problem: 'expected "client=token,…" with lower-case client names and tokens of 16+ characters',
      }
    }
    clients.set(token, name)
  }
  return { ok: true, value: clients }
}

/**
 * `client=grant,…;client=…` (INGEST_EVENT_GRANTS), where a grant is `source` (every entity type)
 * or `source/entityType`. Example: `orders=orders/order,orders/refund;crm=crm`.
 */
export function parseEventGrants(value: string): Parsed<Map<string, Map<string, Set<string>>>> {
  const byClient = new Map<string, Map<string, Set<string>>>()
  for (const entry of value
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)) {
    const at = entry.indexOf('=')
    const name = entry.slice(0, at).trim()
    if (at < 1 || !CLIENT_NAME.test(name)) {
      return { ok: false, problem: `"${entry.slice(0, 80)}": expected "client=source[/entityType],…"` }
    }
    if (byClient.has(name)) return { ok: false, problem: `client "${name}" is listed twice` }
    const grants = new Map<string, Set<string>>()
    const list = csv(entry.slice(at + 1))
    if (list.length === 0) return { ok: false, problem: `client "${name}": no source granted` }
    for (const grant of list) {
      const [source = '', type, ...rest] = grant.split('/')
      if (!SOURCE_NAME.test(source) || rest.length > 0 || (type !== undefined && !ENTITY_TYPE.test(type))) {
        return {
          ok: false,
          problem: `client "${name}": "${grant.slice(0, 80)}" is not "source" or "source/entityType" (lower-case source names)`,
        }
      }
      const types = grants.get(source) ?? new Set<string>()
      // A bare source allows every entity type, which a listed type must not narrow.
      if (type === undefined) types.add('*')
      else types.add(type)
      grants.set(source, types)
    }
    byClient.set(
      name,
      new Map([...grants].map(([source, types]) => [source, types.has('*') ? new Set<string>() : types])),
    )
  }
  return { ok: true, value: byClient }
}

/**
 * Token → client with its grants. A client without an INGEST_EVENT_GRANTS entry may write the
 * source named like itself, any entity type: what `client=token` configurations meant so far.
 */
export function buildEventClients(
  tokens: ReadonlyMap<string, string>,
  grants: ReadonlyMap<string, ReadonlyMap<string, ReadonlySet<string>>>,
): Map<string, EventClient> {
  return new Map(
    [...tokens].map(([token, name]) => [
      token,
      { name, grants: grants.get(name) ?? new Map([[name, new Set<string>()]]) },
    ]),
  )
}

/**
 * Refuses, at start-up, a grant of a source that /webhooks serves: events for it must come signed
 * by its provider. Sources created later through the admin API are refused per request.
 * @throws LedgerError CONFIG_INVALID naming the client and the source, never a token.
 */
export function assertNoWebhookSourceGranted(
  clients: Iterable<EventClient>,
  webhookSources: Iterable<string>,
  grantedExplicitly: (client: string) => boolean,
): void {
  const webhook = new Set(webhookSources)
  for (const client of clients) {
    for (const source of client.grants.keys()) {
      if (!webhook.has(source)) continue
      const how = grantedExplicitly(client.name)
        ? `INGEST_EVENT_GRANTS grants client "${client.name}" source "${source}"`
        : `client "${client.name}" (INGEST_EVENT_TOKENS) has no INGEST_EVENT_GRANTS entry, so it would write the source named like it, "${source}"`
      throw new LedgerError(
        'CONFIG_INVALID',
        `Invalid configuration: ${how}, which is a webhook source; events of a webhook source come only through POST /webhooks/${source}, signed by its provider. Grant the client a source name of its own.`,
      )
    }
  }
}

/**
 * Passes when `client` may write an event of `source` and `entityType`.
 * @throws PermanentError FORBIDDEN (403) saying what the client may write instead.
 */
export function assertMayWrite(
  client: EventClient,
  event: { source: string; entityType: string },
  isWebhookSource: (source: string) => boolean,
): void {
  if (isWebhookSource(event.source)) {
    throw new PermanentError(
      'FORBIDDEN',
      `Source "${event.source}" is a webhook source: its events come only through POST /webhooks/${event.source}, signed by its provider. Client "${client.name}" may write ${describeGrants(client)}.`,
    )
  }
  const types = client.grants.get(event.source)
  if (types === undefined || (types.size > 0 && !types.has(event.entityType))) {
    const what =
      types === undefined
        ? `source "${event.source}"`
        : `entity type "${event.entityType}" in source "${event.source}"`
    throw new PermanentError(
      'FORBIDDEN',
      `Client "${client.name}" may not write ${what}; it may write ${describeGrants(client)}. An operator grants more in INGEST_EVENT_GRANTS.`,
    )
  }
}

function describeGrants(client: EventClient): string {
  return [...client.grants]
    .map(([source, types]) =>
      types.size === 0 ? `"${source}" (any entity type)` : `"${source}" (${[...types].join(', ')})`,
    )
    .join(', ')
}
