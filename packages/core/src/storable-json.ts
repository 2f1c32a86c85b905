/**
 * Deepest nesting of arrays and objects a stored body may have. Real provider payloads nest about
 * ten levels; PostgreSQL 15 with its default `max_stack_depth` (2MB) fails with "stack depth limit
 * exceeded" from 13,100 nested objects (14,555 arrays), and Node 20's `JSON.stringify` overflows
 * near 4,500, so 256 leaves a wide margin on both sides.
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
const HEX4 = /^[0-9a-fA-F]{4}$/

function failure(problem: UnstorableJsonProblem, message: string): StorableJson {
  return { ok: false, problem, message }
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39
}

/** Whether PostgreSQL numeric holds the number written as `int[.frac][e exponent]`. */
function numberFits(intDigits: string, fracDigits: string, exponentText: string): boolean {
  const exponent = exponentText === '' ? 0 : Number(exponentText)
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
 * A linear walk over text that `JSON.parse` accepted (so its grammar is known to be valid), without
 * recursion, for what jsonb would refuse. Only `\u` escapes can name a NUL or a lone surrogate: raw
 * control characters are not JSON, and text decoded from UTF-8 holds no unpaired surrogates.
 */
class Scanner {
  private index = 0
  private depth = 0
  // Position of the next backslash (-1: none left, -2: not looked for yet), found once and reused
  // across strings, so a string is skipped with one indexOf for its closing quote.
  private nextBackslash = -2

  constructor(private readonly text: string) {}

  run(): StorableJson | undefined {
    const { text } = this
    while (this.index < text.length) {
      const code = text.charCodeAt(this.index)
      let problem: StorableJson | undefined
      if (code === 0x22) problem = this.string()
      else if (code === 0x5b || code === 0x7b) problem = this.open()
      else if (code === 0x5d || code === 0x7d) {
        this.depth--
        this.index++
      } else if (code === 0x2d || isDigit(code)) problem = this.number()
      else this.index++
      if (problem !== undefined) return problem
    }
    return undefined
  }

  private open(): StorableJson | undefined {
    this.depth++
    this.index++
    if (this.depth <= MAX_JSON_DEPTH) return undefined
    return failure(
      'too_deep',
      `The JSON nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep; the ledger stores at most ${MAX_JSON_DEPTH}.`,
    )
  }

  private string(): StorableJson | undefined {
    const { text } = this
    let from = this.index + 1
    for (;;) {
      const quote = text.indexOf('"', from)
      if (this.nextBackslash !== -1 && this.nextBackslash < from)
        this.nextBackslash = text.indexOf('\\', from)
      const backslash = this.nextBackslash
      if (backslash === -1 || backslash > quote) {
        this.index = quote + 1
        return undefined
      }
      from = backslash + 2
      this.nextBackslash = -2
      if (text.charCodeAt(backslash + 1) !== 0x75) continue
      const problem = this.unicodeEscape(backslash)
      if (typeof problem !== 'number') return problem
      from = problem
    }
  }

  /** Checks the `\uXXXX` escape at `at`; returns where the string goes on, or the problem. */
  private unicodeEscape(at: number): number | StorableJson {
    const { text } = this
    const unit = hexAt(text, at + 2) ?? -1
    if (unit === 0) {
      return failure(
        'nul_character',
        `The JSON contains \\u0000 (at character ${at}), a NUL character that PostgreSQL text and jsonb cannot store.`,
      )
    }
    if (unit >= 0xd800 && unit <= 0xdbff && text.startsWith('\\u', at + 6)) {
      const low = hexAt(text, at + 8) ?? -1
      if (low >= 0xdc00 && low <= 0xdfff) return at + 12
    }
    if (unit >= 0xd800 && unit <= 0xdfff) {
      return failure(
        'lone_surrogate',
        `The JSON contains an unpaired UTF-16 surrogate escape (at character ${at}); it is not a Unicode character and PostgreSQL jsonb refuses it. Escape characters outside the BMP as a surrogate pair, or send them as UTF-8.`,
      )
    }
    return at + 6
  }

  private number(): StorableJson | undefined {
    const { text } = this
    const start = this.index
    let index = text.charCodeAt(start) === 0x2d ? start + 1 : start
    const intStart = index
    while (isDigit(text.charCodeAt(index))) index++
    const intEnd = index
    let fracStart = index
    if (text.charCodeAt(index) === 0x2e) {
      fracStart = ++index
      while (isDigit(text.charCodeAt(index))) index++
    }
    const fracEnd = index
    let exponent = ''
    const marker = text.charCodeAt(index)
    if (marker === 0x65 || marker === 0x45) {
      const expStart = ++index
      if (text.charCodeAt(index) === 0x2b || text.charCodeAt(index) === 0x2d) index++
      while (isDigit(text.charCodeAt(index))) index++
      exponent = text.slice(expStart, index)
    }
    this.index = index
    // Without an exponent, no number this short can leave numeric's range.
    if (exponent === '' && index - start <= NUMERIC_MAX_SCALE) return undefined
    const fits = numberFits(
      text.slice(intStart, intEnd),
      fracEnd > fracStart ? text.slice(fracStart, fracEnd) : '',
      exponent,
    )
    if (fits) return undefined
    return failure(
      'number_out_of_range',
      `The JSON holds a number (at character ${start}) outside PostgreSQL's numeric range: at most 131072 digits before the decimal point and 16383 after.`,
    )
  }
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
  return new Scanner(text).run() ?? { ok: true, text, value }
}

/** A body as JSON text: decoded as UTF-8, without a leading byte order mark. */
export function jsonText(body: Buffer | string): string {
  const text = typeof body === 'string' ? body : body.toString('utf8')
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}
