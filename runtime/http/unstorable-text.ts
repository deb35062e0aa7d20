/**
 * Text PostgreSQL cannot store as sent: a NUL character (`invalid byte sequence for encoding
 * "UTF8": 0x00`), and a lone UTF-16 surrogate, which would be stored as U+FFFD and so read back
 * as something else than what was accepted. Refused at the edge, naming where it was found.
 */
export const unstorableText = (text: string): string | undefined => {
  if (text.includes("\u0000")) return "contains a NUL character"
  return text.isWellFormed() ? undefined : "contains a lone surrogate (not valid Unicode)"
}

export interface UnstorableFound {
  readonly path: ReadonlyArray<PropertyKey>
  readonly problem: string
  readonly value?: { readonly value: unknown }
}

/** The first key or string value, depth first, that cannot be stored, with its path in the JSON value. */
export const firstUnstorableText = (
  value: unknown,
  path: ReadonlyArray<PropertyKey> = []
): UnstorableFound | undefined => {
  if (typeof value === "string") {
    const problem = unstorableText(value)
    return problem === undefined ? undefined : { path, problem, value: { value } }
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = firstUnstorableText(value[i], [...path, i])
      if (found !== undefined) return found
    }
    return undefined
  }
  if (typeof value === "object" && value !== null) {
    for (const key of Object.keys(value)) {
      const keyProblem = unstorableText(key)
      if (keyProblem !== undefined) return { path: [...path, key], problem: `the field name ${keyProblem}` }
      const found = firstUnstorableText((value as Record<string, unknown>)[key], [...path, key])
      if (found !== undefined) return found
    }
  }
  return undefined
}

const backslash = 0x5c
const letterU = 0x75

const hexValue = (bytes: Uint8Array, at: number): number => {
  let n = 0
  for (let i = at; i < at + 4; i++) {
    const c = bytes[i]
    if (c === undefined) return -1
    const digit =
      c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 0x37 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1
    if (digit < 0) return -1
    n = n * 16 + digit
  }
  return n
}

/**
 * Whether raw JSON bytes hold a `\u0000` escape or a surrogate escape that is not part of a pair.
 * A quick scan with the native byte search, so a large catalog costs milliseconds; JSON that is
 * not valid is left to the JSON parser.
 */
export const hasSuspiciousEscape = (bytes: Uint8Array): boolean => {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = buffer.indexOf("\\u")
  while (at !== -1) {
    // `\\u0000` is an escaped backslash followed by the text "u0000": count the backslashes.
    let run = 0
    for (let i = at; i >= 0 && buffer[i] === backslash; i--) run++
    let next = at + 2
    if (run % 2 === 1) {
      const code = hexValue(bytes, at + 2)
      if (code === 0) return true
      if (code >= 0xd800 && code <= 0xdbff) {
        const low = buffer[at + 6] === backslash && buffer[at + 7] === letterU ? hexValue(bytes, at + 8) : -1
        if (low < 0xdc00 || low > 0xdfff) return true
        next = at + 12
      } else if (code >= 0xdc00 && code <= 0xdfff) {
        return true
      }
    }
    at = buffer.indexOf("\\u", next)
  }
  return false
}
