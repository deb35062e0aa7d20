import { describe, expect, it } from "vitest"
import { derivedId, outletId, productId } from "./ids.ts"

describe("derived ids", () => {
  it("are stable and depend on every part of the key", () => {
    expect(productId("deliverect", "p1")).toBe(productId("deliverect", "p1"))
    expect(productId("deliverect", "p1")).not.toBe(productId("lightspeed", "p1"))
    expect(productId("deliverect", "p1")).not.toBe(outletId("deliverect", "p1"))
    expect(derivedId("x", "ab", "c")).not.toBe(derivedId("x", "a", "bc"))
    expect(productId("deliverect", "p1")).toMatch(/^prd_[0-9a-f]{32}$/)
  })

  it("do not collide over many keys, nor lose bits in any 32-bit lane", () => {
    const ids = new Set<string>()
    const lanes = [new Set<string>(), new Set<string>(), new Set<string>(), new Set<string>()]
    for (let i = 0; i < 200_000; i++) {
      const id = productId("deliverect", `item-${i}`)
      ids.add(id)
      for (let lane = 0; lane < 4; lane++) lanes[lane]!.add(id.slice(4 + lane * 8, 12 + lane * 8))
    }
    expect(ids.size).toBe(200_000)
    // Each lane alone is a 32-bit hash: a handful of collisions among 200k is expected, many is a weak lane.
    for (const lane of lanes) expect(lane.size).toBeGreaterThan(199_980)
  })
})
