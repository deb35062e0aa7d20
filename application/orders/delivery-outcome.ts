/**
 * What a delivery to the POS (an order, or its cancellation) did, and what follows from it: the
 * attempt to record, and whether the outbox row is retried or finished (moving the order). Pure, so
 * the retry schedule and the statuses are tested without a POS.
 *
 * Retries: transient failures (the POS unreachable, a 5xx, no answer by the deadline, missing
 * credentials an operator may still set) are retried with capped exponential backoff and full
 * jitter: the n-th retry waits a random time below min(max, base x 2^(n-1)). No retry starts after
 * `attempts` tries or later than `giveUpMs` after the delivery was queued (the order placed, or its
 * cancellation asked); the order is then FAILED (a cancellation given up leaves it as it is).
 * The refCode is the POS's idempotency key on every try, so a retry of an order the POS took
 * (whose answer was lost) is answered as a duplicate: one POS order per refCode.
 */
import type { DeliveryAttempt, DeliveryKind, DeliveryOutcome } from "../../domain/order.ts"
import type { ClaimedDelivery, DeliveryFinish, StatusChange } from "../ports/orders.ts"

export interface RetryPolicy {
  readonly maxAttempts: number
  readonly baseMs: number
  readonly maxMs: number
  /** No retry is due later than this after the delivery was queued (the order placed, its cancellation asked). */
  readonly giveUpMs: number
}

/** How a call to the POS ended, in the plugin's typed terms. */
export type CallResult =
  | { readonly _tag: "Submitted"; readonly posOrderId: string | null; readonly duplicate: boolean }
  | { readonly _tag: "Cancelled" }
  | { readonly _tag: "Rejected"; readonly reason: string }
  | { readonly _tag: "Unavailable"; readonly reason: string }
  | { readonly _tag: "NotConfigured"; readonly reason: string }
  | { readonly _tag: "Unsupported"; readonly reason: string }
  /** No call was made: the order never reached the POS and needs nothing there (a cancellation of it). */
  | { readonly _tag: "Skipped"; readonly reason: string }

export interface Decision {
  readonly attempt: DeliveryAttempt
  readonly finish: DeliveryFinish
}

/** The delay before retry number `retry` (1 for the first), given a uniform random number in [0, 1). */
export const retryDelayMs = (policy: Pick<RetryPolicy, "baseMs" | "maxMs">, retry: number, random: number): number => {
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(retry - 1, 40))
  return Math.floor(random * cap)
}

const outcomeOf = (result: CallResult): DeliveryOutcome => {
  switch (result._tag) {
    case "Submitted":
      return result.duplicate ? "duplicate" : "delivered"
    case "Cancelled":
      return "delivered"
    case "Rejected":
      return "rejected"
    case "Unavailable":
      return "unavailable"
    case "NotConfigured":
      return "not-configured"
    case "Unsupported":
      return "unsupported"
    case "Skipped":
      return "skipped"
  }
}

const reasonOf = (result: CallResult): string | null => {
  switch (result._tag) {
    case "Submitted":
      return result.duplicate ? "the POS already had this order (an earlier try's answer was lost)" : null
    case "Cancelled":
      return null
    default:
      return result.reason
  }
}

const what = (kind: DeliveryKind) => (kind === "submit" ? "the order" : "the cancellation")

/** The attempt and the row's end for a claimed delivery whose call ended with `result`. */
export const decideDelivery = (
  row: ClaimedDelivery,
  result: CallResult,
  startedAt: Date,
  finishedAt: Date,
  policy: RetryPolicy,
  random: number
): Decision => {
  const attempt: DeliveryAttempt = {
    kind: row.kind,
    attempt: row.attempts,
    startedAt,
    finishedAt,
    outcome: outcomeOf(result),
    reason: reasonOf(result)
  }
  const change = (to: StatusChange["to"], reason: string | null, posOrderId?: string | null): StatusChange => ({
    to,
    source: "service",
    vendorStatus: null,
    reason,
    at: finishedAt,
    ...(posOrderId === undefined ? {} : { posOrderId })
  })
  const done = (c: StatusChange | null): Decision => ({ attempt, finish: { _tag: "Done", change: c } })

  switch (result._tag) {
    case "Submitted":
      return done(change("SUBMITTED", attempt.reason, result.posOrderId))
    case "Cancelled":
      return done(change("CANCELLED", "cancelled at the POS"))
    case "Skipped":
      return done(null)
    case "Rejected":
      return row.kind === "submit"
        ? done(change("REJECTED", result.reason))
        : done(change(null, `the POS refused the cancellation: ${result.reason}`))
    case "Unsupported":
      return row.kind === "submit"
        ? done(change("FAILED", `the POS plugin cannot take orders: ${result.reason}`))
        : done(change(null, `the POS plugin cannot cancel orders: ${result.reason}`))
    case "Unavailable":
    case "NotConfigured": {
      const delay = retryDelayMs(policy, row.attempts, random)
      const dueAt = new Date(finishedAt.getTime() + delay)
      // From the row's own creation: a cancellation asked hours after the order was placed gets its
      // own retries (for a submit row, the row and the order were created together).
      const deadline = row.createdAt.getTime() + policy.giveUpMs
      if (row.attempts < policy.maxAttempts && dueAt.getTime() <= deadline) {
        return { attempt, finish: { _tag: "Retry", dueAt } }
      }
      const given = `${what(row.kind)} could not be delivered to the POS in ${row.attempts} ${row.attempts === 1 ? "try" : "tries"}; the last: ${result.reason}`
      return row.kind === "submit" ? done(change("FAILED", given)) : done(change(null, given))
    }
  }
}
