import { Context, type Effect } from "effect"
import type { InvalidInput, StorageError } from "../../domain/errors.ts"
import type {
  DeliveryAttempt,
  DeliveryKind,
  Order,
  OrderStatus,
  TimelineEntry,
  TimelineSource
} from "../../domain/order.ts"
import { canMove } from "../../domain/order-status.ts"
import type { WebhookOwner } from "../../domain/webhook-endpoint.ts"

/** A move of an order's status, asked by the service, a partner or the POS. */
export interface StatusChange {
  /** The status asked for; null records an entry that changes nothing (an unknown vendor status). */
  readonly to: OrderStatus | null
  readonly source: TimelineSource
  readonly vendorStatus: string | null
  readonly reason: string | null
  readonly at: Date
  /**
   * The POS's id for the order, kept when given and none is kept yet, whatever the move's result
   * (the POS may report ACCEPTED before the dispatcher records SUBMITTED with the id).
   */
  readonly posOrderId?: string | null
}

/**
 * What a status change did. `Moved`: the status changed and a timeline entry was added. `Same`: the
 * order already had that status (a repeated webhook): nothing was written. `Refused`: the transition
 * table does not allow it (`canMove` in domain/order-status.ts): a timeline entry with `status: null`
 * records what was asked and why it was refused, the status is unchanged. `Recorded`: `to` was null,
 * the entry was added. `NotFound`: no such order.
 */
export type MoveResult =
  | { readonly _tag: "Moved"; readonly from: OrderStatus; readonly to: OrderStatus }
  | { readonly _tag: "Same"; readonly status: OrderStatus }
  | { readonly _tag: "Refused"; readonly from: OrderStatus; readonly to: OrderStatus }
  | { readonly _tag: "Recorded"; readonly status: OrderStatus }
  | { readonly _tag: "NotFound" }

/** What a change asking for `to` does to an order at `from`, by the transition table (the same for every adapter). */
export const moveResult = (from: OrderStatus, to: OrderStatus | null): Exclude<MoveResult, { _tag: "NotFound" }> => {
  if (to === null) return { _tag: "Recorded", status: from }
  if (to === from) return { _tag: "Same", status: from }
  if (!canMove(from, to)) return { _tag: "Refused", from, to }
  return { _tag: "Moved", from, to }
}

export type PlaceResult =
  | { readonly _tag: "Placed" }
  /** An order already holds this refCode (refCodes of orders are unique for ever). */
  | { readonly _tag: "RefCodeTaken"; readonly order: Order }

export interface OrderQuery {
  readonly refCode: string | null
  readonly outletId: string | null
  readonly status: OrderStatus | null
  /** Orders created at or after this instant. */
  readonly createdSince: Date | null
  /** Opaque, from a previous page's `nextCursor`; the adapter encodes (createdAt, orderId). */
  readonly cursor: string | null
  /** 1 or more. */
  readonly limit: number
}

/** Where a page of orders ended: the page after it holds older orders (by createdAt, then orderId). */
export interface OrderCursorPosition {
  readonly createdAt: Date
  readonly orderId: string
}

/**
 * The cursor of an order listing, shared by the storage adapters: base64url of `[createdAt in ms,
 * orderId]`. `decode` answers undefined for a string it did not make (a hand-edited cursor).
 */
export const orderCursor = {
  encode: (position: OrderCursorPosition): string =>
    Buffer.from(JSON.stringify([position.createdAt.getTime(), position.orderId])).toString("base64url"),
  decode: (raw: string): OrderCursorPosition | undefined => {
    if (!/^[A-Za-z0-9_-]{1,2048}$/.test(raw)) return undefined
    let decoded: unknown
    try {
      decoded = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"))
    } catch {
      return undefined
    }
    if (!Array.isArray(decoded) || decoded.length !== 2) return undefined
    const [ms, orderId] = decoded as [unknown, unknown]
    if (typeof ms !== "number" || !Number.isSafeInteger(ms) || Math.abs(ms) > 8.64e15) return undefined
    // Text the database could not compare as sent (a NUL, a lone surrogate) is no id we issued.
    if (typeof orderId !== "string" || orderId.includes("\u0000") || !orderId.isWellFormed()) return undefined
    return { createdAt: new Date(ms), orderId }
  }
}

/** A unit of work of the outbox: deliver an order (`submit`) or its cancellation (`cancel`) to the POS. */
export interface OutboxRow {
  readonly id: string
  readonly orderId: string
  readonly kind: DeliveryKind
  /** Why, for the POS (a cancellation's reason as the partner gave it); null when none. */
  readonly reason: string | null
  /** Tries so far, this claim included. */
  readonly attempts: number
  readonly dueAt: Date
  readonly createdAt: Date
  /**
   * The W3C traceparent of the work that queued the row (the partner's request), so that its
   * delivery continues that trace; null when it was not traced.
   */
  readonly traceContext: string | null
}

/** A claimed row, with its order as it stands now. */
export interface ClaimedDelivery extends OutboxRow {
  readonly order: Order
  /** When the lease ends: after it, another worker may claim the row again. */
  readonly leaseUntil: Date
}

export interface ClaimRequest {
  readonly now: Date
  /** Identifies the claimer (process and worker): only it may finish what it claimed. */
  readonly owner: string
  readonly leaseUntil: Date
  readonly limit: number
}

/** How a claimed delivery ends. */
export type DeliveryFinish =
  /** Try again at `dueAt` (a transient failure). */
  | { readonly _tag: "Retry"; readonly dueAt: Date }
  /** Done for good; `change` moves the order (SUBMITTED, REJECTED, FAILED, CANCELLED) in the same transaction. */
  | { readonly _tag: "Done"; readonly change: StatusChange | null }

