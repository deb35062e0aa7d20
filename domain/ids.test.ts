import { describe, expect, it } from "vitest"
import { derivedId, outletId, productId } from "./ids.ts"

describe("derived ids", () => {
  it("are stable and depend on every part of the key", () => {
    expect(productId("deliverect", "p1")).toBe(productId("deliverect", "p1"))
    expect(productId("deliverect", "p1")).not.toBe(productId("lightspeed", "p1"))
    expect(productId("deliverect", "p1")).not.toBe(outletId("deliverect", "p1"))
    expect(derivedId("x", "ab", "c")).not.toBe(derivedId("x", "a", "bc"))
    expect(productId("deliverect", "p1")).toMatch(/^prd_[0-9a-z]{22}$/)
  })

  it("do not collide over many keys", () => {
    const ids = new Set<string>()
    for (let i = 0; i < 200_000; i++) ids.add(productId("deliverect", `item-${i}`))
    expect(ids.size).toBe(200_000)
  })
})
