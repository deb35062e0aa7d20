import { Effect } from "effect"
import {
  type ClaimedDelivery,
  type MoveResult,
  moveResult,
  Orders,
  type OutboxRow,
  orderCursor,
  type PlaceResult,
  type StatusChange
} from "../../../application/ports/orders.ts"
import { InvalidInput, StorageError } from "../../../domain/errors.ts"
import type { DeliveryAttempt, DeliveryKind, Order, TimelineEntry } from "../../../domain/order.ts"
import { canMove, refusalReason } from "../../../domain/order-status.ts"
import type { WebhookOwner } from "../../../domain/webhook-endpoint.ts"
import { orderEvents } from "../../../domain/webhook-event.ts"

interface OutboxState extends OutboxRow {
  readonly leaseOwner: string | null
  readonly leaseUntil: Date | null
  readonly finishedAt: Date | null
}

/** One tenant's order tables in memory: what its database's order tables would hold. */
export interface OrderTables {
  readonly orders: Map<string, Order>
  /** refCode -> orderId */
  readonly refCodes: Map<string, string>
  /** orderId -> entries, in the order recorded */
  readonly timelines: Map<string, Array<TimelineEntry>>
  /** orderId -> attempts, in the order recorded */
  readonly attempts: Map<string, Array<DeliveryAttempt>>
  readonly outbox: Map<string, OutboxState>
  /** orderId -> the key or OAuth client that placed it (its webhook endpoints hear its events) */
  readonly placedBy: Map<string, WebhookOwner>
  /** orderId -> the traceparent of the request that placed it (its events' deliveries continue it) */
  readonly traceContexts: Map<string, string>
}

/**
 * Where the order events a timeline entry raises go (memory-webhook-deliveries.ts), called in the
 * same synchronous step as the change: `owner` hears them ('' for an order nobody's endpoints hear).
 */
export type OrderEventSink = (
  events: ReturnType<typeof orderEvents>,
  owner: WebhookOwner | "",
  at: Date,
  traceContext: string | null
) => void

export const makeOrderTables = (): OrderTables => ({
  orders: new Map(),
  refCodes: new Map(),
  timelines: new Map(),
  attempts: new Map(),
  outbox: new Map(),
  placedBy: new Map(),
  traceContexts: new Map()
})

type ListPage = Effect.Success<ReturnType<(typeof Orders.Service)["list"]>>

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** Newest first: createdAt, then orderId, descending. */
const newestFirst = (a: Order, b: Order) =>
  b.createdAt.getTime() - a.createdAt.getTime() || compare(b.orderId, a.orderId)

const dueFirst = (a: OutboxState, b: OutboxState) => a.dueAt.getTime() - b.dueAt.getTime() || compare(a.id, b.id)

/** A refusal the database would give (a primary key), as a storage failure. */
const refused = (operation: string, reason: string) =>
  Effect.fail(new StorageError({ operation, cause: new Error(reason) }))

/**
 * Orders in memory. Each operation runs synchronously as one step, so status changes of one order
 * take turns and two claims never see the same free row, as the database's row locks make them.
 * An operation checks what the database would refuse before it changes anything.
 */
