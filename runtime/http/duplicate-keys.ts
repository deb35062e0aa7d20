/**
 * The first object key a JSON text repeats, with the path of the object that repeats it. JSON.parse
 * keeps the last value silently, so `{"amount": 100, "amount": 1}` would be read as 1 by us and
 * maybe as 100 by whoever checked the request before us: such a body is refused instead.
 *
 * One pass over the UTF-8 bytes, without building values: only the keys of the objects open at
 * each moment are kept. A text that is not valid JSON may give any answer (the decoder refuses it).
 */
export interface DuplicateKey {
  readonly path: ReadonlyArray<string | number>
  readonly key: string
}

const quote = 0x22
const backslash = 0x5c

interface Frame {
  /** The keys seen so far (objects), or undefined (arrays). */
  readonly keys: Set<string> | undefined
  /** The key or index this value sits at in its parent. */
  readonly at: string | number | undefined
  /** Arrays: the index of the next element. */
  index: number
  /** Objects: the key whose value comes next. */
  pendingKey: string | undefined
}

const decoder = new TextDecoder()

/** A string token's text, its escapes read as JSON reads them. */
const stringAt = (bytes: Uint8Array, start: number, end: number, escaped: boolean): string => {
  const raw = decoder.decode(bytes.subarray(start, end))
  if (!escaped) return raw
  try {
    return JSON.parse(`"${raw}"`) as string
  } catch {
    return raw
  }
}

export const firstDuplicateKey = (bytes: Uint8Array): DuplicateKey | undefined => {
  const stack: Array<Frame> = []
  const pathOf = () => stack.slice(1).map((frame) => frame.at!)
  /** The key or index of a value starting now, in the innermost open container. */
  const nextAt = (): string | number | undefined => {
    const top = stack.at(-1)
    if (top === undefined) return undefined
    if (top.keys !== undefined) return top.pendingKey
    return top.index++
  }
  let expectKey = false
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!
    if (byte === quote) {
      const start = i + 1
      let escaped = false
      let j = start
      for (; j < bytes.length; j++) {
        const c = bytes[j]!
        if (c === backslash) {
          escaped = true
          j++
        } else if (c === quote) break
      }
      const top = stack.at(-1)
      if (expectKey && top?.keys !== undefined) {
        const key = stringAt(bytes, start, j, escaped)
        if (top.keys.has(key)) return { path: pathOf(), key }
        top.keys.add(key)
        top.pendingKey = key
        expectKey = false
      } else {
        nextAt()
      }
      i = j
      continue
    }
    switch (byte) {
      case 0x7b: // {
        stack.push({ keys: new Set(), at: nextAt(), index: 0, pendingKey: undefined })
        expectKey = true
        break
      case 0x5b: // [
        stack.push({ keys: undefined, at: nextAt(), index: 0, pendingKey: undefined })
        expectKey = false
        break
      case 0x7d: // }
      case 0x5d: // ]
        stack.pop()
        expectKey = false
        break
      case 0x2c: // ,
        expectKey = stack.at(-1)?.keys !== undefined
        break
      case 0x3a: // :
        expectKey = false
        break
      default:
        // A number, true, false or null starting: an element of an array counts its index.
        if (stack.at(-1)?.keys === undefined && byte > 0x20 && !expectKey) {
          const previous = bytes[i - 1]
          const startsValue =
            previous === undefined ||
            previous === 0x5b ||
            previous === 0x2c ||
            previous === 0x20 ||
            previous === 0x0a ||
            previous === 0x0d ||
            previous === 0x09
          if (startsValue && isValueStart(byte)) nextAt()
        }
    }
  }
  return undefined
}

/** The first byte of a number, true, false or null. */
const isValueStart = (byte: number) =>
  byte === 0x2d || (byte >= 0x30 && byte <= 0x39) || byte === 0x74 || byte === 0x66 || byte === 0x6e
