/**
 * The dispatcher's decisions without a POS (application/orders/delivery-outcome.ts): the retry
 * schedule (capped exponential backoff with full jitter), the attempt recorded and the status each
 * call's outcome leads to, and when the dispatcher gives up: after ORDER_MAX_ATTEMPTS tries, or
 * when the next try would start later than ORDER_GIVE_UP_MS after the delivery was queued.
 */
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  type CallResult,
  decideDelivery,
  type RetryPolicy,
  retryDelayMs
} from "../../application/orders/delivery-outcome.ts"
import type { ClaimedDelivery } from "../../application/ports/orders.ts"
import type { DeliveryKind } from "../../domain/order.ts"
import { orderFixture } from "../storage/orders-contract.ts"

const policy: RetryPolicy = { maxAttempts: 5, baseMs: 1000, maxMs: 60_000, giveUpMs: 2 * 3_600_000 }

const placedAt = new Date("2026-05-04T10:00:00.000Z")
const later = (ms: number, from = placedAt) => new Date(from.getTime() + ms)

/** A claimed row: its `attempts`-th try, queued at `queuedAt` (the order's creation for a submit). */
const row = (
  kind: DeliveryKind,
  attempts: number,
  queuedAt: Date = placedAt,
  status: ClaimedDelivery["order"]["status"] = kind === "submit" ? "RECEIVED" : "SUBMITTED"
): ClaimedDelivery => ({
  id: `obx_${kind}`,
  orderId: "ord_1",
  kind,
  reason: null,
  traceContext: null,
  attempts,
  dueAt: queuedAt,
  createdAt: queuedAt,
  leaseUntil: later(30_000, queuedAt),
  order: orderFixture("1", { status, createdAt: placedAt, updatedAt: placedAt })
})

const decide = (r: ClaimedDelivery, result: CallResult, finishedAt = later(1_500, r.createdAt), random = 0.5) =>
  decideDelivery(r, result, later(-500, finishedAt), finishedAt, policy, random)

/** Random numbers as Random.next gives them: in [0, 1). */
const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })

describe("the retry schedule", () => {
  it("waits a random whole number of ms below min(max, base x 2^(n-1)) before the n-th retry", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 10, max: 3_600_000 }),
        fc.integer({ min: 10, max: 24 * 3_600_000 }),
        fc.integer({ min: 1, max: 200 }),
        unit,
        (baseMs, maxMs, retry, random) => {
          const p = { ...policy, baseMs, maxMs }
          const cap = Math.min(maxMs, baseMs * 2 ** (retry - 1))
          const delay = retryDelayMs(p, retry, random)
          expect(Number.isSafeInteger(delay)).toBe(true)
          expect(delay).toBeGreaterThanOrEqual(0)
          expect(delay).toBeLessThan(cap)
          // Full jitter: the delay is the random fraction of the cap.
          expect(delay).toBe(Math.floor(random * cap))
        }
      )
    )
  })

  it("spans the whole window: from no wait at all to just below the cap", () => {
    expect(retryDelayMs(policy, 1, 0)).toBe(0)
    expect(retryDelayMs(policy, 1, 0.999_999)).toBe(999)
    expect(retryDelayMs(policy, 2, 0.999_999)).toBe(1999)
    expect(retryDelayMs(policy, 3, 0.5)).toBe(2000)
    expect(retryDelayMs(policy, 6, 0.999_999)).toBe(31_999)
    // Capped from the 7th retry on (1000 x 2^6 = 64000 > 60000).
    expect(retryDelayMs(policy, 7, 0.999_999)).toBe(59_999)
    expect(retryDelayMs(policy, 1_000_000, 0.999_999)).toBe(59_999)
  })

  it("schedules a retry at the decision's end plus that delay", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: policy.maxAttempts - 1 }), unit, (attempts, random) => {
        const r = row("submit", attempts)
        const finishedAt = later(attempts * 1000)
        const decision = decide(r, { _tag: "Unavailable", reason: "HTTP 503" }, finishedAt, random)
        expect(decision.finish).toEqual({
          _tag: "Retry",
          dueAt: later(retryDelayMs(policy, attempts, random), finishedAt)
        })
      })
    )
  })
})

