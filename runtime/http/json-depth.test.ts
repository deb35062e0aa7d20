import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { nestedDeeperThan } from "./json-depth.ts"

/** The model: how many arrays and objects the parsed value opens inside one another. */
const depthOf = (value: unknown): number =>
  Array.isArray(value)
    ? 1 + Math.max(0, ...value.map(depthOf))
    : typeof value === "object" && value !== null
      ? 1 + Math.max(0, ...Object.values(value).map(depthOf))
      : 0

const bytes = (text: string) => new TextEncoder().encode(text)

describe("nesting depth of a JSON text", () => {
  it("agrees with the parsed value's depth, strings holding brackets, quotes and escapes included", () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 8 }),
        fc.integer({ min: 0, max: 9 }),
        fc.boolean(),
        (value, limit, spaced) => {
          const text = JSON.stringify(value, null, spaced ? 2 : undefined) ?? "null"
          expect(nestedDeeperThan(bytes(text), limit)).toBe(depthOf(JSON.parse(text)) > limit)
        }
      ),
      { numRuns: 2000 }
    )
  })

  it("counts brackets in keys and escaped quotes as text", () => {
    expect(nestedDeeperThan(bytes('{"[[[":"\\"]]]"}'), 1)).toBe(false)
    expect(nestedDeeperThan(bytes('{"a":"\\\\","b":[[1]]}'), 2)).toBe(true)
  })

  it("stops at the first level over the limit, however long the text", () => {
    const deep = `${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}`
    expect(nestedDeeperThan(bytes(deep), 64)).toBe(true)
    expect(nestedDeeperThan(bytes("[".repeat(64)), 64)).toBe(false)
  })
})
