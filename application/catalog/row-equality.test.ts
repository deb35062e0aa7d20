import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { sameRow } from "./row-equality.ts"

describe("sameRow", () => {
  it("ignores updatedAt, createdAt and key order; compares Dates by instant", () => {
    const a = { id: "x", at: new Date(5), tags: ["a", "b"], nested: { p: 1, q: [{ r: null }] }, updatedAt: new Date(1) }
    const b = {
      updatedAt: new Date(2),
      nested: { q: [{ r: null }], p: 1 },
      tags: ["a", "b"],
      at: new Date(5),
      id: "x",
      createdAt: new Date(9)
    }
    expect(sameRow(a, b)).toBe(true)
  })

  it("tells apart any change of value, length, type or key", () => {
    const base = { id: "x", price: 100, list: [1, 2], when: new Date(5), meta: { k: "v" }, maybe: null }
    const changes: Array<Record<string, unknown>> = [
      { price: 101 },
      { price: "100" },
      { list: [1, 2, 3] },
      { list: [2, 1] },
      { when: new Date(6) },
      { when: 5 },
      { meta: { k: "w" } },
      { meta: { k: "v", extra: 1 } },
      { maybe: 0 },
      { extra: true }
    ]
    for (const change of changes) expect(sameRow(base, { ...base, ...change })).toBe(false)
    expect(sameRow({ ...base, list: { 0: 1, 1: 2 } }, base)).toBe(false)
  })

  it("agrees with structural equality on arbitrary JSON-like rows", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (x, y) => {
        const a = { v: x }
        const b = { v: y }
        expect(sameRow(a, b)).toBe(JSON.stringify(sorted(x)) === JSON.stringify(sorted(y)))
        expect(sameRow(a, { v: structuredClone(x) })).toBe(true)
      })
    )
  })
})

const sorted = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(sorted)
    : value !== null && typeof value === "object"
      ? Object.fromEntries(
          Object.keys(value)
            .sort()
            .map((k) => [k, sorted((value as Record<string, unknown>)[k])])
        )
      : Object.is(value, -0)
        ? 0
        : value