export const makeMemoryOrders = (t: OrderTables, sink: OrderEventSink = () => {}) => {
  const addEntry = (orderId: string, entry: TimelineEntry) => {
    const entries = t.timelines.get(orderId)
    const previous = entries?.findLast((e) => e.status !== null)?.status ?? null
    if (entries === undefined) t.timelines.set(orderId, [entry])
    else entries.push(entry)
    const order = t.orders.get(orderId)
    if (entry.status === null || order === undefined) return
    const facts = {
      orderId,
      refCode: order.refCode,
      outletId: order.outletId,
      status: entry.status,
      posOrderId: order.posOrderId,
      currency: order.priced.currency,
      total: order.priced.totals.total
    }
    const move =
      previous === null ? null : { from: previous, to: entry.status, reason: entry.reason, source: entry.source }
    sink(orderEvents(facts, move), t.placedBy.get(orderId) ?? "", entry.at, t.traceContexts.get(orderId) ?? null)
  }

  const unfinishedSubmit = (orderId: string) =>
    [...t.outbox.values()].some((row) => row.orderId === orderId && row.kind === "submit" && row.finishedAt === null)

  // A cancel row waits while a submit row of its order is unfinished: the cancellation follows the order.
  const heldBack = (row: OutboxState) => row.kind === "cancel" && unfinishedSubmit(row.orderId)

  /** The transition rules of every status change (see the port). */
  const applyChange = (orderId: string, change: StatusChange): MoveResult => {
    const order = t.orders.get(orderId)
    if (order === undefined) return { _tag: "NotFound" }
    const from = order.status
    const to = change.to
    const moves = to !== null && canMove(from, to)
    const keepsPosId = change.posOrderId !== undefined && change.posOrderId !== null && order.posOrderId === null
    if (moves || keepsPosId) {
      t.orders.set(orderId, {
        ...order,
        status: moves ? to : from,
        posOrderId: keepsPosId ? (change.posOrderId ?? null) : order.posOrderId,
        updatedAt: change.at
      })
    }
    const entry = { at: change.at, source: change.source, vendorStatus: change.vendorStatus }
    const result = moveResult(from, to)
    switch (result._tag) {
      case "Same":
        return result
      case "Recorded":
        addEntry(orderId, { ...entry, status: null, reason: change.reason })
        return result
      case "Refused":
        addEntry(orderId, { ...entry, status: null, reason: refusalReason(from, result.to) })
        return result
    }
    addEntry(orderId, { ...entry, status: result.to, reason: change.reason })
    if (from === "RECEIVED" && result.to === "CANCELLED") {
      for (const row of t.outbox.values()) {
        const leased = row.leaseUntil !== null && row.leaseUntil.getTime() > change.at.getTime()
        if (row.orderId === orderId && row.kind === "submit" && row.finishedAt === null && !leased) {
          t.outbox.set(row.id, { ...row, finishedAt: change.at, leaseUntil: null })
        }
      }
    }
    return result
  }

  const insertOutbox = (
    id: string,
    orderId: string,
    kind: DeliveryKind,
    dueAt: Date,
    createdAt: Date,
    reason: string | null = null,
    traceContext: string | null = null
  ) =>
    t.outbox.set(id, {
      id,
      orderId,
      kind,
      reason,
      traceContext,
      attempts: 0,
      dueAt,
      createdAt,
      leaseOwner: null,
      leaseUntil: null,
      finishedAt: null
    })

  return Orders.of({
    place: (order, outboxId, placedBy = null, traceContext = null) =>
      Effect.suspend((): Effect.Effect<PlaceResult, StorageError> => {
        const holder = t.refCodes.get(order.refCode)
        if (holder !== undefined) return Effect.succeed({ _tag: "RefCodeTaken" as const, order: t.orders.get(holder)! })
        if (t.orders.has(order.orderId)) return refused("place order", `order ${order.orderId} exists`)
        if (t.outbox.has(outboxId)) return refused("place order", `outbox row ${outboxId} exists`)
        t.orders.set(order.orderId, { ...order, status: "RECEIVED" })
        t.refCodes.set(order.refCode, order.orderId)
        if (placedBy !== null) t.placedBy.set(order.orderId, placedBy)
        if (traceContext !== null) t.traceContexts.set(order.orderId, traceContext)
        addEntry(order.orderId, {
          at: order.createdAt,
          status: "RECEIVED",
          source: "service",
          vendorStatus: null,
          reason: null
        })
        insertOutbox(outboxId, order.orderId, "submit", order.createdAt, order.createdAt, null, traceContext)
        return Effect.succeed({ _tag: "Placed" as const })
      }),
    get: (orderId) => Effect.sync(() => t.orders.get(orderId)),
    getByRefCode: (refCode) =>
      Effect.sync(() => {
        const orderId = t.refCodes.get(refCode)
        return orderId === undefined ? undefined : t.orders.get(orderId)
      }),
    getByPosOrderId: (provider, posOrderId) =>
      Effect.sync(() => {
        let found: Order | undefined
        for (const order of t.orders.values()) {
          if (order.provider !== provider || order.posOrderId !== posOrderId) continue
          if (found === undefined || order.createdAt >= found.createdAt) found = order
        }
        return found
      }),
    list: (query) =>
      Effect.suspend((): Effect.Effect<ListPage, StorageError | InvalidInput> => {
        const position = query.cursor === null ? null : orderCursor.decode(query.cursor)
        if (position === undefined) {
          return Effect.fail(new InvalidInput({ details: "query.cursor: is not a cursor this listing issued" }))
        }
        if (!Number.isSafeInteger(query.limit) || query.limit < 1) {
          return Effect.fail(
            new InvalidInput({ details: `query.limit: must be a whole number, 1 or more, got ${query.limit}` })
          )
        }
        const matching = [...t.orders.values()]
          .filter(
            (order) =>
              (query.refCode === null || order.refCode === query.refCode) &&
              (query.outletId === null || order.outletId === query.outletId) &&
              (query.status === null || order.status === query.status) &&
              (query.createdSince === null || order.createdAt.getTime() >= query.createdSince.getTime()) &&
              (position === null ||
                order.createdAt.getTime() < position.createdAt.getTime() ||
                (order.createdAt.getTime() === position.createdAt.getTime() && order.orderId < position.orderId))
          )
          .sort(newestFirst)
        const orders = matching.slice(0, query.limit)
        const last = orders.at(-1)
        return Effect.succeed({
          orders,
          nextCursor: matching.length > query.limit && last !== undefined ? orderCursor.encode(last) : null
        })
      }),
    timeline: (orderId) => Effect.sync(() => [...(t.timelines.get(orderId) ?? [])]),
    attempts: (orderId) => Effect.sync(() => [...(t.attempts.get(orderId) ?? [])]),
    move: (orderId, change) => Effect.sync(() => applyChange(orderId, change)),
    moveAndEnqueue: (orderId, change, outbox) =>
      Effect.suspend((): Effect.Effect<MoveResult, StorageError> => {
        // What the change may touch, to put back when the insert is refused (the database's
        // transaction rolls back whole).
        const before = {
          order: t.orders.get(orderId),
          entries: t.timelines.get(orderId)?.length ?? 0,
          rows: [...t.outbox.values()].filter((row) => row.orderId === orderId)
        }
        const result = applyChange(orderId, change)
        if ((result._tag === "Moved" || result._tag === "Recorded") && outbox !== null) {
          const joined = [...t.outbox.values()].some(
            (row) => row.orderId === orderId && row.kind === outbox.kind && row.finishedAt === null
          )
          if (!joined && t.outbox.has(outbox.id)) {
            if (before.order !== undefined) t.orders.set(orderId, before.order)
            t.timelines.get(orderId)?.splice(before.entries)
            for (const row of before.rows) t.outbox.set(row.id, row)
            return refused("move order and queue its delivery", `outbox row ${outbox.id} exists`)
          }
          if (!joined) {
            insertOutbox(
              outbox.id,
              orderId,
              outbox.kind,
              outbox.dueAt,
              change.at,
              outbox.reason ?? null,
              outbox.traceContext ?? null
            )
          }
        }
        return Effect.succeed(result)
      }),
    pendingKinds: (orderId) =>
      Effect.sync(() =>
        (["cancel", "submit"] as const).filter((kind) =>
          [...t.outbox.values()].some((row) => row.orderId === orderId && row.kind === kind && row.finishedAt === null)
        )
      ),
    claim: (request) =>
      Effect.sync(() => {
        if (request.limit < 1) return []
        const now = request.now.getTime()
        const picked = [...t.outbox.values()]
          .filter(
            (row) =>
              row.finishedAt === null &&
              row.dueAt.getTime() <= now &&
              (row.leaseUntil === null || row.leaseUntil.getTime() <= now) &&
              !heldBack(row)
          )
          .sort(dueFirst)
          .slice(0, request.limit)
        return picked.map((row): ClaimedDelivery => {
          const claimed = {
            ...row,
            attempts: row.attempts + 1,
            leaseOwner: request.owner,
            leaseUntil: request.leaseUntil
          }
          t.outbox.set(row.id, claimed)
          return {
            id: claimed.id,
            orderId: claimed.orderId,
            kind: claimed.kind,
            reason: claimed.reason,
            traceContext: claimed.traceContext,
            attempts: claimed.attempts,
            dueAt: claimed.dueAt,
            createdAt: claimed.createdAt,
            leaseUntil: request.leaseUntil,
            order: t.orders.get(row.orderId)!
          }
        })
      }),
    finish: (id, owner, attempt, finish) =>
      Effect.sync(() => {
        const row = t.outbox.get(id)
        if (row === undefined || row.finishedAt !== null || row.leaseOwner !== owner) return false
        const recorded = t.attempts.get(row.orderId)
        if (recorded === undefined) t.attempts.set(row.orderId, [attempt])
        else recorded.push(attempt)
        if (finish._tag === "Retry") {
          t.outbox.set(id, { ...row, dueAt: finish.dueAt, leaseOwner: null, leaseUntil: null })
        } else {
          t.outbox.set(id, { ...row, finishedAt: attempt.finishedAt, leaseUntil: null })
          if (finish.change !== null) applyChange(row.orderId, finish.change)
        }
        return true
      }),
    nextDue: () =>
      Effect.sync(() => {
        let next: number | null = null
        for (const row of t.outbox.values()) {
          if (row.finishedAt !== null || heldBack(row)) continue
          const free = Math.max(row.dueAt.getTime(), row.leaseUntil?.getTime() ?? Number.NEGATIVE_INFINITY)
          if (next === null || free < next) next = free
        }
        return next === null ? null : new Date(next)
      }),
    backlog: (now) =>
      Effect.sync(() => {
        let pending = 0
        let oldest: number | null = null
        for (const row of t.outbox.values()) {
          if (row.finishedAt !== null) continue
          pending++
          const due = row.dueAt.getTime()
          if (due <= now.getTime() && (oldest === null || due < oldest)) oldest = due
        }
        return { pending, oldestDueAt: oldest === null ? null : new Date(oldest) }
      })
  })
}
