/** What a token may do: `read-only` reads; `operator` also changes state. */
export const ADMIN_ROLES = ['read-only', 'operator'] as const

export type AdminRole = (typeof ADMIN_ROLES)[number]

/** Who a request, or a command, acts as; recorded in every audit row it causes. */
export interface AdminIdentity {
  /** The token's name (`bootstrap` for `LEDGER_ADMIN_TOKEN`, a `RECONCILER_TOKENS` name, `cli:<user>`). */
  name: string
  role: AdminRole
  /** The named token's ID; `null` for a token from the environment and for a command run directly. */
  tokenId: string | null
}

/** A bearer token given in the environment, such as `LEDGER_ADMIN_TOKEN` or one of `RECONCILER_TOKENS`. */
export interface EnvToken {
  name: string
  token: string
  /** @default 'operator' */
  role?: AdminRole
}
