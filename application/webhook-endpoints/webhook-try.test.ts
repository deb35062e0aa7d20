import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { decideWebhookTry } from "./endpoints.ts"

const policy = { baseMs: 5000, maxMs: 3_600_000, giveUpMs: 86_400_000 }
const since = new Date("2026-05-01T10:00:00.000Z")
const later = (ms: number) => new Date(since.getTime() + ms)

describe("what follows a webhook delivery's try", () => {
  it("delivers on any 2xx, and retries anything else", () => {
    for (const statusCode of [200, 201, 204, 299]) {
      expect(
        decideWebhookTry({ triesSince: 1, tryingSince: since }, { statusCode, error: null }, later(10), policy, 0.5)
      ).toEqual({ _tag: "Delivered" })
    }
    for (const outcome of [
      { statusCode: 500, error: "answered 500" },
      { statusCode: 302, error: "answered 302" },
      { statusCode: 410, error: "answered 410" },
      { statusCode: null, error: "timeout after 10000 ms" }
    ]) {
      expect(decideWebhookTry({ triesSince: 1, tryingSince: since }, outcome, later(10), policy, 0.5)._tag).toBe(
        "Retry"
      )
    }
  })

  it("waits a random time below the doubling cap (full jitter), never past the day", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 86_399_999 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (attempts, elapsed, random) => {
          const finishedAt = later(elapsed)
          const decision = decideWebhookTry(
            { triesSince: attempts, tryingSince: since },
            { statusCode: 503, error: "answered 503" },
            finishedAt,
            policy,
            random
          )
          if (decision._tag !== "Retry") return expect.fail(`a retry, not ${decision._tag}`)
          const wait = decision.dueAt.getTime() - finishedAt.getTime()
          const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempts - 1))
          expect(wait).toBeGreaterThanOrEqual(0)
          expect(wait).toBeLessThanOrEqual(cap)
          expect(decision.dueAt.getTime()).toBeLessThanOrEqual(since.getTime() + policy.giveUpMs)
        }
      )
    )
  })

  it("gives up a try that fails a day or more after the delivery began trying, saying why", () => {
    const decision = decideWebhookTry(
      { triesSince: 31, tryingSince: since },
      { statusCode: null, error: "connection refused" },
      later(policy.giveUpMs),
      policy,
      0.3
    )
    expect(decision).toEqual({
      _tag: "GiveUp",
      reason: "every try since 2026-05-01T10:00:00.000Z failed (31 in all); the last: connection refused"
    })
  })
})
