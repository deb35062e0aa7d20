/**
 * The order status transition table (SPEC section 10). Forward only along RECEIVED, SUBMITTED,
 * ACCEPTED, PREPARING, READY, IN_DELIVERY, COMPLETED (a step may be skipped: a POS that reports
 * READY without PREPARING moves the order to READY). CANCELLED and REJECTED from any state before
 * COMPLETED. FAILED (the dispatcher gave up) only from RECEIVED. A FAILED order the POS later
 * reports at any forward status follows the POS, since the POS has it; it can also be cancelled or
 * rejected. COMPLETED, CANCELLED and REJECTED are final.
 */
import type { OrderStatus } from "./pos-order.ts"

/** The forward path, in order. */
export const forwardPath: ReadonlyArray<OrderStatus> = [
  "RECEIVED",
  "SUBMITTED",
  "ACCEPTED",
  "PREPARING",
  "READY",
  "IN_DELIVERY",
  "COMPLETED"
]

export const finalStatuses: ReadonlyArray<OrderStatus> = ["COMPLETED", "CANCELLED", "REJECTED"]

export const isFinal = (status: OrderStatus): boolean => finalStatuses.includes(status)

/** True when an order at `from` may move to `to` (never to itself). */
export const canMove = (from: OrderStatus, to: OrderStatus): boolean => {
  if (from === to || isFinal(from)) return false
  if (to === "CANCELLED" || to === "REJECTED") return true
  if (to === "FAILED") return from === "RECEIVED"
  const target = forwardPath.indexOf(to)
  if (from === "FAILED") return target > 0
  return target > forwardPath.indexOf(from)
}

/** Why a move is refused, in words for the timeline (for a move `canMove` refuses). */
export const refusalReason = (from: OrderStatus, to: OrderStatus): string => {
  if (from === to) return `the order is already ${from}`
  if (isFinal(from)) return `the order is ${from}, a final status`
  if (to === "FAILED") return `only a RECEIVED order can fail, the order is ${from}`
  return `the order is ${from} and does not move back to ${to}`
}
