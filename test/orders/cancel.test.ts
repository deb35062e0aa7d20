/**
 * Cancelling orders over HTTP on every storage adapter: an order the POS does not have yet is
 * cancelled at once and never reaches the POS; one Deliverect has is cancelled there (202, then
 * CANCELLED when Deliverect took the cancellation); Lightspeed takes no cancellations (409 `cancel
 * not supported`); a COMPLETED or REJECTED order is not cancellable; asking twice answers the same.
 *
 * To hold an order before its delivery without a race, the dispatcher runs one POS call at a time
 * (ORDER_DISPATCH_CONCURRENCY 1) and a Lightspeed order is left hanging at the fake Lightspeed until
 * the call's deadline: every order placed meanwhile waits, RECEIVED and unclaimed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { storageAdapters } from "../support/storage-adapters.ts"
import {
  type CatalogProduct,
  cancelOrder,
  deliverectOrderStatus,
  deliverectOutlet,
  drain,
  expectError,
  expectStatus,
  lightspeedOutlet,
  type OrderApp,
  type OrderBody,
  orderRequest,
  placeOrder,
  productAt,
  productsOf,
  send,
  startOrderApp,
  waitForOrder
} from "./support.ts"

/** The deadline of one POS call here: how long a hanging Lightspeed order holds the dispatcher. */
const holdMs = 2000

