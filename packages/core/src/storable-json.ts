/**
 * Deepest nesting of arrays and objects a stored body may have. Real provider payloads nest about
 * ten levels; PostgreSQL 15 with its default `max_stack_depth` (2MB) parses about 10,000 levels
 * before failing with "stack depth limit exceeded", and `JSON.stringify` overflows near that too,
 * so 256 leaves a wide margin on both sides.
 */
export const MAX_JSON_DEPTH = 256

/** Why a body that parses as JSON still cannot be stored as PostgreSQL jsonb. */
export type UnstorableJsonProblem =
  'not_json' | 'too_deep' | 'nul_character' | 'lone_surrogate' | 'number_out_of_range'

/** Outcome of {@link parseStorableJson}. `text` is what to hand to PostgreSQL as jsonb. */
export type StorableJson =
  { ok: true; text: string; value: unknown } | { ok: false; problem: UnstorableJsonProblem; message: string }

// PostgreSQL numeric: the leading digit's decimal weight is at most 4 × 32768 − 1 and at most
// 16383 digits follow the decimal point; an exponent beyond ±(2^31 − 1)/2 is refused outright.
const NUMERIC_MAX_WEIGHT = 131_071
const NUMERIC_MAX_SCALE = 16_383
const NUMERIC_MAX_EXPONENT = 1_073_741_823
const NUMBER = /-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?/y
const STRING_STOP = /["\\]/g
const HEX4 = /^[0-9a-fA-F]{4}$/

function failure(problem: UnstorableJsonProblem, message: string): StorableJson {
  return { ok: false, problem, message }
}

function numberFits(intDigits: string, fracDigits: string, exponentText: string | undefined): boolean {
  const exponent = exponentText === undefined ? 0 : Number(exponentText)
  if (Math.abs(exponent) >= NUMERIC_MAX_EXPONENT) return false
  if (Math.max(0, fracDigits.length - exponent) > NUMERIC_MAX_SCALE) return false
  const digits = intDigits + fracDigits
  const leading = digits.search(/[1-9]/)
  if (leading === -1) return true
  return intDigits.length - 1 - leading + exponent <= NUMERIC_MAX_WEIGHT
}

function hexAt(text: string, index: number): number | undefined {
  const hex = text.slice(index, index + 4)
  return HEX4.test(hex) ? Number.parseInt(hex, 16) : undefined
}

/**
 * Checks the string that starts with the quote at `start`; returns the index after its closing
 * quote, or the problem. Only `\u` escapes can name what jsonb refuses: raw control characters are
 * not JSON, and text decoded from UTF-8 holds no unpaired surrogates.
 */
function scanString(text: string, start: number): number | StorableJson {
  let index = start + 1
  for (;;) {
    STRING_STOP.lastIndex = index
    const stop = STRING_STOP.exec(text)
    if (stop === null) return text.length
    if (stop[0] === '"') return stop.index + 1
    index = stop.index + 2
    if (text[stop.index + 1] !== 'u') continue
    const unit = hexAt(text, stop.index + 2) ?? -1
    index = stop.index + 6
    if (unit === 0) {
      return failure(
        'nul_character',
        `The JSON contains \\u0000 (at character ${stop.index}), a NUL character that PostgreSQL text and jsonb cannot store.`,
      )
    }
    if (unit >= 0xd800 && unit <= 0xdbff && text.startsWith('\\u', index)) {
      const low = hexAt(text, index + 2) ?? -1
      if (low >= 0xdc00 && low <= 0xdfff) {
        index += 6
        continue
      }
    }
    if (unit >= 0xd800 && unit <= 0xdfff) {
      return failure(
        'lone_surrogate',
        `The JSON contains an unpaired UTF-16 surrogate escape (at character ${stop.index}); it is not a Unicode character and PostgreSQL jsonb refuses it. Escape characters outside the BMP as a surrogate pair, or send them as UTF-8.`,
      )
    }
  }
}

/** Walks text that `JSON.parse` accepted, without recursion, for what jsonb would refuse. */
function scan(text: string): StorableJson | undefined {
  let depth = 0
  let index = 0
  while (index < text.length) {
    const char = text.charCodeAt(index)
    if (char === 0x22) {
      const next = scanString(text, index)
      if (typeof next !== 'number') return next
      index = next
    } else if (char === 0x5b || char === 0x7b) {
      depth++
      if (depth > MAX_JSON_DEPTH) {
        return failure(
          'too_deep',
          `The JSON nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep; the ledger stores at most ${MAX_JSON_DEPTH}.`,
        )
      }
      index++
    } else if (char === 0x5d || char === 0x7d) {
      depth--
      index++
    } else if (char === 0x2d || (char >= 0x30 && char <= 0x39)) {
      NUMBER.lastIndex = index
      const match = NUMBER.exec(text)
      if (match === null) return undefined // unreachable after JSON.parse accepted the text
      if (!numberFits(match[1] ?? '', match[2] ?? '', match[3])) {
        return failure(
          'number_out_of_range',
          `The JSON holds a number (at character ${index}) outside PostgreSQL's numeric range: at most 131072 digits before the decimal point and 16383 after.`,
        )
      }
      index = NUMBER.lastIndex
    } else {
      index++
    }
  }
  return undefined
}

/**
 * The one rule, shared by ingest (which quarantines what fails it) and the projector (which
 * stores what passes it), for what JSON the ledger can keep as PostgreSQL jsonb. A leading UTF-8
 * byte order mark is tolerated and left out of `text`; the raw bytes themselves are never changed.
 * Refused: text that is not JSON, `\u0000`, unpaired surrogate escapes, numbers outside
 * PostgreSQL's numeric range and nesting deeper than {@link MAX_JSON_DEPTH}. Never throws, and
 * hostile nesting costs linear time without recursion.
 */
export function parseStorableJson(body: Buffer | string): StorableJson {
  const text = jsonText(body)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return failure('not_json', 'The body is not valid JSON.')
  }
  return scan(text) ?? { ok: true, text, value }
}

/** A body as JSON text: decoded as UTF-8, without a leading byte order mark. */
export function jsonText(body: Buffer | string): string {
  const text = typeof body === 'string' ? body : body.toString('utf8')
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}
