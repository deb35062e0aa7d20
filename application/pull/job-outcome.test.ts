import { describe, expect, it } from "vitest"
import { jobOutcome, problemsText, retryDelayMs } from "./job-outcome.ts"
import type { PullProblem } from "./pull-problems.ts"
import { pullJob } from "./queue-pull.ts"

const policy = { maxAttempts: 4, retryBaseMs: 1000, retryMaxMs: 5000 }
const at = new Date("2026-03-16T10:00:00.000Z")
const job = (attempts: number) => ({
  ...pullJob({ provider: "lightspeed", externalOutletId: "45454", accountId: null }, "request", at),
  status: "running" as const,
  attempts
})
const unavailable: PullProblem = { error: "PosUnavailable", message: "timed out", retryable: true, outlet: "45454" }
const rejected: PullProblem = { error: "PosRejected", message: "no such location", retryable: false, outlet: null }

describe("a pull job's outcome", () => {
  it("backs off exponentially from the base, capped at the maximum", () => {
    expect([1, 2, 3, 4, 5, 60].map((attempt) => retryDelayMs(attempt, policy))).toEqual([
      1000, 2000, 4000, 5000, 5000, 5000
    ])
  })

  it("is done when no step failed", () => {
    expect(jobOutcome(job(1), [], policy, at)).toEqual({ _tag: "done", at })
  })

  it("is retried after the backoff while a failure is worth retrying and tries are left", () => {
    expect(jobOutcome(job(2), [unavailable], policy, at)).toEqual({
      _tag: "retry",
      at,
      error: "PosUnavailable (outlet 45454): timed out",
      retryAt: new Date(at.getTime() + 2000)
    })
    // A final failure beside a retryable one: the run is tried again (each step records its own outcome).
    expect(jobOutcome(job(1), [rejected, unavailable], policy, at)._tag).toBe("retry")
  })

  it("fails for good on a final failure, at once, and when the tries are used up", () => {
    expect(jobOutcome(job(1), [rejected], policy, at)).toEqual({
      _tag: "failed",
      at,
      error: "PosRejected: no such location"
    })
    expect(jobOutcome(job(4), [unavailable], policy, at)).toEqual({
      _tag: "failed",
      at,
      error: "gave up after 4 attempts: PosUnavailable (outlet 45454): timed out"
    })
  })

  it("keeps the error text within 1000 characters", () => {
    const many = Array.from({ length: 50 }, (_, i) => ({
      ...unavailable,
      outlet: `outlet-${i}`,
      message: "x".repeat(40)
    }))
    const text = problemsText(many)
    expect(text).toHaveLength(1000)
    expect(text.endsWith("...")).toBe(true)
  })
})
