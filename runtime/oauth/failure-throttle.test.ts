import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { makeFailureThrottle } from "./failure-throttle.ts"

const windowMs = 60_000
const throttle = (limit = 3, maxKeys = 100) => makeFailureThrottle({ limit, windowMs, maxKeys })

/** `count` failures of `key`, all at `at`. */
const fail = (t: ReturnType<typeof throttle>, key: string, count: number, at: number) => {
  for (let i = 0; i < count; i++) t.failed(key, at)
}

describe("failure throttle", () => {
  it("lets a key try until its failures reach the limit, then blocks it", () => {
    const t = throttle(3)
    expect(t.blockedFor("k", 1000)).toBe(0)
    fail(t, "k", 2, 1000)
    expect(t.blockedFor("k", 1000)).toBe(0)
    t.failed("k", 1000)
    expect(t.blockedFor("k", 1000)).toBe(60)
  })

  it("answers the whole seconds left in the window, at least 1, and nothing once the window has ended", () => {
    const t = throttle(1)
    t.failed("k", 0)
    expect(t.blockedFor("k", 0)).toBe(60)
    expect(t.blockedFor("k", 500)).toBe(60)
    expect(t.blockedFor("k", 1000)).toBe(59)
    expect(t.blockedFor("k", 58_001)).toBe(2)
    expect(t.blockedFor("k", windowMs - 1)).toBe(1)
    expect(t.blockedFor("k", windowMs)).toBe(0)
    // A failure after the window starts a new one: one failure again reaches the limit of 1.
    t.failed("k", windowMs)
    expect(t.blockedFor("k", windowMs)).toBe(60)
  })

  it("keeps a fixed window: failures while blocked do not push its end further", () => {
    const t = throttle(2)
    fail(t, "k", 2, 0)
    fail(t, "k", 50, 30_000)
    expect(t.blockedFor("k", 30_000)).toBe(30)
    expect(t.blockedFor("k", windowMs)).toBe(0)
  })

  it("counts each key apart: one key's failures never block another", () => {
    const t = throttle(2)
    fail(t, "acme\u0000posc_1\u0000203.0.113.9", 2, 0)
    expect(t.blockedFor("acme\u0000posc_1\u0000203.0.113.9", 0)).toBeGreaterThan(0)
    expect(t.blockedFor("acme\u0000posc_1\u0000198.51.100.4", 0)).toBe(0)
    expect(t.blockedFor("acme\u0000posc_2\u0000203.0.113.9", 0)).toBe(0)
    expect(t.blockedFor("globex\u0000posc_1\u0000203.0.113.9", 0)).toBe(0)
  })

  it("forgets a key's failures when it succeeds", () => {
    const t = throttle(3)
    fail(t, "k", 2, 0)
    t.succeeded("k")
    fail(t, "k", 2, 1)
    expect(t.blockedFor("k", 1)).toBe(0)
    t.failed("k", 1)
    expect(t.blockedFor("k", 1)).toBe(60)
    t.succeeded("k")
    expect(t.blockedFor("k", 1)).toBe(0)
    // Succeeding for a key never seen changes nothing.
    t.succeeded("nobody")
    expect(t.blockedFor("nobody", 1)).toBe(0)
  })

  it("tracks at most maxKeys keys: the oldest window is dropped first", () => {
    const t = throttle(1, 3)
    for (const [i, key] of ["a", "b", "c"].entries()) t.failed(key, i)
    for (const key of ["a", "b", "c"]) expect(t.blockedFor(key, 10)).toBe(60)
    // A further failure of a known key adds no key.
    t.failed("a", 10)
    expect(t.blockedFor("c", 10)).toBe(60)
    t.failed("d", 10)
    expect(t.blockedFor("a", 10)).toBe(0)
    for (const key of ["b", "c", "d"]) expect(t.blockedFor(key, 10)).toBe(60)
    t.failed("e", 11)
    expect(t.blockedFor("b", 11)).toBe(0)
    for (const key of ["c", "d", "e"]) expect(t.blockedFor(key, 11)).toBe(60)
  })

  it("never blocks before `limit` failures in a window, and always after (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 0, max: windowMs - 1 }), { minLength: 1, maxLength: 40 }),
        (limit, offsets) => {
          const t = throttle(limit)
          const times = [...offsets].sort((a, b) => a - b)
          for (const [i, at] of times.entries()) {
            t.failed("k", at)
            const blocked = t.blockedFor("k", at)
            if (i + 1 < limit) expect(blocked).toBe(0)
            else {
              expect(blocked).toBeGreaterThanOrEqual(1)
              expect(blocked).toBeLessThanOrEqual(windowMs / 1000)
            }
          }
        }
      )
    )
  })
})