describe("the attempt and the status of each outcome", () => {
  it("a delivered order is SUBMITTED with the POS's id, from the service", () => {
    const finishedAt = later(1_500)
    const decision = decide(row("submit", 1), { _tag: "Submitted", posOrderId: "P-42", duplicate: false }, finishedAt)
    expect(decision.attempt).toEqual({
      kind: "submit",
      attempt: 1,
      startedAt: later(1_000),
      finishedAt,
      outcome: "delivered",
      reason: null
    })
    expect(decision.finish).toEqual({
      _tag: "Done",
      change: {
        to: "SUBMITTED",
        source: "service",
        vendorStatus: null,
        reason: null,
        at: finishedAt,
        posOrderId: "P-42"
      }
    })
  })

  it("the POS's duplicate answer is a success: SUBMITTED, the attempt saying why", () => {
    const decision = decide(row("submit", 3), { _tag: "Submitted", posOrderId: null, duplicate: true })
    expect(decision.attempt).toMatchObject({ attempt: 3, outcome: "duplicate" })
    expect(decision.attempt.reason).toContain("already had this order")
    expect(decision.finish).toMatchObject({ _tag: "Done", change: { to: "SUBMITTED", posOrderId: null } })
  })

  it("a refusal is REJECTED with the POS's reason, never retried", () => {
    const decision = decide(row("submit", 1), { _tag: "Rejected", reason: "Deliverect refused the order (HTTP 400)" })
    expect(decision.attempt).toMatchObject({ outcome: "rejected", reason: "Deliverect refused the order (HTTP 400)" })
    expect(decision.finish).toMatchObject({
      _tag: "Done",
      change: { to: "REJECTED", source: "service", reason: "Deliverect refused the order (HTTP 400)" }
    })
  })

  it("a plugin that cannot take orders fails the order at once", () => {
    const decision = decide(row("submit", 1), { _tag: "Unsupported", reason: "submitOrder is not implemented" })
    expect(decision.attempt.outcome).toBe("unsupported")
    expect(decision.finish).toMatchObject({ _tag: "Done", change: { to: "FAILED" } })
    expect((decision.finish as { change: { reason: string } }).change.reason).toContain("cannot take orders")
  })

  it("no answer (or a 5xx) and missing credentials are retried, each recorded as what it was", () => {
    const unavailable = decide(row("submit", 1), { _tag: "Unavailable", reason: "no answer within 10000 ms" })
    expect(unavailable.attempt).toMatchObject({ outcome: "unavailable", reason: "no answer within 10000 ms" })
    expect(unavailable.finish._tag).toBe("Retry")
    const notConfigured = decide(row("submit", 2), { _tag: "NotConfigured", reason: "no outlet credentials are set" })
    expect(notConfigured.attempt).toMatchObject({ outcome: "not-configured", reason: "no outlet credentials are set" })
    expect(notConfigured.finish._tag).toBe("Retry")
  })

  it("a cancellation taken by the POS makes the order CANCELLED; one refused or impossible leaves the status", () => {
    const taken = decide(row("cancel", 1), { _tag: "Cancelled" })
    expect(taken.attempt).toMatchObject({ kind: "cancel", outcome: "delivered", reason: null })
    expect(taken.finish).toMatchObject({ _tag: "Done", change: { to: "CANCELLED", source: "service" } })
    const refused = decide(row("cancel", 1), { _tag: "Rejected", reason: "the order is already picked up" })
    expect(refused.finish).toMatchObject({ _tag: "Done", change: { to: null } })
    expect((refused.finish as { change: { reason: string } }).change.reason).toBe(
      "the POS refused the cancellation: the order is already picked up"
    )
    const unsupported = decide(row("cancel", 1), { _tag: "Unsupported", reason: "cancelOrder is not implemented" })
    expect(unsupported.finish).toMatchObject({ _tag: "Done", change: { to: null } })
  })

  it("a delivery with nothing to do is finished without a status change", () => {
    const decision = decide(row("cancel", 1, placedAt, "CANCELLED"), {
      _tag: "Skipped",
      reason: "the order never reached the POS"
    })
    expect(decision.attempt).toMatchObject({ outcome: "skipped", reason: "the order never reached the POS" })
    expect(decision.finish).toEqual({ _tag: "Done", change: null })
  })
})

describe("giving up", () => {
  const transient: ReadonlyArray<CallResult> = [
    { _tag: "Unavailable", reason: "HTTP 502" },
    { _tag: "NotConfigured", reason: "no outlet credentials are set" }
  ]

  it("fails the order after ORDER_MAX_ATTEMPTS tries, naming the count and the last reason", () => {
    for (const result of transient) {
      expect(decide(row("submit", policy.maxAttempts - 1), result).finish._tag).toBe("Retry")
      const last = decide(row("submit", policy.maxAttempts), result)
      expect(last.attempt.attempt).toBe(policy.maxAttempts)
      expect(last.finish).toMatchObject({ _tag: "Done", change: { to: "FAILED", source: "service" } })
      expect((last.finish as { change: { reason: string } }).change.reason).toBe(
        `the order could not be delivered to the POS in 5 tries; the last: ${(result as { reason: string }).reason}`
      )
    }
    const single = decideDelivery(
      row("submit", 1),
      transient[0]!,
      placedAt,
      placedAt,
      { ...policy, maxAttempts: 1 },
      0.5
    )
    expect((single.finish as { change: { reason: string } }).change.reason).toContain("in 1 try;")
  })

  it("gives up when the next try would start later than ORDER_GIVE_UP_MS after the order was placed", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: policy.maxAttempts - 1 }), unit, (attempts, random) => {
        const r = row("submit", attempts)
        const delay = retryDelayMs(policy, attempts, random)
        // The retry would be due exactly at the deadline: still tried.
        const lastChance = later(policy.giveUpMs - delay)
        expect(decide(r, transient[0]!, lastChance, random).finish).toEqual({
          _tag: "Retry",
          dueAt: later(policy.giveUpMs)
        })
        // One millisecond later it would be past it: FAILED, with tries left.
        const late = decide(r, transient[0]!, later(1, lastChance), random)
        expect(late.finish).toMatchObject({ _tag: "Done", change: { to: "FAILED" } })
      })
    )
  })

  it("counts a cancellation's window from when it was asked, and leaves the order's status when it gives up", () => {
    // Asked three hours after the order was placed, well past ORDER_GIVE_UP_MS after the placement.
    const askedAt = later(3 * 3_600_000)
    const first = decide(row("cancel", 1, askedAt), transient[0]!, later(2_000, askedAt))
    expect(first.finish._tag).toBe("Retry")
    const late = decide(row("cancel", 2, askedAt), transient[0]!, later(policy.giveUpMs + 1, askedAt))
    expect(late.finish).toMatchObject({ _tag: "Done", change: { to: null } })
    expect((late.finish as { change: { reason: string } }).change.reason).toBe(
      "the cancellation could not be delivered to the POS in 2 tries; the last: HTTP 502"
    )
    const spent = decide(row("cancel", policy.maxAttempts, askedAt), transient[1]!)
    expect(spent.finish).toMatchObject({ _tag: "Done", change: { to: null } })
  })
})
