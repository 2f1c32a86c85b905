import { readHeader } from '../verification/headers.js'
import type { RequestHeaders } from '../verification/types.js'
import { resolvePointer } from './json-pointer.js'
import type { ValueSpec } from './types.js'

/** Prefix of a value spec that reads a request header: `header:X-Event-Id`. */
export const HEADER_PREFIX = 'header:'
// Calendar date and time, optional fraction and zone: what providers send. Date.parse alone would
// also accept "1" or "March 7", which must not silently become a version.
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$/i
const NUMERIC = /^-?\d+(?:\.\d+)?$/

/** The header a value spec reads (lower-cased), if it is `header:Name`. */
export function headerNameOf(spec: ValueSpec | undefined): string | undefined {
  return spec?.startsWith(HEADER_PREFIX) ? spec.slice(HEADER_PREFIX.length).toLowerCase() : undefined
}

/** Resolves a value spec: `header:Name` reads a header, `/pointer` the body, anything else is literal. */
export function resolveSpec(spec: ValueSpec, body: unknown, headers: RequestHeaders): unknown {
  if (spec.startsWith(HEADER_PREFIX)) {
    const read = readHeader(headers, spec.slice(HEADER_PREFIX.length))
    return read.status === 'present' ? read.value : undefined
  }
  return resolvePointer(body, spec)
}

/** A JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Milliseconds since the epoch for an ISO 8601 date-time string, else `undefined`. */
export function parseIsoMs(value: unknown): number | undefined {
  if (typeof value !== 'string' || !ISO_DATE_TIME.test(value.trim())) return undefined
  const ms = Date.parse(value.trim())
  return Number.isFinite(ms) ? ms : undefined
}

/** A version: a finite number as-is, a numeric string as its number, an ISO date-time as ms. */
export function coerceVersion(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value !== 'string') return undefined
  const trimmed = value.trim()
  if (NUMERIC.test(trimmed)) {
    const number = Number(trimmed)
    return Number.isFinite(number) ? number : undefined
  }
  return parseIsoMs(trimmed)
}

/**
 * A point in time: ISO date-time, or a number (or numeric string) read as unix seconds below 1e11
 * and as milliseconds above (1e11 s is the year 5138, 1e11 ms is 1973, so the ranges cannot clash
 * for real event times).
 */
export function coerceInstantMs(value: unknown): number | undefined {
  const iso = parseIsoMs(value)
  if (iso !== undefined) return iso
  const number =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && NUMERIC.test(value.trim())
        ? Number(value)
        : NaN
  if (!Number.isFinite(number) || number < 0) return undefined
  return number < 1e11 ? Math.round(number * 1000) : Math.round(number)
}

/** Outcome of reading an identifier (entity ID, type, provider event ID). */
export type IdRead =
  { status: 'ok'; value: string } | { status: 'missing' } | { status: 'invalid'; problem: string }

/**
 * An identifier as a string. Integers are accepted (GitHub and Shopify IDs are JSON numbers) but
 * only when exactly representable: JSON.parse rounds integers above 2^53, and a rounded ID would
 * silently merge two entities.
 */
export function readId(value: unknown): IdRead {
  if (value === undefined || value === null || value === '') return { status: 'missing' }
  if (typeof value === 'string') return value.trim() === '' ? { status: 'missing' } : { status: 'ok', value }
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return { status: 'ok', value: String(value) }
    return {
      status: 'invalid',
      problem: 'is a number that is not an exact integer (JSON numbers above 2^53 lose digits)',
    }
  }
  return {
    status: 'invalid',
    problem: `is ${Array.isArray(value) ? 'an array' : `a ${typeof value}`}, expected a string or integer`,
  }
}
