import { describe, expect, it } from "vitest"
import { orderStatuses } from "./order.ts"
import { canMove, finalStatuses, forwardPath, isFinal, refusalReason } from "./order-status.ts"
import type { OrderStatus } from "./pos-order.ts"

/**
 * SPEC section 10's table written out by hand, one row per status: where an order may go from it.
 * Forward along the first seven (skipping is allowed), CANCELLED and REJECTED from anything before
 * COMPLETED, FAILED only from RECEIVED, a FAILED order follows the POS forward; final statuses go nowhere.
 */
const allowed: Readonly<Record<OrderStatus, ReadonlyArray<OrderStatus>>> = {
  RECEIVED: [
    "SUBMITTED",
    "ACCEPTED",
    "PREPARING",
    "READY",
    "IN_DELIVERY",
    "COMPLETED",
    "CANCELLED",
    "REJECTED",
    "FAILED"
  ],
  SUBMITTED: ["ACCEPTED", "PREPARING", "READY", "IN_DELIVERY", "COMPLETED", "CANCELLED", "REJECTED"],
  ACCEPTED: ["PREPARING", "READY", "IN_DELIVERY", "COMPLETED", "CANCELLED", "REJECTED"],
  PREPARING: ["READY", "IN_DELIVERY", "COMPLETED", "CANCELLED", "REJECTED"],
  READY: ["IN_DELIVERY", "COMPLETED", "CANCELLED", "REJECTED"],
  IN_DELIVERY: ["COMPLETED", "CANCELLED", "REJECTED"],
  COMPLETED: [],
  CANCELLED: [],
  REJECTED: [],
  FAILED: ["SUBMITTED", "ACCEPTED", "PREPARING", "READY", "IN_DELIVERY", "COMPLETED", "CANCELLED", "REJECTED"]
}

const pairs = orderStatuses.flatMap((from) => orderStatuses.map((to) => [from, to] as const))

describe("order status transitions", () => {
  it("covers every status", () => {
    expect(pairs).toHaveLength(100)
    expect(Object.keys(allowed).sort()).toEqual([...orderStatuses].sort())
  })

  it.each(pairs)("%s -> %s follows the table", (from, to) => {
    expect(canMove(from, to)).toBe(allowed[from].includes(to))
  })

  it.each(pairs.filter(([from, to]) => !allowed[from].includes(to)))(
    "a refused %s -> %s says why, naming where the order is",
    (from, to) => {
      const reason = refusalReason(from, to)
      expect(reason).toContain(from)
      expect(reason.length).toBeGreaterThan(from.length)
    }
  )

  it("explains each kind of refusal in its own words", () => {
    expect(refusalReason("READY", "READY")).toBe("the order is already READY")
    expect(refusalReason("COMPLETED", "CANCELLED")).toBe("the order is COMPLETED, a final status")
    expect(refusalReason("SUBMITTED", "FAILED")).toBe("only a RECEIVED order can fail, the order is SUBMITTED")
    expect(refusalReason("READY", "ACCEPTED")).toBe("the order is READY and does not move back to ACCEPTED")
    expect(refusalReason("FAILED", "RECEIVED")).toBe("the order is FAILED and does not move back to RECEIVED")
  })

  it("names the final statuses and the forward path", () => {
    expect(orderStatuses.filter(isFinal)).toEqual(["COMPLETED", "CANCELLED", "REJECTED"])
    expect([...finalStatuses].sort()).toEqual(["CANCELLED", "COMPLETED", "REJECTED"])
    expect(forwardPath).toEqual(["RECEIVED", "SUBMITTED", "ACCEPTED", "PREPARING", "READY", "IN_DELIVERY", "COMPLETED"])
  })
})
