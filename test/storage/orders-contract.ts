import { Effect, type Layer } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  type DeliveryFinish,
  type MoveResult,
  type OrderQuery,
  Orders,
  orderCursor,
  type StatusChange
} from "../../application/ports/orders.ts"
import type { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import type { TenantRepositories, TenantStorage } from "../../application/ports/tenant-storage.ts"
import type {
  DeliveryAttempt,
  DeliveryKind,
  Order,
  OrderRequest,
  OrderStatus,
  PricedLine,
  PricedOrder,
  TimelineEntry
} from "../../domain/order.ts"
import { orderStatuses } from "../../domain/order.ts"
import { canMove, refusalReason } from "../../domain/order-status.ts"
import type { TenantId } from "../../domain/tenant.ts"
import { arbText } from "./catalog-arbitraries.ts"
import { storageHelpers } from "./contract.ts"

/** Instants with milliseconds: a store that kept seconds only, or microseconds, would show here. */
const at = (ms: number) => new Date(Date.UTC(2026, 5, 1, 9, 30, 0, 7) + ms)

const line = (lineNo: number, fields: Partial<PricedLine> = {}): PricedLine => ({
  lineNo,
  productId: `prd_${lineNo}`,
  posCode: `P-${lineNo}`,
  name: `Flat white ${lineNo}`,
  quantity: 2,
  unitPrice: 450,
  note: 'extra "hot" \\ ☕',
  modifiers: [
    {
      optionId: "opt_oat",
      modifierGroupId: "grp_milk",
      posCode: "M-OAT",
      name: "Oat milk",
      quantity: 1,
      unitPrice: 50
    },
    {
      optionId: "opt_shot",
      modifierGroupId: "grp_extra",
      posCode: "X-1",
      name: "Extra shot",
      quantity: 2,
      unitPrice: 0
    }
  ],
  subtotal: 1100,
  discount: 100,
  tax: { ratePpm: 88_750, amount: 82 },
  total: 1000,
  ...fields
})

const request = (refCode: string, outletId: string, fields: Partial<OrderRequest> = {}): OrderRequest => ({
  refCode,
  outletId,
  fulfilment: {
    type: "DELIVERY",
    asap: false,
    scheduledFor: at(3_600_123),
    table: null,
    address: {
      line1: "Keizersgracht 1",
      line2: null,
      city: "Amsterdam",
      postalCode: "1015 CJ",
      country: "NL",
      latitude: 52.37021570000001,
      longitude: 4.895167899999
    }
  },
  customer: { customerId: null, name: "Zoë O'Neil", phone: "+31 6 1234 5678", email: null },
  items: [
    { productId: "prd_1", quantity: 2, note: 'extra "hot" \\ ☕', modifiers: [{ optionId: "opt_oat", quantity: 1 }] },
    { productId: "prd_2", quantity: 1, note: null, modifiers: [] }
  ],
  charges: [{ kind: "DELIVERY", name: null, amount: 250 }],
  discounts: [{ type: "VOUCHER", name: "Welcome", reference: "WELCOME10", amount: 100 }],
  payment: { status: "PAID", amount: 2 ** 40 + 1, method: "card", reference: "pay_1" },
  notes: "Ring twice 🔔",
  displayId: "A-17",
  ...fields
})

const priced = (fields: Partial<PricedOrder> = {}): PricedOrder => ({
  currency: "EUR",
  taxInclusive: true,
  lines: [line(1), line(2, { unitPrice: 2 ** 40, subtotal: 2 ** 40, discount: 0, total: 2 ** 40, note: null })],
  charges: [{ kind: "DELIVERY", name: "Delivery", amount: 250 }],
  discounts: [{ type: "VOUCHER", name: "Welcome", reference: "WELCOME10", amount: 100 }],
  totals: { subtotal: 2 ** 40 + 1100, charges: 250, discount: 100, tax: 82, total: 2 ** 40 + 1 },
  pricing: "PARTNER",
  ...fields
})

/** A whole order, every field set: what a placement stores. */
export const orderFixture = (n: string, fields: Partial<Order> = {}): Order => {
  const refCode = fields.refCode ?? `REF-${n}`
  const outletId = fields.outletId ?? "out_1"
  return {
    orderId: `ord_${n}`,
    refCode,
    fingerprint: "9f".repeat(32),
    outletId,
    provider: "prov",
    outletExternalId: "ext-1",
    status: "RECEIVED",
    request: request(refCode, outletId),
    priced: priced(),
    menuSource: "menu-v2",
    menus: [
      { menuId: "menu_b", version: 3 },
      { menuId: "menu_a", version: 12 }
    ],
    posOrderId: null,
    createdAt: at(0),
    updatedAt: at(0),
    ...fields
  }
}

const change = (to: OrderStatus | null, ms: number, fields: Partial<StatusChange> = {}): StatusChange => ({
  to,
  source: "pos",
  vendorStatus: to === null ? "mystery" : to.toLowerCase(),
  reason: null,
  at: at(ms),
  ...fields
})

const attempt = (
  kind: DeliveryKind,
  n: number,
  ms: number,
  fields: Partial<DeliveryAttempt> = {}
): DeliveryAttempt => ({
  kind,
  attempt: n,
  startedAt: at(ms - 15),
  finishedAt: at(ms),
  outcome: "delivered",
  reason: null,
  ...fields
})

const query = (fields: Partial<OrderQuery> = {}): OrderQuery => ({
  refCode: null,
  outletId: null,
  status: null,
  createdSince: null,
  cursor: null,
  limit: 50,
  ...fields
})

const claimRequest = (owner: string, nowMs: number, leaseMs: number, limit = 10) => ({
  now: at(nowMs),
  owner,
  leaseUntil: at(nowMs + leaseMs),
  limit
})

/** Every page of a listing, following the cursors. */
const allPages = (q: OrderQuery) =>
  Effect.gen(function* () {
    const orders = yield* Orders
    const pages: Array<ReadonlyArray<string>> = []
    let cursor: string | null = null
    do {
      const page: { readonly orders: ReadonlyArray<Order>; readonly nextCursor: string | null } = yield* orders.list({
        ...q,
        cursor
      })
      pages.push(page.orders.map((o) => o.orderId))
      cursor = page.nextCursor
      if (pages.length > 100) throw new Error("the cursors never end")
    } while (cursor !== null)
    return pages
  })

const newestFirst = (a: Order, b: Order) =>
  b.createdAt.getTime() - a.createdAt.getTime() || (a.orderId < b.orderId ? 1 : a.orderId > b.orderId ? -1 : 0)

/** Orders, their timelines and their outbox: the same suite on every storage adapter. */
export const ordersContract = (name: string, makeLayer: () => Layer.Layer<TenantDirectory | TenantStorage, unknown>) =>
  describe(`orders contract: ${name}`, () => {
    const { inTenant, newTenant } = storageHelpers(name, makeLayer)
    const inOrders = <A, E>(
      tenant: TenantId,
      use: (orders: typeof Orders.Service) => Effect.Effect<A, E, TenantRepositories>
    ) => inTenant(tenant, Effect.flatMap(Orders, use))

    it("tells the outbox's backlog: its unfinished rows, and the oldest due time among those due", async () => {
      const tenant = await newTenant()
      const first = orderFixture("b1", { refCode: "BACKLOG-1", createdAt: at(0), updatedAt: at(0) })
      const second = orderFixture("b2", { refCode: "BACKLOG-2", createdAt: at(10), updatedAt: at(10) })
      await inTenant(
        tenant,
        Effect.flatMap(Orders, (o) => o.place(first, "obx_b1"))
      )
      await inTenant(
        tenant,
        Effect.flatMap(Orders, (o) => o.place(second, "obx_b2"))
      )
      const backlog = (ms: number) =>
        inTenant(
          tenant,
          Effect.flatMap(Orders, (o) => o.backlog(at(ms)))
        )
      expect(await backlog(5)).toEqual({ pending: 2, oldestDueAt: at(0) })
      expect(await backlog(-1)).toEqual({ pending: 2, oldestDueAt: null })
      // Cancelled before it reached the POS: its submit row is finished without a call.
      const cancelled = await inTenant(
        tenant,
        Effect.flatMap(Orders, (o) =>
          o.move(first.orderId, { to: "CANCELLED", source: "partner", vendorStatus: null, reason: null, at: at(20) })
        )
      )
      expect(cancelled._tag).toBe("Moved")
      expect(await backlog(30)).toEqual({ pending: 1, oldestDueAt: at(10) })
    })

    it("places an order with its first timeline entry and submit row, and reads it back exactly", async () => {
      const tenant = await newTenant()
      // Whatever status the caller's value says, a new order is RECEIVED.
      const order = orderFixture("1", { createdAt: at(123), updatedAt: at(123) })
      const result = await inOrders(tenant, (orders) =>
        Effect.gen(function* () {
          const placed = yield* orders.place({ ...order, status: "SUBMITTED" }, "obx_1")
          return {
            placed,
            got: yield* orders.get(order.orderId),
            byRef: yield* orders.getByRefCode(order.refCode),
            timeline: yield* orders.timeline(order.orderId),
            attempts: yield* orders.attempts(order.orderId),
            pending: yield* orders.pendingKinds(order.orderId),
            next: yield* orders.nextDue(),
            early: yield* orders.claim(claimRequest("w1", 122, 1_000)),
            claimed: yield* orders.claim(claimRequest("w1", 123, 1_000))
          }
        })
      )
      expect(result.placed).toEqual({ _tag: "Placed" })
      expect(result.got).toEqual(order)
      expect(result.byRef).toEqual(order)
      expect(result.got?.createdAt.getTime()).toBe(at(123).getTime())
      expect(result.got?.request.fulfilment.scheduledFor?.getTime()).toBe(at(3_600_123).getTime())
      expect(result.timeline).toEqual([
        { at: at(123), status: "RECEIVED", source: "service", vendorStatus: null, reason: null }
      ])
      expect(result.attempts).toEqual([])
      expect(result.pending).toEqual(["submit"])
      expect(result.next).toEqual(at(123))
      expect(result.early).toEqual([])
      expect(result.claimed).toEqual([
        {
          id: "obx_1",
          orderId: order.orderId,
          kind: "submit",
          reason: null,
          traceContext: null,
          attempts: 1,
          dueAt: at(123),
          createdAt: at(123),
          leaseUntil: at(1_123),
          order
        }
      ])
    })

    it("keeps the trace context each row was queued with, and hands it to the claimer", async () => {
      const tenant = await newTenant()
      const placing = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
      const cancelling = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
      const result = await inOrders(tenant, (orders) =>
        Effect.gen(function* () {
          yield* orders.place(orderFixture("1"), "obx_1", null, placing)
          const submit = yield* orders.claim(claimRequest("w", 5, 1_000))
          yield* orders.finish("obx_1", "w", attempt("submit", 1, 10), {
            _tag: "Done",
            change: change("SUBMITTED", 10, { source: "service", vendorStatus: null })
          })
          yield* orders.moveAndEnqueue(
            "ord_1",
            change(null, 20, { source: "partner", vendorStatus: null, reason: "cancellation requested" }),
            { id: "obx_c", kind: "cancel", dueAt: at(20), traceContext: cancelling }
          )
          yield* orders.place(orderFixture("2"), "obx_2")
          const rest = yield* orders.claim(claimRequest("w", 2_000, 1_000))
          return [...submit, ...rest].map((d) => [d.id, d.traceContext]).sort(([a], [b]) => (a! < b! ? -1 : 1))
        })
      )
      expect(result).toEqual([
        ["obx_1", placing],
        ["obx_2", null],
        ["obx_c", cancelling]
      ])
    })

    it("round-trips any order exactly", async () => {
      const tenant = await newTenant("rt")
      const arbDate = fc.integer({ min: -2_000_000_000_000, max: 4_000_000_000_000 }).map((ms) => new Date(ms))
      const arbCoordinate = fc.oneof(
        fc.integer({ min: -180_000_000, max: 180_000_000 }).map((n) => n / 1_000_000),
        fc.constantFrom(
          52.37021570000001,
          0.30000000000000004,
          1e-7,
          -179.99999999999997,
          5e-324,
          1.7976931348623157e308
        )
      )
      const arbOrder = fc
        .record({
          createdAt: arbDate,
          updatedAt: arbDate,
          scheduledFor: fc.option(arbDate, { nil: null }),
          latitude: fc.option(arbCoordinate, { nil: null }),
          text: arbText,
          note: fc.option(arbText, { nil: null }),
          amount: fc.oneof(fc.nat(), fc.constantFrom(0, 2 ** 31, 2 ** 53 - 1)),
          ratePpm: fc.option(fc.integer({ min: 0, max: 1_000_000 }), { nil: null }),
          lines: fc.nat(3),
          menus: fc.array(fc.record({ menuId: arbText, version: fc.nat() }), { maxLength: 3 }),
          menuSource: fc.constantFrom("menu-v2" as const, "pos" as const),
          posOrderId: fc.option(arbText, { nil: null })
        })
        .map((f) => {
          const base = orderFixture("x")
          return {
            ...base,
            fingerprint: f.text,
            provider: f.text,
            outletExternalId: f.text,
            request: {
              ...base.request,
              fulfilment: {
                ...base.request.fulfilment,
                scheduledFor: f.scheduledFor,
                address: { ...base.request.fulfilment.address!, latitude: f.latitude, line2: f.note }
              },
              customer: { ...base.request.customer, name: f.text },
              notes: f.note,
              payment: { ...base.request.payment, amount: f.amount }
            },
            priced: priced({
              lines: Array.from({ length: f.lines }, (_, i) =>
                line(i + 1, {
                  name: f.text,
                  note: f.note,
                  total: f.amount,
                  tax: { ratePpm: f.ratePpm, amount: f.amount }
                })
              )
            }),
            menuSource: f.menuSource,
            menus: f.menus,
            posOrderId: f.posOrderId,
            createdAt: f.createdAt,
            updatedAt: f.updatedAt
          } satisfies Order
        })
      let n = 0
      await fc.assert(
        fc.asyncProperty(arbOrder, async (template) => {
          n++
          const order = { ...template, orderId: `ord_rt${n}`, refCode: `RT-${n}` }
          const back = await inOrders(tenant, (orders) =>
            Effect.andThen(orders.place(order, `obx_rt${n}`), orders.get(order.orderId))
          )
          expect(back).toEqual(order)
        }),
        { numRuns: name === "memory" ? 50 : 15 }
      )
    })

    it("answers RefCodeTaken with the order holding the refCode, and writes nothing", async () => {
      const tenant = await newTenant()
      const first = orderFixture("1", { createdAt: at(10), updatedAt: at(10) })
      const second = orderFixture("2", { refCode: first.refCode, createdAt: at(20), updatedAt: at(20) })
      const result = await inOrders(tenant, (orders) =>
        Effect.gen(function* () {
          const a = yield* orders.place(first, "obx_1")
          const b = yield* orders.place(second, "obx_2")
          // The refCode stays taken after its order moved on.
          yield* orders.move(first.orderId, change("SUBMITTED", 30))
          const c = yield* orders.place({ ...second, orderId: "ord_3" }, "obx_3")
          return {
            a,
            b,
            c,
            second: yield* orders.get(second.orderId),
            timeline: yield* orders.timeline(second.orderId),
            pending: yield* orders.pendingKinds(second.orderId),
            listed: (yield* orders.list(query())).orders.map((o) => o.orderId),
            claimed: (yield* orders.claim(claimRequest("w1", 1_000, 1_000))).map((d) => d.id)
          }
        })
      )
      expect(result.a).toEqual({ _tag: "Placed" })
      expect(result.b).toEqual({ _tag: "RefCodeTaken", order: first })
      expect(result.c).toEqual({
        _tag: "RefCodeTaken",
        order: { ...first, status: "SUBMITTED", updatedAt: at(30) }
      })
      expect(result.second).toBeUndefined()
      expect(result.timeline).toEqual([])
      expect(result.pending).toEqual([])
      expect(result.listed).toEqual([first.orderId])
      expect(result.claimed).toEqual(["obx_1"])
    })

    it("answers for an unknown order without writing anything", async () => {
      const tenant = await newTenant()
      const result = await inOrders(tenant, (orders) =>
        Effect.gen(function* () {
          return {
            get: yield* orders.get("ord_none"),
            byRef: yield* orders.getByRefCode("REF-none"),
            move: yield* orders.move("ord_none", change("ACCEPTED", 10)),
            enqueue: yield* orders.moveAndEnqueue("ord_none", change("CANCELLED", 10), {
              id: "obx_c",
              kind: "cancel",
              dueAt: at(10)
            }),
            recorded: yield* orders.moveAndEnqueue("ord_none", change(null, 10), {
              id: "obx_c",
              kind: "cancel",
              dueAt: at(10)
            }),
            timeline: yield* orders.timeline("ord_none"),
            attempts: yield* orders.attempts("ord_none"),
            pending: yield* orders.pendingKinds("ord_none"),
            finish: yield* orders.finish("obx_none", "w1", attempt("submit", 1, 10), { _tag: "Done", change: null }),
            claimed: yield* orders.claim(claimRequest("w1", 1_000, 1_000)),
            next: yield* orders.nextDue(),
            listed: yield* orders.list(query())
          }
        })
      )
      expect(result).toEqual({
        get: undefined,
        byRef: undefined,
        move: { _tag: "NotFound" },
        enqueue: { _tag: "NotFound" },
        recorded: { _tag: "NotFound" },
        timeline: [],
        attempts: [],
        pending: [],
        finish: false,
        claimed: [],
        next: null,
        listed: { orders: [], nextCursor: null }
      })
    })

    it("moves by the transition table: moved, same, refused and recorded, each with its timeline entry", async () => {
      const tenant = await newTenant()
      const order = orderFixture("1")
      const result = await inOrders(tenant, (orders) =>
        Effect.gen(function* () {
          yield* orders.place(order, "obx_1")
          const results: Array<MoveResult> = []
          const states: Array<Order | undefined> = []
          const step = function* (c: StatusChange) {
            results.push(yield* orders.move(order.orderId, c))
            states.push(yield* orders.get(order.orderId))
          }
          // The POS reports ACCEPTED (with its id) before the dispatcher records SUBMITTED.
          yield* step(change("ACCEPTED", 10, { posOrderId: "P-1", vendorStatus: "accepted" }))
          yield* step(change("SUBMITTED", 20, { source: "service", vendorStatus: null, posOrderId: "P-other" }))
          yield* step(change("ACCEPTED", 30, { reason: "again" }))
          yield* step(change(null, 40, { vendorStatus: "COOKING_STARTED", reason: "unknown vendor status" }))
          yield* step(change("READY", 50))
          yield* step(change("COMPLETED", 60))
          yield* step(change("CANCELLED", 70, { source: "partner", vendorStatus: null, reason: "too late" }))
          return { results, states, timeline: yield* orders.timeline(order.orderId) }
        })
      )
      expect(result.results).toEqual([
        { _tag: "Moved", from: "RECEIVED", to: "ACCEPTED" },
        { _tag: "Refused", from: "ACCEPTED", to: "SUBMITTED" },
        { _tag: "Same", status: "ACCEPTED" },
        { _tag: "Recorded", status: "ACCEPTED" },
        { _tag: "Moved", from: "ACCEPTED", to: "READY" },
        { _tag: "Moved", from: "READY", to: "COMPLETED" },
        { _tag: "Refused", from: "COMPLETED", to: "CANCELLED" }
      ])
      // The first id is kept; updatedAt moves with the status only.
      expect(result.states.map((o) => [o?.status, o?.posOrderId, o?.updatedAt.getTime()])).toEqual([
        ["ACCEPTED", "P-1", at(10).getTime()],
        ["ACCEPTED", "P-1", at(10).getTime()],
        ["ACCEPTED", "P-1", at(10).getTime()],
        ["ACCEPTED", "P-1", at(10).getTime()],
        ["READY", "P-1", at(50).getTime()],
        ["COMPLETED", "P-1", at(60).getTime()],
        ["COMPLETED", "P-1", at(60).getTime()]
      ])
      const entry = (fields: Partial<TimelineEntry> & Pick<TimelineEntry, "at">): TimelineEntry => ({
        status: null,
        source: "pos",
        vendorStatus: null,
        reason: null,
        ...fields
      })
      expect(result.timeline).toEqual([
        entry({ at: at(0), status: "RECEIVED", source: "service" }),
        entry({ at: at(10), status: "ACCEPTED", vendorStatus: "accepted" }),
        entry({ at: at(20), source: "service", reason: refusalReason("ACCEPTED", "SUBMITTED") }),
        entry({ at: at(40), vendorStatus: "COOKING_STARTED", reason: "unknown vendor status" }),
        entry({ at: at(50), status: "READY", vendorStatus: "ready" }),
        entry({ at: at(60), status: "COMPLETED", vendorStatus: "completed" }),
        entry({ at: at(70), source: "partner", reason: refusalReason("COMPLETED", "CANCELLED") })
      ])
    })

    it("keeps the POS's id given with a repeated or refused status when none is kept yet", async () => {
      const tenant = await newTenant()
      const result = await inOrders(tenant, (orders) =>
        Effect.gen(function* () {
          yield* orders.place(orderFixture("1"), "obx_1")
          yield* orders.place(orderFixture("2"), "obx_2")
          yield* orders.move("ord_1", change("ACCEPTED", 10))
          const same = yield* orders.move("ord_1", change("ACCEPTED", 20, { posOrderId: "P-1" }))
          yield* orders.move("ord_2", change("CANCELLED", 10))
          const refused = yield* orders.move("ord_2", change("SUBMITTED", 30, { posOrderId: "P-2" }))
          return {
            same,
            refused,
            one: yield* orders.get("ord_1"),
            two: yield* orders.get("ord_2"),
            entries: [(yield* orders.timeline("ord_1")).length, (yield* orders.timeline("ord_2")).length]
          }
        })
      )
      expect(result.same).toEqual({ _tag: "Same", status: "ACCEPTED" })
      expect(result.refused).toEqual({ _tag: "Refused", from: "CANCELLED", to: "SUBMITTED" })
      expect([result.one?.posOrderId, result.one?.updatedAt]).toEqual(["P-1", at(20)])
      expect([result.two?.status, result.two?.posOrderId, result.two?.updatedAt]).toEqual(["CANCELLED", "P-2", at(30)])
      // The repeated status wrote no entry; the refused one did.
      expect(result.entries).toEqual([2, 3])
    })

    it("claims due rows oldest first under a lease, and hands an expired lease to another owner", async () => {
      const tenant = await newTenant()
      const result = await inOrders(tenant, (orders) =>
        Effect.gen(function* () {
          yield* orders.place(orderFixture("1", { createdAt: at(100), updatedAt: at(100) }), "obx_1")
          yield* orders.place(orderFixture("2", { createdAt: at(50), updatedAt: at(50) }), "obx_2")
          yield* orders.place(orderFixture("3", { createdAt: at(10_000), updatedAt: at(10_000) }), "obx_3")
          const none = yield* orders.claim(claimRequest("a", 5, 1_000))
          const a = yield* orders.claim(claimRequest("a", 200, 800, 1))
          const b = yield* orders.claim(claimRequest("b", 200, 1_800, 5))
          const empty = yield* orders.claim(claimRequest("c", 999, 1_000))
          const next = yield* orders.nextDue()
          // a's lease ran out at 1000 (its worker died, or is slow): c takes the row over.
          const c = yield* orders.claim(claimRequest("c", 1_000, 2_000))
          const lateA = yield* orders.finish("obx_2", "a", attempt("submit", 1, 1_100), {
            _tag: "Done",
            change: change("SUBMITTED", 1_100, { source: "service" })
          })
          const afterLate = [yield* orders.get("ord_2"), yield* orders.attempts("ord_2")] as const
          const retried = yield* orders.finish("obx_2", "c", attempt("submit", 2, 1_200, { outcome: "unavailable" }), {
            _tag: "Retry",
            dueAt: at(5_000)
          })
          const twice = yield* orders.finish("obx_2", "c", attempt("submit", 2, 1_300), { _tag: "Done", change: null })
          const nextAfter = yield* orders.nextDue()
          const early = yield* orders.claim(claimRequest("d", 4_999, 1_000))
          const due = yield* orders.claim(claimRequest("d", 5_000, 1_000))
          return { none, a, b, empty, next, c, lateA, afterLate, retried, twice, nextAfter, early, due }
        })
      )
      const ids = (claimed: ReadonlyArray<{ readonly id: string; readonly attempts: number }>) =>
        claimed.map((d) => [d.id, d.attempts])
      expect(result.none).toEqual([])
      expect(ids(result.a)).toEqual([["obx_2", 1]])
      expect(result.a[0]?.leaseUntil).toEqual(at(1_000))
      expect(ids(result.b)).toEqual([["obx_1", 1]])
      expect(result.empty).toEqual([])
      expect(result.next).toEqual(at(1_000))
      expect(ids(result.c)).toEqual([["obx_2", 2]])
      expect(result.c[0]?.order.status).toBe("RECEIVED")
      expect(result.lateA).toBe(false)
      expect(result.afterLate[0]?.status).toBe("RECEIVED")
      expect(result.afterLate[1]).toEqual([])
      expect(result.retried).toBe(true)
      expect(result.twice).toBe(false)
      // obx_1 is still leased to b until 2000; obx_2 is due again at 5000, obx_3 at 10000.
      expect(result.nextAfter).toEqual(at(2_000))
      expect(result.early.map((d) => d.id)).toEqual(["obx_1"])
      expect(ids(result.due)).toEqual([["obx_2", 3]])
      const attempts = await inOrders(tenant, (orders) => orders.attempts("ord_2"))
      expect(attempts).toEqual([attempt("submit", 2, 1_200, { outcome: "unavailable" })])
    })

    it("applies a finished delivery's change with it, by the transition table", async () => {
      const tenant = await newTenant()
      const result = await inOrders(tenant, (orders) =>
        Effect.gen(function* () {
          yield* orders.place(orderFixture("1"), "obx_1")
          yield* orders.place(orderFixture("2"), "obx_2")
          yield* orders.place(orderFixture("3"), "obx_3")
          yield* orders.claim(claimRequest("w", 10, 1_000))
          const done = (id: string, c: StatusChange | null, finish?: Partial<DeliveryAttempt>) =>
            orders.finish(id, "w", attempt("submit", 1, 100, finish), { _tag: "Done", change: c } as DeliveryFinish)
          const submitted = yield* done("obx_1", change("SUBMITTED", 100, { source: "service", posOrderId: "P-1" }))
          const rejected = yield* done(
            "obx_2",
            change("REJECTED", 100, { source: "service", vendorStatus: null, reason: "PosRejected: closed" }),
            { outcome: "rejected", reason: "closed" }
          )
          // The POS already reported the order moving on: the dispatcher's SUBMITTED is refused.
          yield* orders.move("ord_3", change("ACCEPTED", 50))
          const late = yield* done("obx_3", change("SUBMITTED", 100, { source: "service", posOrderId: "P-3" }))
          const read = (id: string) =>
            Effect.all({ order: orders.get(id), timeline: orders.timeline(id), attempts: orders.attempts(id) })
          return {
            submitted,
            rejected,
            late,
            one: yield* read("ord_1"),
            two: yield* read("ord_2"),
            three: yield* read("ord_3"),
            next: yield* orders.nextDue(),
            claimed: yield* orders.claim(claimRequest("x", 10_000, 1_000))
          }
        })
      )
      expect([result.submitted, result.rejected, result.late]).toEqual([true, true, true])
      expect(result.one.order).toMatchObject({ status: "SUBMITTED", posOrderId: "P-1", updatedAt: at(100) })
      expect(result.one.timeline.at(-1)).toMatchObject({ at: at(100), status: "SUBMITTED", source: "service" })
      expect(result.one.attempts).toEqual([attempt("submit", 1, 100)])
      expect(result.two.order).toMatchObject({ status: "REJECTED", posOrderId: null })
      expect(result.two.timeline.at(-1)).toMatchObject({ status: "REJECTED", reason: "PosRejected: closed" })
      expect(result.two.attempts).toEqual([attempt("submit", 1, 100, { outcome: "rejected", reason: "closed" })])
      expect(result.three.order).toMatchObject({ status: "ACCEPTED", posOrderId: "P-3" })
      expect(result.three.timeline.at(-1)).toEqual({
        at: at(100),
        status: null,
        source: "service",
        vendorStatus: "submitted",
        reason: refusalReason("ACCEPTED", "SUBMITTED")
      })
      // Every row finished: nothing due, nothing to claim.
      expect(result.next).toBeNull()
      expect(result.claimed).toEqual([])
    })

    it("holds a cancellation back while its order's delivery is under way, then delivers it", async () => {
      const tenant = await newTenant()
      const cancel = { id: "obx_c", kind: "cancel" as const, dueAt: at(200) }
      const result = await inOrders(tenant, (orders) =>
        Effect.gen(function* () {
          yield* orders.place(orderFixture("1"), "obx_1")
          yield* orders.claim(claimRequest("w", 10, 990))
          const moved = yield* orders.moveAndEnqueue(
            "ord_1",
            change("CANCELLED", 200, { source: "partner", vendorStatus: null, reason: "changed my mind" }),
            cancel
          )
          const pending = yield* orders.pendingKinds("ord_1")
          const held = yield* orders.claim(claimRequest("x", 300, 1_000))
          // The submit row's lease ends at 1000: only then can anything be claimed.
          const next = yield* orders.nextDue()
          const finished = yield* orders.finish("obx_1", "w", attempt("submit", 1, 400), {
            _tag: "Done",
            change: change("SUBMITTED", 400, { source: "service", vendorStatus: null, posOrderId: "P-1" })
          })
          const nextAfter = yield* orders.nextDue()
          const claimed = yield* orders.claim(claimRequest("x", 400, 1_000))
          return { moved, pending, held, next, finished, nextAfter, claimed, order: yield* orders.get("ord_1") }
        })
      )
      expect(result.moved).toEqual({ _tag: "Moved", from: "RECEIVED", to: "CANCELLED" })
      expect(result.pending).toEqual(["cancel", "submit"])
      expect(result.held).toEqual([])
      expect(result.next).toEqual(at(1_000))
      expect(result.finished).toBe(true)
      expect(result.nextAfter).toEqual(at(200))
      expect(result.claimed.map((d) => [d.id, d.kind, d.attempts, d.dueAt.getTime(), d.createdAt.getTime()])).toEqual([
        ["obx_c", "cancel", 1, at(200).getTime(), at(200).getTime()]
      ])
      // The POS had it: its id is kept for the cancellation, the status stays CANCELLED.
      expect(result.claimed[0]?.order).toMatchObject({ status: "CANCELLED", posOrderId: "P-1" })
      expect(result.order).toMatchObject({ status: "CANCELLED", posOrderId: "P-1", updatedAt: at(400) })
    })

    it("finishes a delivery that never started when its order is cancelled", async () => {
      const tenant = await newTenant()
      const result = await inOrders(tenant, (orders) =>
        Effect.gen(function* () {
          yield* orders.place(orderFixture("1"), "obx_1")
          yield* orders.place(orderFixture("2"), "obx_2")
          yield* orders.place(orderFixture("3"), "obx_3")
          // ord_2's lease ran out (its worker died): the row is free again.
          yield* orders.claim({ ...claimRequest("w", 10, 90), limit: 1 })
          yield* orders.claim({ ...claimRequest("w", 10, 90), limit: 1 })
          const partner = change("CANCELLED", 200, { source: "partner", vendorStatus: null })
          const withRow = yield* orders.moveAndEnqueue("ord_1", partner, {
            id: "obx_c1",
            kind: "cancel",
            dueAt: at(200)
          })
          const plain = yield* orders.move("ord_2", partner)
          const pending = [yield* orders.pendingKinds("ord_1"), yield* orders.pendingKinds("ord_2")]
          const lateFinish = yield* orders.finish("obx_2", "w", attempt("submit", 1, 300), {
            _tag: "Done",
            change: null
          })
          const claimed = yield* orders.claim(claimRequest("x", 300, 1_000))
          return {
            withRow,
            plain,
            pending,
            lateFinish,
            claimed: claimed.map((d) => d.id),
            attempts: [yield* orders.attempts("ord_1"), yield* orders.attempts("ord_2")]
          }
        })
      )
      expect(result.withRow).toEqual({ _tag: "Moved", from: "RECEIVED", to: "CANCELLED" })
      expect(result.plain).toEqual({ _tag: "Moved", from: "RECEIVED", to: "CANCELLED" })
      expect(result.pending).toEqual([["cancel"], []])
      expect(result.lateFinish).toBe(false)
      // The cancellation is free at once (due after ord_3's delivery, still there).
      expect(result.claimed).toEqual(["obx_3", "obx_c1"])
      expect(result.attempts).toEqual([[], []])
    })

    it("queues a row only with a change applied, and one unfinished row of a kind per order", async () => {
      const tenant = await newTenant()
      const row = (id: string, ms = 100) => ({ id, kind: "cancel" as const, dueAt: at(ms) })
      const result = await inOrders(tenant, (orders) =>
        Effect.gen(function* () {
          yield* orders.place(orderFixture("1"), "obx_1")
          yield* orders.claim(claimRequest("w", 5, 1_000))
          yield* orders.finish("obx_1", "w", attempt("submit", 1, 10), {
            _tag: "Done",
            change: change("SUBMITTED", 10, { source: "service", vendorStatus: null })
          })
          const request = change(null, 20, { source: "partner", vendorStatus: null, reason: "cancellation requested" })
          const first = yield* orders.moveAndEnqueue("ord_1", request, row("obx_c1"))
          const joined = yield* orders.moveAndEnqueue("ord_1", { ...request, at: at(30) }, row("obx_c2"))
          const same = yield* orders.moveAndEnqueue("ord_1", change("SUBMITTED", 40), row("obx_c3"))
          const refused = yield* orders.moveAndEnqueue("ord_1", change("RECEIVED", 50), row("obx_c4"))
          const claimed = yield* orders.claim(claimRequest("w", 1_000, 1_000))
          yield* orders.finish("obx_c1", "w", attempt("cancel", 1, 1_100), {
            _tag: "Done",
            change: change("CANCELLED", 1_100, { source: "service", vendorStatus: null })
          })
          // Once the first ended, another can be queued (here the order is final: nothing moves).
          const after = yield* orders.moveAndEnqueue("ord_1", change("CANCELLED", 1_200), row("obx_c5", 1_200))
          const recordedAfter = yield* orders.moveAndEnqueue("ord_1", { ...request, at: at(1_300) }, row("obx_c6"))
          return {
            first,
            joined,
            same,
            refused,
            claimed: claimed.map((d) => [d.id, d.kind, d.createdAt.getTime()]),
            after,
            recordedAfter,
            pending: yield* orders.pendingKinds("ord_1"),
            next: yield* orders.nextDue(),
            timeline: (yield* orders.timeline("ord_1")).map((e) => [e.status, e.reason])
          }
        })
      )
      expect(result.first).toEqual({ _tag: "Recorded", status: "SUBMITTED" })
      expect(result.joined).toEqual({ _tag: "Recorded", status: "SUBMITTED" })
      expect(result.same).toEqual({ _tag: "Same", status: "SUBMITTED" })
      expect(result.refused).toEqual({ _tag: "Refused", from: "SUBMITTED", to: "RECEIVED" })
      expect(result.claimed).toEqual([["obx_c1", "cancel", at(20).getTime()]])
      expect(result.after).toEqual({ _tag: "Same", status: "CANCELLED" })
      expect(result.recordedAfter).toEqual({ _tag: "Recorded", status: "CANCELLED" })
      expect(result.pending).toEqual(["cancel"])
      expect(result.next).toEqual(at(100))
      expect(result.timeline).toEqual([
        ["RECEIVED", null],
        ["SUBMITTED", null],
        [null, "cancellation requested"],
        [null, "cancellation requested"],
        [null, refusalReason("SUBMITTED", "RECEIVED")],
        ["CANCELLED", null],
        [null, "cancellation requested"]
      ])
    })

    it("lists newest first under every filter, and pages without gaps or repeats", async () => {
      const tenant = await newTenant()
      // Ties on createdAt on purpose: the cursor must carry the id too.
      const placed = Array.from({ length: 11 }, (_, i) =>
        orderFixture(String(i).padStart(2, "0"), {
          outletId: i % 3 === 0 ? "out_2" : "out_1",
          createdAt: at(Math.floor(i / 3) * 1_000),
          updatedAt: at(Math.floor(i / 3) * 1_000)
        })
      )
      const result = await inOrders(tenant, (orders) =>
        Effect.gen(function* () {
          for (const order of placed) yield* orders.place(order, `obx_${order.orderId}`)
          for (const order of placed.filter((_, i) => i % 2 === 0)) {
            yield* orders.move(order.orderId, change("SUBMITTED", 5_000))
          }
          const stored = (yield* orders.list(query())).orders
          const cases: Array<{ q: Partial<OrderQuery>; expected: ReadonlyArray<string>; pages: Array<unknown> }> = []
          const filters: ReadonlyArray<Partial<OrderQuery>> = [
            {},
            { outletId: "out_2" },
            { status: "SUBMITTED" },
            { status: "RECEIVED", outletId: "out_1" },
            { createdSince: at(2_000) },
            { refCode: placed[4]!.refCode },
            { refCode: "REF-none" },
            { outletId: "out_9" }
          ]
          for (const filter of filters) {
            const expected = stored
              .filter(
                (o) =>
                  (filter.outletId === undefined || o.outletId === filter.outletId) &&
                  (filter.status === undefined || o.status === filter.status) &&
                  (filter.refCode === undefined || o.refCode === filter.refCode) &&
                  (filter.createdSince === undefined || o.createdAt.getTime() >= (filter.createdSince?.getTime() ?? 0))
              )
              .map((o) => o.orderId)
            for (const limit of [1, 2, 4, 50]) {
              cases.push({ q: { ...filter, limit }, expected, pages: yield* allPages(query({ ...filter, limit })) })
            }
          }
          return { stored, cases }
        })
      )
      expect(result.stored.map((o) => o.orderId)).toEqual([...placed].sort(newestFirst).map((o) => o.orderId))
      for (const { q, expected, pages } of result.cases) {
        const limit = q.limit!
        const flat = (pages as Array<ReadonlyArray<string>>).flat()
        expect(flat, JSON.stringify(q)).toEqual(expected)
        // Full pages, then one last page (empty only when nothing matches at all).
        expect((pages as Array<ReadonlyArray<string>>).length).toBe(Math.max(1, Math.ceil(expected.length / limit)))
      }
    })

    it("refuses a cursor it did not issue and a limit below one as bad input", async () => {
      const tenant = await newTenant()
      await inOrders(tenant, (orders) => orders.place(orderFixture("1"), "obx_1"))
      const fail = (q: Partial<OrderQuery>) => inOrders(tenant, (orders) => Effect.flip(orders.list(query(q))))
      for (const cursor of ["", "not a cursor", "WzEsMl0", Buffer.from('[1,"a",3]').toString("base64url")]) {
        expect(await fail({ cursor })).toMatchObject({ _tag: "InvalidInput" })
      }
      expect(await fail({ limit: 0 })).toMatchObject({ _tag: "InvalidInput" })
      expect(await fail({ limit: 1.5 })).toMatchObject({ _tag: "InvalidInput" })
      // A cursor of ours, for a position past every order: an empty page, not an error.
      const past = orderCursor.encode({ createdAt: at(-1), orderId: "ord_0" })
      expect(await inOrders(tenant, (orders) => orders.list(query({ cursor: past })))).toEqual({
        orders: [],
        nextCursor: null
      })
    })

    it("behaves like a simple model under any sequence of places, moves, claims, finishes and lists", async () => {
      type Op =
        | { readonly op: "place"; readonly ref: number; readonly outlet: number; readonly created: number }
        | { readonly op: "move"; readonly pick: number; readonly to: OrderStatus | null; readonly pos: boolean }
        | { readonly op: "cancel"; readonly pick: number; readonly to: "CANCELLED" | null }
        | { readonly op: "claim"; readonly owner: number; readonly limit: number; readonly lease: number }
        | {
            readonly op: "finish"
            readonly pick: number
            readonly owner: number
            readonly done: boolean
            readonly to: OrderStatus | null
          }
        | {
            readonly op: "list"
            readonly status: OrderStatus | null
            readonly outlet: number | null
            readonly limit: number
          }
      const arbStatus = fc.option(fc.constantFrom(...orderStatuses), { nil: null })
      const arbOp: fc.Arbitrary<Op> = fc.oneof(
        fc.record({ op: fc.constant("place" as const), ref: fc.nat(5), outlet: fc.nat(1), created: fc.nat(4) }),
        fc.record({ op: fc.constant("move" as const), pick: fc.nat(7), to: arbStatus, pos: fc.boolean() }),
        fc.record({
          op: fc.constant("cancel" as const),
          pick: fc.nat(7),
          to: fc.constantFrom("CANCELLED" as const, null)
        }),
        fc.record({
          op: fc.constant("claim" as const),
          owner: fc.nat(1),
          limit: fc.integer({ min: 1, max: 3 }),
          lease: fc.integer({ min: 1, max: 4 })
        }),
        fc.record({
          op: fc.constant("finish" as const),
          pick: fc.nat(7),
          owner: fc.nat(1),
          done: fc.boolean(),
          to: fc.option(
            fc.constantFrom("SUBMITTED" as const, "REJECTED" as const, "FAILED" as const, "CANCELLED" as const),
            {
              nil: null
            }
          )
        }),
        fc.record({
          op: fc.constant("list" as const),
          status: fc.option(fc.constantFrom("RECEIVED" as const, "SUBMITTED" as const, "CANCELLED" as const), {
            nil: null
          }),
          outlet: fc.option(fc.nat(1), { nil: null }),
          limit: fc.integer({ min: 1, max: 3 })
        })
      )
      interface ModelOrder {
        readonly order: Order
        status: OrderStatus
        posOrderId: string | null
        updatedAt: number
        readonly timeline: Array<TimelineEntry>
        readonly attempts: Array<DeliveryAttempt>
      }
      interface ModelRow {
        readonly id: string
        readonly orderId: string
        readonly kind: DeliveryKind
        readonly reason: string | null
        /** Milliseconds after at(0), as every time of the model. */
        readonly created: number
        attempts: number
        due: number
        owner: string | null
        leaseUntil: number | null
        finished: boolean
      }
      await fc.assert(
        fc.asyncProperty(fc.array(arbOp, { maxLength: 24 }), async (ops) => {
          const tenant: TenantId = await newTenant("ord")
          const orders = new Map<string, ModelOrder>()
          const placedIds: Array<string> = []
          const rows = new Map<string, ModelRow>()
          const claimedIds: Array<string> = []
          const unfinished = (orderId: string, kind: DeliveryKind) =>
            [...rows.values()].some((r) => r.orderId === orderId && r.kind === kind && !r.finished)
          const apply = (m: ModelOrder, c: StatusChange): MoveResult => {
            const from = m.status
            const moves = c.to !== null && canMove(from, c.to)
            const posOrderId = c.posOrderId ?? null
            if (moves || (posOrderId !== null && m.posOrderId === null)) {
              if (m.posOrderId === null) m.posOrderId = posOrderId
              if (moves) m.status = c.to!
              m.updatedAt = c.at.getTime()
            }
            const entry = { at: c.at, source: c.source, vendorStatus: c.vendorStatus }
            if (c.to === null) {
              m.timeline.push({ ...entry, status: null, reason: c.reason })
              return { _tag: "Recorded", status: from }
            }
            if (c.to === from) return { _tag: "Same", status: from }
            if (!moves) {
              m.timeline.push({ ...entry, status: null, reason: refusalReason(from, c.to) })
              return { _tag: "Refused", from, to: c.to }
            }
            m.timeline.push({ ...entry, status: c.to, reason: c.reason })
            if (from === "RECEIVED" && c.to === "CANCELLED") {
              for (const r of rows.values()) {
                const leased = r.leaseUntil !== null && at(r.leaseUntil) > c.at
                if (r.orderId === m.order.orderId && r.kind === "submit" && !r.finished && !leased) {
                  r.finished = true
                  r.leaseUntil = null
                }
              }
            }
            return { _tag: "Moved", from, to: c.to }
          }
          const stored = (m: ModelOrder): Order => ({
            ...m.order,
            status: m.status,
            posOrderId: m.posOrderId,
            updatedAt: new Date(m.updatedAt)
          })

          await inTenant(
            tenant,
            Effect.gen(function* () {
              const repo = yield* Orders
              for (const [step, op] of ops.entries()) {
                const nowMs = (step + 1) * 100
                const now = at(nowMs)
                const picked = placedIds.length === 0 ? undefined : orders.get(placedIds[step % placedIds.length]!)
                switch (op.op) {
                  case "place": {
                    const order = orderFixture(String(step).padStart(2, "0"), {
                      refCode: `REF-${op.ref}`,
                      outletId: `out_${op.outlet}`,
                      createdAt: at(op.created * 100),
                      updatedAt: at(op.created * 100)
                    })
                    const holder = [...orders.values()].find((m) => m.order.refCode === order.refCode)
                    const result = yield* repo.place(order, `obx_${order.orderId}`)
                    if (holder !== undefined) {
                      expect(result).toEqual({ _tag: "RefCodeTaken", order: stored(holder) })
                      break
                    }
                    expect(result).toEqual({ _tag: "Placed" })
                    orders.set(order.orderId, {
                      order,
                      status: "RECEIVED",
                      posOrderId: null,
                      updatedAt: order.updatedAt.getTime(),
                      timeline: [
                        { at: order.createdAt, status: "RECEIVED", source: "service", vendorStatus: null, reason: null }
                      ],
                      attempts: []
                    })
                    placedIds.push(order.orderId)
                    rows.set(`obx_${order.orderId}`, {
                      id: `obx_${order.orderId}`,
                      orderId: order.orderId,
                      kind: "submit",
                      reason: null,
                      created: op.created * 100,
                      attempts: 0,
                      due: op.created * 100,
                      owner: null,
                      leaseUntil: null,
                      finished: false
                    })
                    break
                  }
                  case "move": {
                    if (picked === undefined) break
                    const c = change(op.to, nowMs, {
                      reason: `r${step}`,
                      ...(op.pos ? { posOrderId: `P-${step}` } : {})
                    })
                    expect(yield* repo.move(picked.order.orderId, c)).toEqual(apply(picked, c))
                    break
                  }
                  case "cancel": {
                    if (picked === undefined) break
                    const c = change(op.to, nowMs, { source: "partner", vendorStatus: null, reason: `c${step}` })
                    const id = `obx_c${step}`
                    const expected = apply(picked, c)
                    const tag = expected._tag
                    if ((tag === "Moved" || tag === "Recorded") && !unfinished(picked.order.orderId, "cancel")) {
                      rows.set(id, {
                        id,
                        orderId: picked.order.orderId,
                        kind: "cancel",
                        reason: `why ${step}`,
                        created: nowMs,
                        attempts: 0,
                        due: nowMs,
                        owner: null,
                        leaseUntil: null,
                        finished: false
                      })
                    }
                    const result = yield* repo.moveAndEnqueue(picked.order.orderId, c, {
                      id,
                      kind: "cancel",
                      dueAt: now,
                      reason: `why ${step}`
                    })
                    expect(result).toEqual(expected)
                    break
                  }
                  case "claim": {
                    const owner = `w${op.owner}`
                    const leaseUntil = nowMs + op.lease * 100
                    const due = [...rows.values()]
                      .filter(
                        (r) =>
                          !r.finished &&
                          r.due <= nowMs &&
                          (r.leaseUntil === null || r.leaseUntil <= nowMs) &&
                          !(r.kind === "cancel" && unfinished(r.orderId, "submit"))
                      )
                      .sort((a, b) => a.due - b.due || (a.id < b.id ? -1 : 1))
                      .slice(0, op.limit)
                    for (const r of due) {
                      r.attempts++
                      r.owner = owner
                      r.leaseUntil = leaseUntil
                      if (!claimedIds.includes(r.id)) claimedIds.push(r.id)
                    }
                    const claimed = yield* repo.claim({ now, owner, leaseUntil: at(leaseUntil), limit: op.limit })
                    expect(claimed).toEqual(
                      due.map((r) => ({
                        id: r.id,
                        orderId: r.orderId,
                        kind: r.kind,
                        reason: r.reason,
                        traceContext: null,
                        attempts: r.attempts,
                        dueAt: at(r.due),
                        createdAt: at(r.created),
                        leaseUntil: at(leaseUntil),
                        order: stored(orders.get(r.orderId)!)
                      }))
                    )
                    break
                  }
                  case "finish": {
                    const id = claimedIds.length === 0 ? undefined : claimedIds[op.pick % claimedIds.length]
                    if (id === undefined) break
                    const r = rows.get(id)!
                    const owner = `w${op.owner}`
                    const tried = attempt(r.kind, r.attempts, nowMs, { outcome: op.done ? "delivered" : "unavailable" })
                    const c =
                      op.to === null
                        ? null
                        : change(op.to, nowMs, { source: "service", vendorStatus: null, posOrderId: `P-f${step}` })
                    const finish: DeliveryFinish = op.done
                      ? { _tag: "Done", change: c }
                      : { _tag: "Retry", dueAt: at(nowMs + 100) }
                    const holds = !r.finished && r.owner === owner
                    if (holds) {
                      const m = orders.get(r.orderId)!
                      m.attempts.push(tried)
                      if (op.done) {
                        r.finished = true
                        r.leaseUntil = null
                        if (c !== null) apply(m, c)
                      } else {
                        r.due = nowMs + 100
                        r.owner = null
                        r.leaseUntil = null
                      }
                    }
                    expect(yield* repo.finish(id, owner, tried, finish)).toBe(holds)
                    break
                  }
                  case "list": {
                    const q = query({
                      status: op.status,
                      outletId: op.outlet === null ? null : `out_${op.outlet}`,
                      limit: op.limit
                    })
                    const expected = [...orders.values()]
                      .map(stored)
                      .filter(
                        (o) =>
                          (q.status === null || o.status === q.status) &&
                          (q.outletId === null || o.outletId === q.outletId)
                      )
                      .sort(newestFirst)
                      .map((o) => o.orderId)
                    expect((yield* allPages(q)).flat()).toEqual(expected)
                    break
                  }
                }
              }
              // Everything, read back every way.
              for (const m of orders.values()) {
                expect(yield* repo.get(m.order.orderId)).toEqual(stored(m))
                expect(yield* repo.getByRefCode(m.order.refCode)).toEqual(stored(m))
                expect(yield* repo.timeline(m.order.orderId)).toEqual(m.timeline)
                expect(yield* repo.attempts(m.order.orderId)).toEqual(m.attempts)
                expect(yield* repo.pendingKinds(m.order.orderId)).toEqual(
                  (["cancel", "submit"] as const).filter((kind) => unfinished(m.order.orderId, kind))
                )
              }
              const free = [...rows.values()]
                .filter((r) => !r.finished && !(r.kind === "cancel" && unfinished(r.orderId, "submit")))
                .map((r) => Math.max(r.due, r.leaseUntil ?? r.due))
              expect(yield* repo.nextDue()).toEqual(free.length === 0 ? null : at(Math.min(...free)))
            })
          )
        }),
        { numRuns: name === "memory" ? 60 : 8 }
      )
    })
  })
