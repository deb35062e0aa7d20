/**
 * SPEC section 6 on POST /api/v1/orders, over HTTP on every storage adapter: a finished refCode with
 * the same body is replayed byte for byte before any check of time or state (the menu closed, the
 * product snoozed, the outlet paused); another body is a 409 `refcode conflict`; a claim still
 * running is a 409 `request in progress` (taken over once stale); and nothing decided before the
 * claim (400 with every problem and its path, 404, 403, 409 `outlet paused`) consumes the refCode:
 * the corrected order then gets its 201. Scheduled orders are checked against the menu at their
 * instant.
 */
import { Effect, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Idempotency } from "../../application/ports/idempotency.ts"
import { PosInbox } from "../../application/ports/pos-inbox.ts"
import { orderFingerprint, orderRequest as decodedOrder } from "../../runtime/http/orders-handlers.ts"
import { OrderCreate } from "../../runtime/http/orders-schemas.ts"
import { storageAdapters } from "../support/storage-adapters.ts"
import {
  type CatalogProduct,
  closedOn,
  deliverectBusyMode,
  deliverectOutlet,
  deliverectSnooze,
  drain,
  expectError,
  expectStatus,
  lightspeedOutlet,
  newRefCode,
  type OrderApp,
  ordersWithRefCode,
  orderRequest,
  placeOrder,
  productAt,
  productsOf,
  publishMenu,
  send,
  startOrderApp,
  tenant,
  utcNoon,
  waitForOrder
} from "./support.ts"

const option = (product: CatalogProduct, group: string, name: string) => {
  const found = product.modifierGroups.find((g) => g.name === group)?.options.find((o) => o.name === name)
  if (found === undefined) expect.fail(`${product.name} has no option '${name}' in '${group}'`)
  return found.optionId
}

/** The fingerprint the service computes for this body (the canonical JSON of the decoded request). */
const fingerprintOf = (body: unknown) =>
  orderFingerprint(Effect.runSync(decodedOrder(Schema.decodeUnknownSync(OrderCreate)(body))))

