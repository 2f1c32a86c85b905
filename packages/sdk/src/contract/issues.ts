import type { z } from 'zod'

/** One schema problem, as stored in DLQ headers, logs and error details: where and what, no value. */
export interface PayloadIssue {
  /** Dotted path into the payload (`items.0.price`), `(payload)` for the payload itself. */
  path: string
  /** zod's issue code, e.g. `invalid_type`. */
  code: string
  message: string
}

const REDACTED = '[redacted]'
/** Strings shorter than this are too common ("USD", "pro") to be worth hiding and too likely to hit schema words. */
const MIN_REDACTED_LENGTH = 4
/** Leaves looked at for redaction; a payload's first ones are enough to cover what a message can echo. */
const MAX_LEAVES = 10_000

/** String (and long numeric) leaves of a parsed JSON value, iteratively, at most {@link MAX_LEAVES}. */
function leafTexts(value: unknown): string[] {
  const out = new Set<string>()
  const stack: unknown[] = [value]
  let visited = 0
  while (stack.length > 0 && visited < MAX_LEAVES) {
    const next = stack.pop()
    visited++
    if (typeof next === 'string') {
      if (next.length >= MIN_REDACTED_LENGTH) out.add(next)
    } else if (typeof next === 'number') {
      // Short numbers are amounts and counts a schema message may name as limits; long ones may be card numbers.
      const text = String(next)
      if (text.length >= 6) out.add(text)
    } else if (next !== null && typeof next === 'object') {
      stack.push(...(Object.values(next) as unknown[]))
    }
  }
  // Longest first, so a value that contains another is replaced whole.
  return [...out].sort((a, b) => b.length - a.length)
}

/**
 * zod's issues as path and message, with every payload value that a message quotes replaced by
 * `[redacted]`. zod's own messages name what was expected and the type received, never the value;
 * a schema's custom message may quote the input, and DLQ headers and logs must not carry card
 * numbers or secrets, so the messages are scrubbed against the payload's values rather than trusted.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], payload: unknown): PayloadIssue[] {
  const described = issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(payload)',
    code: issue.code,
    message: issue.message,
  }))
  if (!described.some((i) => i.message.length >= MIN_REDACTED_LENGTH)) return described
  const secrets = leafTexts(payload)
  return described.map((issue) => {
    let message = issue.message
    for (const secret of secrets) if (message.includes(secret)) message = message.split(secret).join(REDACTED)
    return { ...issue, message }
  })
}
