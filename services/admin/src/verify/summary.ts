import type { CheckStatus, EventCheck, SecretView } from './event-check.js'

/** One secret's share of a re-verification. */
export interface SecretTally extends SecretView {
  /** Events carrying a valid signature of this secret. */
  signed: number
  /**
   * Events this secret signed and no other known secret did: after this secret leaked, these are
   * the events whose origin nothing else vouches for.
   */
  onlyThisSecret: number
}

export interface VerifySummary {
  checked: number
  byStatus: Record<CheckStatus, number>
  secrets: SecretTally[]
  /** Every event that was not verified, with why (timestamp results only when judged at --now). */
  problems: Pick<EventCheck, 'eventId' | 'status' | 'message'>[]
  /** With `onlySecret`: the IDs of the events that secret alone signed. */
  onlySecret?: { id: string; eventIds: string[] }
}

/** Adds up event checks per status and per secret, as they arrive. */
export class SummaryBuilder {
  readonly #secrets: Map<string, SecretTally>
  readonly #onlySecret: string | undefined
  readonly #summary: VerifySummary

  constructor(secrets: readonly SecretView[], onlySecret?: string) {
    this.#secrets = new Map(secrets.map((s) => [s.id, { ...s, signed: 0, onlyThisSecret: 0 }]))
    this.#onlySecret = onlySecret
    this.#summary = {
      checked: 0,
      byStatus: { verified: 0, timestamp_outside_tolerance: 0, signature_failed: 0, unreadable: 0 },
      secrets: [...this.#secrets.values()],
      problems: [],
      ...(onlySecret === undefined ? {} : { onlySecret: { id: onlySecret, eventIds: [] } }),
    }
  }

  add(check: EventCheck): void {
    const summary = this.#summary
    summary.checked++
    summary.byStatus[check.status]++
    if (check.status !== 'verified') {
      summary.problems.push({ eventId: check.eventId, status: check.status, message: check.message })
    }
    for (const signer of check.signedBy) {
      const tally = this.#secrets.get(signer.id)
      if (!tally) continue
      tally.signed++
      if (check.signedBy.length === 1) {
        tally.onlyThisSecret++
        if (signer.id === this.#onlySecret) summary.onlySecret?.eventIds.push(check.eventId)
      }
    }
  }

  get summary(): VerifySummary {
    return this.#summary
  }
}

/**
 * The exit code for a set of checks (documented in the CLI's help): 1 when any event is not signed
 * by a known secret or cannot be read, else 3 when any timestamp is outside tolerance, else 0.
 */
export function exitCodeFor(byStatus: Record<CheckStatus, number>): number {
  if (byStatus.signature_failed > 0 || byStatus.unreadable > 0) return 1
  if (byStatus.timestamp_outside_tolerance > 0) return 3
  return 0
}