/**
 * A tenant's orders (SPEC section 10), their status timelines, and the transactional outbox that
 * delivers them to the POS. Every method is one transaction.
 *
 * Every status change (`move`, `moveAndEnqueue`, a `finish` with a change) follows the same rules:
 * the order's `updatedAt` becomes `change.at` when its status changes or its posOrderId is kept,
 * and an order moved from RECEIVED to CANCELLED (it never reached the POS) has its unfinished
 * `submit` rows finished without a call, except one whose lease runs at `change.at`: a worker may
 * be calling the POS with it, and its finish records what the POS answered (the move it asks is
 * refused, the posOrderId kept), after which the cancellation is delivered.
 */
export class Orders extends Context.Service<
  Orders,
  {
    /**
     * Stores a new order (status RECEIVED, whatever `order.status` says) with its first timeline
     * entry (RECEIVED, source "service", at `order.createdAt`) and an outbox row (`submit`, due and
     * created at `order.createdAt`, id `outboxId`), together. An order already holding the refCode
     * is answered, and nothing is written; even when concurrent, one place of a refCode wins.
     * `placedBy`: the key or OAuth client placing it, whose webhook endpoints hear its events;
     * `traceContext`: the placing request's traceparent, kept with the outbox row.
     */
    readonly place: (
      order: Order,
      outboxId: string,
      placedBy?: WebhookOwner | null,
      traceContext?: string | null
    ) => Effect.Effect<PlaceResult, StorageError>
    readonly get: (orderId: string) => Effect.Effect<Order | undefined, StorageError>
    readonly getByRefCode: (refCode: string) => Effect.Effect<Order | undefined, StorageError>
    /** The order a POS knows by its own id (several: the most recent). */
    readonly getByPosOrderId: (provider: string, posOrderId: string) => Effect.Effect<Order | undefined, StorageError>
    /**
     * Newest first (createdAt, then orderId, descending); `nextCursor` null on the last page. A
     * cursor this listing did not issue (`orderCursor.decode` refuses it) is an InvalidInput.
     */
    readonly list: (
      query: OrderQuery
    ) => Effect.Effect<
      { readonly orders: ReadonlyArray<Order>; readonly nextCursor: string | null },
      StorageError | InvalidInput
    >
    /** Oldest first: in the order the entries were recorded (empty for an unknown order). */
    readonly timeline: (orderId: string) => Effect.Effect<ReadonlyArray<TimelineEntry>, StorageError>
    /** Oldest first: in the order the attempts were recorded (empty for an unknown order). */
    readonly attempts: (orderId: string) => Effect.Effect<ReadonlyArray<DeliveryAttempt>, StorageError>
    /** Applies a status change by the transition table, under a row lock (concurrent changes serialise). */
    readonly move: (orderId: string, change: StatusChange) => Effect.Effect<MoveResult, StorageError>
    /**
     * Moves the order by `change` and, when it moved or the entry was recorded (`Moved`,
     * `Recorded`), adds an outbox row of `kind` due at `dueAt` and created at `change.at` (a
     * cancellation to deliver), in one transaction. The row is not added when the order already
     * has an unfinished row of that kind: a second cancellation asked meanwhile joins the first
     * (under the order's row lock, so two concurrent ones add one row). Unfinished `submit` rows
     * of an order moved to CANCELLED before it reached the POS (status RECEIVED) are finished
     * without a call (see above: `move` does the same).
     */
    readonly moveAndEnqueue: (
      orderId: string,
      change: StatusChange,
      outbox: {
        readonly id: string
        readonly kind: DeliveryKind
        readonly dueAt: Date
        readonly reason?: string | null
        readonly traceContext?: string | null
      } | null
    ) => Effect.Effect<MoveResult, StorageError>
    /** The kinds of the order's unfinished outbox rows, each once, sorted ("cancel" before "submit"). */
    readonly pendingKinds: (orderId: string) => Effect.Effect<ReadonlyArray<DeliveryKind>, StorageError>
    /**
     * Claims up to `limit` unfinished rows due at `now` whose lease is free (never leased, or its
     * lease ended: the worker died), oldest due first, leasing each to `owner` until `leaseUntil`
     * and counting an attempt. Two concurrent claimers never get the same row (FOR UPDATE SKIP
     * LOCKED on PostgreSQL). A `cancel` row is not claimed while a `submit` row of its order is
     * unfinished (the cancellation follows the order).
     */
    readonly claim: (request: ClaimRequest) => Effect.Effect<ReadonlyArray<ClaimedDelivery>, StorageError>
    /**
     * Ends a claimed row, if `owner` still holds its lease: records `attempt`, and retries the row
     * (its lease released) or finishes it at `attempt.finishedAt` (applying `finish.change` to the
     * order by the transition table, as `move` does). False, with nothing written, when the lease
     * was lost (it ran out and another worker claimed the row), or the row is finished or unknown.
     * A lease that ran out but was not claimed again is still the owner's.
     */
    readonly finish: (
      id: string,
      owner: string,
      attempt: DeliveryAttempt,
      finish: DeliveryFinish
    ) => Effect.Effect<boolean, StorageError>
    /**
     * When the outbox next has work: the earliest instant an unfinished row is due and free
     * (max of its due time and its lease's end); null when every row is finished. A `cancel` row
     * held back by its order's unfinished `submit` row does not count (that row's own time does).
     */
    readonly nextDue: () => Effect.Effect<Date | null, StorageError>
    /** The outbox's depth (unfinished rows) and the oldest due time among its rows due at `now` (null: none due). */
    readonly backlog: (now: Date) => Effect.Effect<OutboxBacklog, StorageError>
  }
>()("pos/application/Orders") {}

/** How much an outbox holds: what metrics show of it. */
export interface OutboxBacklog {
  readonly pending: number
  readonly oldestDueAt: Date | null
}
