/**
 * Whether a JSON text opens more than `limit` arrays and objects inside one another. JSON.parse
 * takes any depth, but what reads the value afterwards (schema checks, messages that show it) walks
 * it recursively: 100,000 nested arrays overflow the stack there. One pass over the bytes; brackets
 * inside strings do not count. A text that is not JSON may give any answer (the decoder refuses it).
 */
export const nestedDeeperThan = (bytes: Uint8Array, limit: number): boolean => {
  let depth = 0
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!
    if (byte === 0x22) {
      // Skip the string, escapes included.
      for (i++; i < bytes.length && bytes[i] !== 0x22; i++) if (bytes[i] === 0x5c) i++
    } else if (byte === 0x5b || byte === 0x7b) {
      if (++depth > limit) return true
    } else if (byte === 0x5d || byte === 0x7d) {
      depth--
    }
  }
  return false
}