for (const adapter of storageAdapters()) {
  const suite = adapter.available ? describe : describe.skip
  suite(`order refCodes and refusals over HTTP (${adapter.name})`, () => {
    let o: OrderApp
    let products: ReadonlyMap<string, CatalogProduct>
    let allDay: Awaited<ReturnType<typeof publishMenu>>
    let replays: Awaited<ReturnType<typeof publishMenu>>
    const p = (posCode: string) => productAt(products, posCode)
    /** A Classic Burger cooked medium and two colas: 1650 + 2 x 350. */
    const burgerAndColas = (extra: Record<string, unknown> = {}) =>
      orderRequest(
        deliverectOutlet,
        [
          {
            productId: p("BRG-01").productId,
            quantity: 1,
            modifiers: [{ optionId: option(p("BRG-01"), "How would you like it cooked?", "Medium") }]
          },
          { productId: p("DRK-COLA").productId, quantity: 2 }
        ],
        2350,
        extra
      )

    beforeAll(async () => {
      o = await startOrderApp(adapter.layer())
      products = await productsOf(o, deliverectOutlet)
      // Marina Bay's menus: one open all week; one closed today, tomorrow and in three days (UTC),
      // open the day after tomorrow; and one the replay test closes.
      allDay = await publishMenu(
        o,
        "All day",
        [deliverectOutlet],
        [
          { productId: p("BRG-01").productId },
          { productId: p("CMB-01").productId },
          { productId: p("HAL-01").productId },
          { productId: p("DRK-COLA").productId },
          { productId: p("STK-01").productId }
        ]
      )
      await publishMenu(o, "Some days", [deliverectOutlet], [{ productId: p("WNG-06").productId }], closedOn(0, 1, 3))
      replays = await publishMenu(o, "Replays", [deliverectOutlet], [{ productId: p("HOT-FW").productId }])
    }, 60_000)
    afterAll(() => o?.close())

    it("replays the first 201 byte for byte for the same refCode and body, also after the menu closed and the product got snoozed; another body is a 409 refcode conflict", async () => {
      const flatWhite = p("HOT-FW")
      const body = orderRequest(deliverectOutlet, [{ productId: flatWhite.productId, quantity: 2 }], 960, {
        notes: "extra hot"
      })
      const first = await placeOrder(o, body)
      // Priced by the one menu listing the flat white, of the outlet's three.
      expect(expectStatus(first, 201).menu).toEqual({
        source: "menu-v2",
        menus: [{ menuId: replays.menuId, version: replays.version }]
      })
      const again = await placeOrder(o, body)
      expect([again.status, again.text]).toEqual([201, first.text])
      // The same request written with its keys in another order and other spacing is the same request.
      const reordered = JSON.stringify(Object.fromEntries(Object.entries(body).reverse()), null, 2)
      const rewritten = await send(o, "POST", "/api/v1/orders", { raw: reordered })
      expect([rewritten.status, rewritten.text]).toEqual([201, first.text])

      // The product snoozed and its menu closed: a new order for it is refused, the retry still gets its 201.
      await deliverectSnooze(o, ["HOT-FW"], new Date(Date.now() + 3_600_000))
      await replays.withHours(closedOn(0, 1))
      const refused = expectError(await placeOrder(o, { ...body, refCode: newRefCode() }), 400, "invalid request")
      expect(refused).toContain(
        `body.items[0].productId: product '${flatWhite.productId}' (Flat White) cannot be ordered now: snoozed`
      )
      const replayed = await placeOrder(o, body)
      expect([replayed.status, replayed.text]).toEqual([201, first.text])

      // Another body under the refCode: a quantity, a note, a time.
      for (const other of [
        { ...body, items: [{ productId: flatWhite.productId, quantity: 3 }] },
        { ...body, notes: "not so hot" },
        { ...body, fulfilment: { type: "PICKUP", scheduledFor: utcNoon(2).toISOString() } }
      ]) {
        expect(expectError(await placeOrder(o, other), 409, "refcode conflict")).toContain(String(body["refCode"]))
      }
      // Two bodies differing only in the time they are scheduled for are two requests.
      const scheduled = {
        ...body,
        refCode: newRefCode(),
        fulfilment: { type: "PICKUP", scheduledFor: utcNoon(2).toISOString() }
      }
      await replays.withHours(closedOn())
      await deliverectSnooze(o, ["HOT-FW"], null)
      expectStatus(await placeOrder(o, scheduled), 201)
      const later = { ...scheduled, fulfilment: { type: "PICKUP", scheduledFor: utcNoon(4).toISOString() } }
      expectError(await placeOrder(o, later), 409, "refcode conflict")

      // One order, delivered once.
      expect((await ordersWithRefCode(o, String(body["refCode"]))).map((x) => x.orderId)).toEqual([
        (first.body as { orderId: string }).orderId
      ])
      await drain(o)
      await waitForOrder(o, (first.body as { orderId: string }).orderId, (x) => x.status === "SUBMITTED")
      expect(o.deliverect.taken.filter((r) => r === body["refCode"])).toHaveLength(1)
    })

    it("answers 409 request in progress while a claim of the refCode runs, refcode conflict for another body, and takes a stale claim over", async () => {
      const body = burgerAndColas()
      const refCode = String(body["refCode"])
      const claim = (fingerprint: string, startedMsAgo: number) =>
        o.app.inTenant(
          tenant,
          Effect.flatMap(Idempotency, (store) => {
            const now = new Date()
            return store.claim({
              operation: "orders.place",
              refCode,
              fingerprint,
              token: "another-instance",
              now: new Date(now.getTime() - startedMsAgo),
              staleBefore: new Date(now.getTime() - o.app.settings.orderClaimStaleMs),
              expiredBefore: new Date(now.getTime() - o.app.settings.refCodeRetentionMs)
            })
          })
        )
      // Another instance is placing this very order.
      expect(await claim(fingerprintOf(body), 0)).toEqual({ _tag: "Claimed" })
      for (let i = 0; i < 2; i++) {
        expect(expectError(await placeOrder(o, body), 409, "request in progress")).toContain(refCode)
      }
      expectError(await placeOrder(o, { ...body, notes: "other" }), 409, "refcode conflict")
      expect(await ordersWithRefCode(o, refCode)).toEqual([])
      // It ends without an answer to keep (a 5xx): the refCode is free again.
      await o.app.inTenant(
        tenant,
        Effect.flatMap(Idempotency, (store) => store.release("orders.place", refCode, "another-instance"))
      )
      const placed = await placeOrder(o, body)
      expectStatus(placed, 201)
      expect([(await placeOrder(o, body)).text]).toEqual([placed.text])

      // A claim older than ORDER_CLAIM_STALE_MS belongs to an instance that died: a retry takes it over.
      const stale = burgerAndColas()
      const staleRef = String(stale["refCode"])
      await o.app.inTenant(
        tenant,
        Effect.flatMap(Idempotency, (store) =>
          store.claim({
            operation: "orders.place",
            refCode: staleRef,
            fingerprint: fingerprintOf(stale),
            token: "a-dead-instance",
            now: new Date(Date.now() - o.app.settings.orderClaimStaleMs - 1000),
            staleBefore: new Date(0),
            expiredBefore: new Date(0)
          })
        )
      )
      const taken = await placeOrder(o, stale)
      expectStatus(taken, 201)
      expect((await ordersWithRefCode(o, staleRef)).length).toBe(1)
    })

    it("lists every problem with its path in one 400, and keeps the refCode free for the corrected order", async () => {
      const [burger, steak, combo] = [p("BRG-01"), p("STK-01"), p("CMB-01")]
      await deliverectSnooze(o, ["HAL-01"], new Date(Date.now() + 3_600_000))
      const unknown = "prd_00000000000000000000000000000000"
      const body = orderRequest(
        deliverectOutlet,
        [
          { productId: unknown, quantity: 1 },
          { productId: p("HAL-01").productId, quantity: 1 },
          { productId: p("WNG-06").productId, quantity: 1 },
          // No cooking chosen: the group takes exactly one.
          { productId: burger.productId, quantity: 1 },
          // Four sides where at most three are taken.
          {
            productId: steak.productId,
            quantity: 1,
            modifiers: [
              { optionId: option(steak, "How would you like it cooked?", "Rare") },
              { optionId: option(steak, "Choose your sides", "Fries"), quantity: 2 },
              { optionId: option(steak, "Choose your sides", "Side Salad"), quantity: 2 }
            ]
          },
          // A burger's option on the combo.
          {
            productId: combo.productId,
            quantity: 1,
            modifiers: [
              { optionId: option(combo, "Choose your drink", "Coca-Cola 330ml") },
              { optionId: option(burger, "Extras", "Bacon") }
            ]
          }
        ],
        1
      )
      const details = expectError(await placeOrder(o, body), 400, "invalid request")
      const bacon = option(burger, "Extras", "Bacon")
      expect(details.split("; ")).toEqual([
        `body.items[0].productId: product '${unknown}' is not on this outlet's menu`,
        `body.items[1].productId: product '${p("HAL-01").productId}' (Grilled Halloumi Salad) cannot be ordered now: snoozed (it is snoozed (out of stock for now))`,
        `body.items[2].productId: product '${p("WNG-06").productId}' (Chicken Wings (6 pcs)) cannot be ordered now: closed (its menu is closed at this time)`,
        `body.items[3].modifiers: group 'How would you like it cooked?' (${burger.modifierGroups[0]!.modifierGroupId}) of product '${burger.productId}' (Classic Burger) takes exactly 1 choice in all, got 0`,
        `body.items[4].modifiers: group 'Choose your sides' (${steak.modifierGroups[1]!.modifierGroupId}) of product '${steak.productId}' (Steak Frites) takes 0 to 3 choices in all, got 4`,
        `body.items[5].modifiers[1].optionId: option '${bacon}' is not in any modifier group of product '${combo.productId}' (Lunch Combo)`
      ])

      // Each one corrected in turn; the last problem left is the amount, stated both ways.
      const fixed = {
        ...body,
        items: [
          {
            productId: burger.productId,
            quantity: 1,
            modifiers: [{ optionId: option(burger, "How would you like it cooked?", "Rare") }]
          },
          {
            productId: steak.productId,
            quantity: 1,
            modifiers: [
              { optionId: option(steak, "How would you like it cooked?", "Rare") },
              { optionId: option(steak, "Choose your sides", "Fries"), quantity: 2 },
              { optionId: option(steak, "Choose your sides", "Side Salad") }
            ]
          },
          {
            productId: combo.productId,
            quantity: 1,
            modifiers: [{ optionId: option(combo, "Choose your drink", "Coca-Cola 330ml") }]
          }
        ]
      }
      // 1650 + (2450 + 600 + 250) + 1990 = 6940
      for (const amount of [6939, 6941]) {
        expect(
          expectError(await placeOrder(o, { ...fixed, payment: { status: "PAID", amount } }), 400, "invalid request")
        ).toBe(`body.payment.amount: is ${amount} SGD, but the order totals 6940 SGD`)
      }
      expect(await ordersWithRefCode(o, String(body["refCode"]))).toEqual([])
      const placed = expectStatus(await placeOrder(o, { ...fixed, payment: { status: "PAID", amount: 6940 } }), 201)
      expect(placed.menu.menus).toEqual([{ menuId: allDay.menuId, version: allDay.version }])
      expect(placed.totals.total.amount).toBe(6940)
      await deliverectSnooze(o, ["HAL-01"], null)
    })

    it("refuses a malformed body with a 400 naming the field, and keeps the refCode free", async () => {
      const body = burgerAndColas()
      const item = (body["items"] as Array<Record<string, unknown>>)[0]!
      const cases: ReadonlyArray<readonly [Record<string, unknown>, string]> = [
        [{ ...body, items: [{ ...item, quantity: 0 }] }, "body.items[0].quantity"],
        [{ ...body, items: [{ ...item, quantity: 100 }] }, "body.items[0].quantity"],
        [{ ...body, items: [{ ...item, quantity: 1.5 }] }, "body.items[0].quantity"],
        [{ ...body, items: [{ ...item, colour: "red" }] }, "body.items[0].colour"],
        [{ ...body, tip: 100 }, "body.tip"],
        [{ ...body, items: [] }, "body.items"],
        [{ ...body, refCode: "has spaces in it" }, "body.refCode"],
        [{ ...body, fulfilment: { type: "PICKUP", scheduledFor: "tomorrow at noon" } }, "body.fulfilment.scheduledFor"],
        [
          { ...body, fulfilment: { type: "PICKUP", scheduledFor: "2026-13-01T12:00:00Z" } },
          "body.fulfilment.scheduledFor"
        ],
        [
          { ...body, fulfilment: { type: "PICKUP", scheduledFor: "2026-12-01T12:00:00" } },
          "body.fulfilment.scheduledFor"
        ],
        [{ ...body, fulfilment: { type: "PICKUP", asap: false } }, "body.fulfilment.scheduledFor"],
        [
          { ...body, fulfilment: { type: "PICKUP", asap: true, scheduledFor: utcNoon(2).toISOString() } },
          "body.fulfilment"
        ],
        [{ ...body, fulfilment: { type: "DELIVERY" } }, "body.fulfilment.address"],
        [{ ...body, fulfilment: { type: "TAKEAWAY" } }, "body.fulfilment.type"],
        [{ ...body, payment: { status: "PAID", amount: -1 } }, "body.payment.amount"],
        [{ ...body, payment: { status: "PAID", amount: "23.50" } }, "body.payment.amount"],
        [{ ...body, discounts: [{ type: "VOUCHER", amount: 0 }] }, "body.discounts[0].amount"]
      ]
      for (const [bad, path] of cases) {
        const details = expectError(await placeOrder(o, bad), 400)
        expect(details, JSON.stringify(bad)).toContain(path)
      }
      expectStatus(await placeOrder(o, body), 201)
    })

    it("answers 404 for an unknown outlet or customer without consuming the refCode", async () => {
      const body = burgerAndColas()
      const unknownOutlet = await placeOrder(o, { ...body, outletId: "out_00000000000000000000000000000000" })
      expect(expectError(unknownOutlet, 404, "outlet not found")).toContain("out_00000000000000000000000000000000")
      const unknownCustomer = await placeOrder(o, { ...body, customer: { customerId: "cus_nobody" } })
      expect(expectError(unknownCustomer, 404, "customer not found")).toContain("cus_nobody")
      expect(await ordersWithRefCode(o, String(body["refCode"]))).toEqual([])
      expectStatus(await placeOrder(o, body), 201)
    })

    it("takes an order scheduled within the coming week when its menu is open then, and refuses one in the past, too far ahead or when the menu is closed", async () => {
      const wings = p("WNG-06")
      const halloumi = p("HAL-01")
      // Snoozed until tomorrow noon, and on a menu that opens the day after tomorrow.
      await deliverectSnooze(o, ["HAL-01"], utcNoon(1))
      const items = [
        { productId: wings.productId, quantity: 1 },
        { productId: halloumi.productId, quantity: 1 }
      ]
      const at = (when: Date) =>
        orderRequest(deliverectOutlet, items, 2690, {
          fulfilment: { type: "PICKUP", scheduledFor: when.toISOString() }
        })

      const now = expectError(await placeOrder(o, orderRequest(deliverectOutlet, items, 2690)), 400)
      expect(now).toContain("body.items[0].productId")
      expect(now).toContain("body.items[1].productId")
      const closedThen = expectError(await placeOrder(o, at(utcNoon(3))), 400)
      expect(closedThen).toBe(
        `body.items[0].productId: product '${wings.productId}' (Chicken Wings (6 pcs)) cannot be ordered now: closed (its menu is closed at this time)`
      )
      expect(expectError(await placeOrder(o, at(new Date(Date.now() - 60_000))), 400)).toMatch(
        /^body\.fulfilment\.scheduledFor: must be in the future/
      )
      expect(expectError(await placeOrder(o, at(new Date(Date.now() + 8 * 86_400_000))), 400)).toMatch(
        /^body\.fulfilment\.scheduledFor: must be within 7 days/
      )

      const when = utcNoon(2)
      const body = at(when)
      const placed = expectStatus(await placeOrder(o, body), 201)
      expect(placed.fulfilment).toMatchObject({ type: "PICKUP", asap: false, scheduledFor: when.toISOString() })
      // An offset names the same instant: the same request.
      const offset = {
        ...body,
        fulfilment: { type: "PICKUP", scheduledFor: `${when.toISOString().slice(0, 10)}T20:00:00+08:00` }
      }
      expect((await placeOrder(o, offset)).text).toBe((await placeOrder(o, body)).text)

      // The POS gets it for that time.
      await drain(o)
      await waitForOrder(o, placed.orderId, (x) => x.status === "SUBMITTED")
      const sent = o.deliverect
        .orderBodies()
        .map((text) => JSON.parse(text) as Record<string, unknown>)
        .find((x) => x["channelOrderId"] === placed.refCode)!
      expect(sent).toMatchObject({ deliveryIsAsap: false, pickupTime: when.toISOString().replace(".000Z", "Z") })
      await deliverectSnooze(o, ["HAL-01"], null)
    })

    it("refuses orders at a PAUSED outlet with 409 outlet paused, keeping the refCode free, and still replays a finished one", async () => {
      const finished = burgerAndColas()
      const first = expectStatus(await placeOrder(o, finished), 201) && (await placeOrder(o, finished)).text
      // Marina Bay's kitchen pauses at its POS (Deliverect's busy mode webhook).
      await deliverectBusyMode(o, "PAUSED")
      const body = burgerAndColas()
      expect(expectError(await placeOrder(o, body), 409, "outlet paused")).toContain(deliverectOutlet)
      expect([(await placeOrder(o, finished)).text]).toEqual([first])
      await deliverectBusyMode(o, "BUSY")
      expectStatus(await placeOrder(o, body), 201)
      await deliverectBusyMode(o, "ONLINE")

      // A Lightspeed location paused as its POS reported it (recorded in the tenant's POS inbox).
      const setBusy = (mode: "PAUSED" | "ONLINE") =>
        o.app.inTenant(
          tenant,
          Effect.flatMap(PosInbox, (inbox) =>
            inbox.accept({
              provider: "lightspeed",
              dedupeKey: `busy-${mode}-${newRefCode()}`,
              receivedAt: new Date(),
              snoozes: [],
              busyModes: [{ storeId: lightspeedOutlet, mode }],
              orderEvents: [],
              jobs: []
            })
          )
        )
      await setBusy("PAUSED")
      const tea = (await productsOf(o, lightspeedOutlet)).get("55")!
      const kopi = orderRequest(lightspeedOutlet, [{ productId: tea.productId, quantity: 1 }], 420)
      expectError(await placeOrder(o, kopi), 409, "outlet paused")
      await setBusy("ONLINE")
      expectStatus(await placeOrder(o, kopi), 201)
    })

    it("needs orders:write to place and orders:read to read: 403 otherwise, the refCode left free", async () => {
      const body = burgerAndColas()
      expect(expectError(await placeOrder(o, body, o.readOnlyKey), 403)).toContain("orders:write")
      expect((await send(o, "POST", "/api/v1/orders", { body, key: "" })).status).toBe(401)
      const placed = expectStatus(await placeOrder(o, body, o.writeOnlyKey), 201)
      const read = await send(o, "GET", `/api/v1/orders/${placed.orderId}`, { key: o.writeOnlyKey })
      expect(expectError(read, 403)).toContain("orders:read")
      expect(expectError(await send(o, "GET", "/api/v1/orders", { key: o.writeOnlyKey }), 403)).toContain("orders:read")
      expectStatus(await send(o, "GET", `/api/v1/orders/${placed.orderId}`, { key: o.readOnlyKey }), 200)
    })
  })
}
