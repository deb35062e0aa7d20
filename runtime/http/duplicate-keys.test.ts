import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { firstDuplicateKey } from "./duplicate-keys.ts"

const scan = (text: string) => firstDuplicateKey(new TextEncoder().encode(text))

/** A JSON text with `keys` written as given (repeats included), as a writer of raw JSON would. */
type Raw =
  | { readonly _tag: "object"; readonly entries: ReadonlyArray<readonly [string, Raw]> }
  | {
      readonly _tag: "array"
      readonly items: ReadonlyArray<Raw>
    }
  | { readonly _tag: "scalar"; readonly json: string }

const write = (raw: Raw, space: string): string => {
  switch (raw._tag) {
    case "scalar":
      return raw.json
    case "array":
      return `[${raw.items.map((item) => write(item, space)).join(`,${space}`)}]`
    case "object":
      return `{${raw.entries.map(([key, value]) => `${JSON.stringify(key)}:${space}${write(value, space)}`).join(`,${space}`)}}`
  }
}

/** The model: the first repeated key in document order (a key repeats when seen before in its object). */
const model = (
  raw: Raw,
  path: Array<string | number> = []
): { path: Array<string | number>; key: string } | undefined => {
  if (raw._tag === "array") {
    for (let i = 0; i < raw.items.length; i++) {
      const found = model(raw.items[i]!, [...path, i])
      if (found !== undefined) return found
    }
    return undefined
  }
  if (raw._tag === "object") {
    const seen = new Set<string>()
    for (const [key, value] of raw.entries) {
      if (seen.has(key)) return { path, key }
      seen.add(key)
      const found = model(value, [...path, key])
      if (found !== undefined) return found
    }
  }
  return undefined
}

const arbKey = fc.constantFrom("a", "b", "amount", "é", 'q"uote', "back\\slash", "\u0061", "line\nbreak", "{", "[1]")
const arbScalar = fc.oneof(
  fc.constantFrom("true", "false", "null", "0", "-1.5e3", "12"),
  fc.string({ maxLength: 6 }).map((s) => JSON.stringify(s))
)
const arbRaw: fc.Arbitrary<Raw> = fc.letrec<{ raw: Raw }>((tie) => ({
  raw: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    arbScalar.map((json): Raw => ({ _tag: "scalar", json })),
    fc.array(tie("raw"), { maxLength: 4 }).map((items): Raw => ({ _tag: "array", items })),
    fc.array(fc.tuple(arbKey, tie("raw")), { maxLength: 4 }).map((entries): Raw => ({ _tag: "object", entries }))
  )
})).raw

describe("firstDuplicateKey", () => {
  it("finds what the model finds, at the same path, in any document, spaced or not", () => {
    fc.assert(
      fc.property(arbRaw, fc.constantFrom("", " ", "\n  "), (raw, space) => {
        expect(scan(write(raw, space))).toEqual(model(raw))
      }),
      { numRuns: 2000 }
    )
  })

  it("reads escaped keys as JSON does: \\u0061 repeats a", () => {
    expect(scan('{"a": 1, "\\u0061": 2}')).toEqual({ path: [], key: "a" })
    expect(scan('{"items": [{"x": 1}, {"y": 2, "y": 3}]}')).toEqual({ path: ["items", 1], key: "y" })
    expect(scan('{"a": {"b": 1}, "b": 2}')).toBeUndefined()
    expect(scan('[1, "a", {"k": [true, {"k": 1, "k": 2}]}]')).toEqual({ path: [2, "k", 1], key: "k" })
  })
})