for (const adapter of storageAdapters()) {
  const suite = adapter.available ? describe : describe.skip
  suite(`order cancellation over HTTP (${adapter.name})`, () => {
    let o: OrderApp
    let deliverect: ReadonlyMap<string, CatalogProduct>
    let lightspeed: ReadonlyMap<string, CatalogProduct>
    beforeAll(async () => {
      o = await startOrderApp(adapter.layer(), {
        settings: { orderDispatchConcurrency: 1, posCallTimeoutMs: holdMs, orderMaxAttempts: 3 }
      })
      deliverect = await productsOf(o, deliverectOutlet)
      lightspeed = await productsOf(o, lightspeedOutlet)
    }, 60_000)
    afterAll(() => o?.close())

    const atDeliverect = async () =>
      expectStatus(
        await placeOrder(
          o,
          orderRequest(deliverectOutlet, [{ productId: productAt(deliverect, "WNG-06").productId, quantity: 1 }], 1290)
        ),
        201
      )
    const atLightspeed = async () =>
      expectStatus(
        await placeOrder(
          o,
          orderRequest(lightspeedOutlet, [{ productId: productAt(lightspeed, "58").productId, quantity: 1 }], 450)
        ),
        201
      )
    const delivered = async (order: OrderBody) => {
      await drain(o)
      return waitForOrder(o, order.orderId, (x) => x.status === "SUBMITTED")
    }
    /** What reached the fake Deliverect about this refCode: each request's status (100: a cancellation). */
    const deliverectSaw = (refCode: string) =>
      o.deliverect
        .orderBodies()
        .map((text) => JSON.parse(text) as { channelOrderId: string; status?: number; cancellationReason?: string })
        .filter((body) => body.channelOrderId === refCode)
    /**
     * Runs `during` while the dispatcher's one POS call hangs at the fake Lightspeed (until its
     * deadline), then lets it finish and waits until that order reached Lightspeed.
     */
    const whileHeld = async (during: () => Promise<void>) => {
      o.lightspeed.fail("/o/op/1/order/", { _tag: "hang" })
      const holder = await atLightspeed()
      const deadline = Date.now() + 5000
      while (!o.lightspeed.orders.some((x) => x.body.includes(`"${holder.refCode}"`))) {
        if (Date.now() > deadline) expect.fail("the holding order never reached the fake Lightspeed")
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      const started = Date.now()
      await during()
      // Everything above ran while the call hung: the orders placed meanwhile were not yet claimed.
      expect(Date.now() - started).toBeLessThan(holdMs)
      const released = await waitForOrder(o, holder.orderId, (x) => x.status === "SUBMITTED", 10_000)
      expect(released.deliveries.map((d) => d.outcome)).toEqual(["unavailable", "delivered"])
      await drain(o)
    }

    it("cancels an order the POS does not have yet at once (200), answers the same twice, and never sends it to the POS", async () => {
      let order: OrderBody | undefined
      let first = ""
      await whileHeld(async () => {
        order = await atDeliverect()
        const cancelled = await cancelOrder(o, order.orderId, "customer changed their mind")
        const view = expectStatus(cancelled, 200)
        expect(view.status).toBe("CANCELLED")
        expect(view.timeline.map((t) => [t.status, t.source, t.reason])).toEqual([
          ["RECEIVED", "service", null],
          ["CANCELLED", "partner", "cancelled by the partner: customer changed their mind"]
        ])
        first = cancelled.text
        const again = await cancelOrder(o, order.orderId, "customer changed their mind")
        expect([again.status, again.text]).toEqual([200, first])
      })
      const after = expectStatus(await send(o, "GET", `/api/v1/orders/${order!.orderId}`), 200) as OrderBody & {
        deliveries: ReadonlyArray<{ kind: string; outcome: string }>
      }
      expect(after.status).toBe("CANCELLED")
      // No try of the order; its cancellation, queued in case a try had reached Deliverect, needed no call.
      expect(after.deliveries.map((d) => [d.kind, d.outcome])).toEqual([["cancel", "skipped"]])
      expect(o.deliverect.requests.filter((r) => r.body.includes(order!.refCode))).toEqual([])
      expect(expectStatus(await cancelOrder(o, order!.orderId), 200).status).toBe("CANCELLED")
    })

    it("cancels an order whose delivery is under way at once, and sends Deliverect the cancellation in case the order reached it", async () => {
      o.deliverect.setOrders("hang")
      const order = await atDeliverect()
      const deadline = Date.now() + 5000
      while (deliverectSaw(order.refCode).length === 0) {
        if (Date.now() > deadline) expect.fail("the order never reached the fake Deliverect")
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      // Deliverect has the request and has not answered: the order is still RECEIVED.
      const cancelled = expectStatus(await cancelOrder(o, order.orderId), 200)
      expect(cancelled.status).toBe("CANCELLED")
      o.deliverect.setOrders("accept")
      // The call runs into its deadline; the order is not sent again, its cancellation is.
      const after = await waitForOrder(o, order.orderId, (x) => x.deliveries.some((d) => d.kind === "cancel"), 10_000)
      expect(after.status).toBe("CANCELLED")
      expect(after.deliveries.map((d) => [d.kind, d.outcome])).toEqual([
        ["submit", "unavailable"],
        ["submit", "skipped"],
        ["cancel", "delivered"]
      ])
      expect(deliverectSaw(order.refCode).map((x) => x.status ?? null)).toEqual([null, 100])
      expect(after.timeline.filter((t) => t.status !== null).map((t) => t.status)).toEqual(["RECEIVED", "CANCELLED"])
    })

    it("cancels an order Deliverect has there: 202 (twice), Deliverect gets status 100, then the order is CANCELLED", async () => {
      const order = await atDeliverect()
      await delivered(order)
      await whileHeld(async () => {
        const requested = await cancelOrder(o, order.orderId, "kitchen closed early")
        const view = expectStatus(requested, 202)
        expect(view.status).toBe("SUBMITTED")
        expect(view.timeline.at(-1)).toMatchObject({
          status: null,
          source: "partner",
          reason: "cancellation requested: cancelled by the partner: kitchen closed early"
        })
        // Asked again while the first is on its way: the same answer, one cancellation.
        const again = await cancelOrder(o, order.orderId, "kitchen closed early")
        expect([again.status, again.text]).toEqual([202, requested.text])
      })
      const cancelled = await waitForOrder(o, order.orderId, (x) => x.status === "CANCELLED")
      expect(cancelled.timeline.at(-1)).toMatchObject({ status: "CANCELLED", source: "service" })
      expect(cancelled.deliveries.map((d) => [d.kind, d.outcome])).toEqual([
        ["submit", "delivered"],
        ["cancel", "delivered"]
      ])
      const sent = deliverectSaw(order.refCode)
      expect(sent.map((x) => x.status ?? null)).toEqual([null, 100])
      expect(o.deliverect.taken.filter((r) => r === order.refCode)).toHaveLength(1)
      // Cancelled now: asking again answers that, and nothing more goes to Deliverect.
      const now = await cancelOrder(o, order.orderId)
      expect([now.status, (now.body as OrderBody).status]).toEqual([200, "CANCELLED"])
      // Deliverect then reports the POS's CANCELED: nothing changes.
      await deliverectOrderStatus(o, order.refCode, 110)
      expect((await waitForOrder(o, order.orderId, () => true)).timeline).toEqual(cancelled.timeline)
      await drain(o)
      expect(deliverectSaw(order.refCode)).toHaveLength(2)
    })

    // The partner's reason is kept in the timeline, but the cancellation sent to the POS carries none.
    it("sends the partner's reason to the restaurant with the cancellation", async () => {
      const order = await atDeliverect()
      await delivered(order)
      expectStatus(await cancelOrder(o, order.orderId, "rider could not find the address"), 202)
      await drain(o)
      await waitForOrder(o, order.orderId, (x) => x.status === "CANCELLED")
      expect(deliverectSaw(order.refCode).at(-1)?.cancellationReason).toContain("rider could not find the address")
    })

    it("keeps an order when Deliverect refuses its cancellation, saying why in the timeline", async () => {
      const order = await atDeliverect()
      await delivered(order)
      o.deliverect.script({
        status: 400,
        json: { orderFieldsErrors: { status: "The order is already being prepared." } }
      })
      expectStatus(await cancelOrder(o, order.orderId), 202)
      await drain(o)
      const kept = await waitForOrder(o, order.orderId, (x) => x.deliveries.some((d) => d.kind === "cancel"))
      expect(kept.status).toBe("SUBMITTED")
      expect(kept.deliveries.at(-1)).toMatchObject({ kind: "cancel", outcome: "rejected" })
      expect(kept.timeline.at(-1)!.status).toBeNull()
      expect(kept.timeline.at(-1)!.reason).toContain("the POS refused the cancellation")
      expect(kept.timeline.at(-1)!.reason).toContain("already being prepared")
    })

    it("answers 409 cancel not supported for an order Lightspeed has, the same twice, and leaves it as it is", async () => {
      const order = await atLightspeed()
      await delivered(order)
      const refused = await cancelOrder(o, order.orderId)
      expect(expectError(refused, 409, "cancel not supported")).toContain(order.orderId)
      const again = await cancelOrder(o, order.orderId)
      expect([again.status, again.text]).toEqual([409, refused.text])
      const read = await waitForOrder(o, order.orderId, () => true)
      expect([read.status, read.timeline.length]).toEqual(["SUBMITTED", 2])
    })

    it("answers 409 order not cancellable for a COMPLETED or REJECTED order", async () => {
      const completed = await atDeliverect()
      await delivered(completed)
      await deliverectOrderStatus(o, completed.refCode, 90)
      await waitForOrder(o, completed.orderId, (x) => x.status === "COMPLETED")
      for (let i = 0; i < 2; i++) {
        expect(expectError(await cancelOrder(o, completed.orderId), 409, "order not cancellable")).toContain(
          "COMPLETED"
        )
      }

      o.deliverect.setOrders("reject")
      const rejected = await atDeliverect()
      await drain(o)
      await waitForOrder(o, rejected.orderId, (x) => x.status === "REJECTED")
      o.deliverect.setOrders("accept")
      expect(expectError(await cancelOrder(o, rejected.orderId), 409, "order not cancellable")).toContain("REJECTED")
      expect(deliverectSaw(completed.refCode).filter((x) => x.status === 100)).toEqual([])
    })

    it("cancels a FAILED order at once, and tells Deliverect in case one of the tries reached it", async () => {
      o.deliverect.setOrders("unavailable")
      const order = await atDeliverect()
      await drain(o)
      const failed = await waitForOrder(o, order.orderId, (x) => x.status === "FAILED")
      expect(failed.deliveries.map((d) => d.outcome)).toEqual(["unavailable", "unavailable", "unavailable"])
      o.deliverect.setOrders("accept")
      const cancelled = expectStatus(await cancelOrder(o, order.orderId), 200)
      expect(cancelled.status).toBe("CANCELLED")
      // Delivered by the dispatcher on its own, soon after the answer.
      const after = await waitForOrder(o, order.orderId, (x) => x.deliveries.some((d) => d.kind === "cancel"), 5000)
      expect(after.status).toBe("CANCELLED")
      expect(after.deliveries.at(-1)).toMatchObject({ kind: "cancel", outcome: "delivered" })
      expect(deliverectSaw(order.refCode).filter((x) => x.status === 100)).toHaveLength(1)
      expect(o.deliverect.taken).not.toContain(order.refCode)
    })

    it("answers 404 for an unknown order, 403 without orders:write, and 400 for an unknown field", async () => {
      expectError(await cancelOrder(o, "ord_00000000000000000000000000000000"), 404, "order not found")
      const order = await atLightspeed()
      expect(expectError(await cancelOrder(o, order.orderId, undefined, o.readOnlyKey), 403)).toContain("orders:write")
      const unknownField = await send(o, "POST", `/api/v1/orders/${order.orderId}/cancel`, { body: { why: "x" } })
      expect(expectError(unknownField, 400)).toContain("body.why")
      await delivered(order)
    })
  })
}
