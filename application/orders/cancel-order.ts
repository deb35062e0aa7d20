/**
 * A partner's cancellation of an order (SPEC section 10).
 *
 * - An order the POS does not have yet (RECEIVED: its delivery has not succeeded; FAILED: it was
 *   given up) is CANCELLED at once. Its pending delivery is finished without a call. When the POS
 *   can cancel, a cancellation is queued too: it runs after any delivery already under way ends,
 *   and only calls the POS if a delivery was tried (the POS might have the order then).
 * - An order the POS has (SUBMITTED to IN_DELIVERY) is cancelled at the POS when its plugin
 *   declares `cancel`: the cancellation goes through the outbox as the order did, and the order
 *   becomes CANCELLED when the POS takes it. Otherwise 409 `cancel not supported`.
 * - CANCELLED already, or a cancellation already queued: the same answer again, nothing new.
 * - COMPLETED or REJECTED: 409 `order not cancellable`.
 */
import { Effect } from "effect"
import { currentTraceContext } from "./trace-context.ts"
import { NotFound, OrderConflict, type StorageError } from "../../domain/errors.ts"
import type { Order } from "../../domain/order.ts"
import { Orders } from "../ports/orders.ts"

export interface CancelOrderInput {
  readonly orderId: string
  readonly reason: string | null
  /** Whether the plugin of the order's provider declares `cancel` (false when it is not loaded). */
  readonly canCancel: (provider: string) => boolean
  readonly now: Date
  readonly newId: (prefix: string) => string
}

export interface CancelOrderResult {
  readonly order: Order
  /** "cancelled": the order is CANCELLED; "requested": the cancellation is on its way to the POS. */
  readonly outcome: "cancelled" | "requested"
}

const atPos = new Set(["SUBMITTED", "ACCEPTED", "PREPARING", "READY", "IN_DELIVERY"])

export const cancelOrder = (
  input: CancelOrderInput
): Effect.Effect<CancelOrderResult, NotFound | OrderConflict | StorageError, Orders> =>
  Effect.gen(function* () {
    const orders = yield* Orders
    const reread = Effect.flatMap(orders.get(input.orderId), (order) =>
      order === undefined ? Effect.fail(new NotFound({ resource: "order", id: input.orderId })) : Effect.succeed(order)
    )
    const order = yield* reread
    const canCancel = input.canCancel(order.provider)
    const reason = input.reason === null ? "cancelled by the partner" : `cancelled by the partner: ${input.reason}`
    const cancelRow = {
      id: input.newId("obx"),
      kind: "cancel" as const,
      dueAt: input.now,
      reason: input.reason,
      traceContext: yield* currentTraceContext
    }

    if (order.status === "CANCELLED") return { order, outcome: "cancelled" }
    if (order.status === "COMPLETED" || order.status === "REJECTED") {
      return yield* new OrderConflict({
        message: "order not cancellable",
        details: `order '${order.orderId}' is ${order.status}: it can no longer be cancelled`
      })
    }
    if (order.status === "RECEIVED" || order.status === "FAILED") {
      const result = yield* orders.moveAndEnqueue(
        order.orderId,
        { to: "CANCELLED", source: "partner", vendorStatus: null, reason, at: input.now },
        canCancel ? cancelRow : null
      )
      // Moved meanwhile (the POS took it, or another cancellation won): answer by the new status.
      if (result._tag !== "Moved") return yield* retry(input)
      return { order: yield* reread, outcome: "cancelled" }
    }
    if (!atPos.has(order.status)) return { order, outcome: "cancelled" }
    if (!canCancel) {
      return yield* new OrderConflict({
        message: "cancel not supported",
        details: `the ${order.provider} POS cannot receive cancellations through this service: cancel order '${order.orderId}' at the restaurant`
      })
    }
    const pending = yield* orders.pendingKinds(order.orderId)
    if (pending.includes("cancel")) return { order, outcome: "requested" }
    yield* orders.moveAndEnqueue(
      order.orderId,
      { to: null, source: "partner", vendorStatus: null, reason: `cancellation requested: ${reason}`, at: input.now },
      cancelRow
    )
    return { order: yield* reread, outcome: "requested" }
  })

/** Once more from the start, after the order moved under us (the answer then follows its new status). */
const retry = (
  input: CancelOrderInput
): Effect.Effect<CancelOrderResult, NotFound | OrderConflict | StorageError, Orders> =>
  Effect.suspend(() => cancelOrder(input))
