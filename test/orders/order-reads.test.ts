/**
 * Reading orders over HTTP on every storage adapter: one order with its status timeline (the
 * dispatcher's moves and the POS's webhooks, an unknown POS status recorded but not applied, a move
 * backwards refused) and its delivery attempts (a failed one with the POS's words, never a
 * credential); and the listing by refCode, outlet, status and creation time, page by page.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { storageAdapters } from "../support/storage-adapters.ts"
import {
  type CatalogProduct,
  deliverectOrderStatus,
  deliverectOutlet,
  drain,
  expectError,
  expectNoSecrets,
  expectStatus,
  getOrder,
  lightspeedOutlet,
  listOrders,
  type OrderApp,
  type OrderPage,
  type OrderView,
  orderRequest,
  placeOrder,
  productAt,
  productsOf,
  send,
  startOrderApp,
  waitForOrder
} from "./support.ts"

for (const adapter of storageAdapters()) {
  const suite = adapter.available ? describe : describe.skip
  suite(`order reads over HTTP (${adapter.name})`, () => {
    let o: OrderApp
    let deliverect: ReadonlyMap<string, CatalogProduct>
    let lightspeed: ReadonlyMap<string, CatalogProduct>
    beforeAll(async () => {
      o = await startOrderApp(adapter.layer())
      deliverect = await productsOf(o, deliverectOutlet)
      lightspeed = await productsOf(o, lightspeedOutlet)
    }, 60_000)
    afterAll(() => o?.close())

    const wings = (quantity = 1) =>
      orderRequest(
        deliverectOutlet,
        [{ productId: productAt(deliverect, "WNG-06").productId, quantity }],
        1290 * quantity
      )
    const juice = (quantity = 1) =>
      orderRequest(lightspeedOutlet, [{ productId: productAt(lightspeed, "58").productId, quantity }], 450 * quantity)

    it("shows the order's timeline and delivery attempts after the POS took it, with the POS's words but no credential", async () => {
      // Deliverect's first answer is a 500 quoting the channel's client secret; the retry is taken.
      o.deliverect.script({
        status: 500,
        json: { error: { code: "internal_server_error", message: `token exchange for ${o.secrets[0]} failed` } }
      })
      const placed = expectStatus(await placeOrder(o, wings(2)), 201)
      await drain(o)
      const submitted = await waitForOrder(o, placed.orderId, (x) => x.status === "SUBMITTED")
      expect(submitted.deliveries.map((d) => [d.kind, d.attempt, d.outcome])).toEqual([
        ["submit", 1, "unavailable"],
        ["submit", 2, "delivered"]
      ])
      expect(submitted.deliveries[0]!.reason).toContain("HTTP 500")
      for (const d of submitted.deliveries) {
        expect(Date.parse(d.finishedAt)).toBeGreaterThanOrEqual(Date.parse(d.startedAt))
      }
      expect(o.deliverect.taken.filter((r) => r === placed.refCode)).toHaveLength(1)

      // The POS reports its progress: accepted, printed (no canonical meaning), preparing, ready; then
      // accepted again (backwards: refused) and ready again (nothing new).
      for (const status of [20, 40, 50, 70, 20, 70]) await deliverectOrderStatus(o, placed.refCode, status)
      const read = await getOrder(o, placed.orderId)
      const order = expectStatus(read, 200)
      expect(order.status).toBe("READY")
      expect(order.timeline.map((t) => [t.status, t.source, t.vendorStatus])).toEqual([
        ["RECEIVED", "service", null],
        ["SUBMITTED", "service", null],
        ["ACCEPTED", "pos", "20"],
        [null, "pos", "40"],
        ["PREPARING", "pos", "50"],
        ["READY", "pos", "70"],
        [null, "pos", "20"]
      ])
      expect(order.timeline.at(-1)!.reason).toContain("READY")
      const times = order.timeline.map((t) => Date.parse(t.at))
      expect([...times].sort((a, b) => a - b)).toEqual(times)
      expect(order).toMatchObject({
        orderId: placed.orderId,
        refCode: placed.refCode,
        outletId: deliverectOutlet,
        createdAt: placed.createdAt,
        lines: placed.lines,
        totals: placed.totals,
        posOrderId: expect.toBeOneOf([null, expect.any(String)])
      })
      expect(Date.parse(order.updatedAt)).toBeGreaterThan(Date.parse(order.createdAt))
      // Nowhere in the answer, nor in the listing, is any of the outlets' credentials.
      expectNoSecrets(o, read.text)
      expectNoSecrets(o, (await listOrders(o, { refCode: placed.refCode })).text)

      expectError(await getOrder(o, "ord_00000000000000000000000000000000"), 404, "order not found")
      expectError(await getOrder(o, "not-an-order"), 404, "order not found")
    })

    it("lists orders newest first by refCode, outlet, status and creation time, page by page with no gap or repeat", async () => {
      const placed: Array<OrderView> = []
      for (let i = 0; i < 7; i++) {
        const body = i % 3 === 2 ? juice(i) : wings(i + 1)
        placed.push(expectStatus(await placeOrder(o, body), 201) as OrderView)
      }
      const since = placed[0]!.createdAt
      await drain(o)
      for (const order of placed) await waitForOrder(o, order.orderId, (x) => x.status === "SUBMITTED")
      const atDeliverect = placed.filter((x) => x.outletId === deliverectOutlet)
      // Two of them accepted at the POS.
      for (const order of atDeliverect.slice(0, 2)) await deliverectOrderStatus(o, order.refCode, 20)

      /** Every page of a listing, following nextCursor. */
      const all = async (query: Record<string, string>) => {
        const pages: Array<ReadonlyArray<string>> = []
        let cursor: string | null = null
        do {
          const page: OrderPage = expectStatus(await listOrders(o, cursor === null ? query : { ...query, cursor }), 200)
          pages.push(page.data.map((x) => x.orderId))
          cursor = page.nextCursor
          expect(pages.length).toBeLessThan(20)
        } while (cursor !== null)
        return pages
      }
      const newestFirst = (orders: ReadonlyArray<OrderView>) =>
        [...orders]
          .sort((a, b) =>
            a.createdAt === b.createdAt ? (a.orderId < b.orderId ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1
          )
          .map((x) => x.orderId)

      const everyOne = await all({ createdSince: since, limit: "2" })
      expect(everyOne.map((page) => page.length)).toEqual([2, 2, 2, 1])
      expect(everyOne.flat()).toEqual(newestFirst(placed))
      expect(new Set(everyOne.flat()).size).toBe(7)

      const marinaBay = await all({ outletId: deliverectOutlet, createdSince: since, limit: "3" })
      expect(marinaBay.map((page) => page.length)).toEqual([3, 2])
      expect(marinaBay.flat()).toEqual(newestFirst(atDeliverect))

      const accepted = await all({ outletId: deliverectOutlet, status: "ACCEPTED", createdSince: since })
      expect(accepted).toEqual([newestFirst(atDeliverect.slice(0, 2))])
      const submitted = await all({ status: "SUBMITTED", createdSince: since, limit: "1" })
      expect(submitted.flat()).toEqual(
        newestFirst(placed.slice(2).filter((x) => !atDeliverect.slice(0, 2).includes(x)))
      )

      const later = await all({ createdSince: placed[3]!.createdAt })
      expect(later.flat()).toEqual(newestFirst(placed.filter((x) => x.createdAt >= placed[3]!.createdAt)))
      // The same instant written with an offset is the same filter.
      const offset = new Date(Date.parse(since) + 8 * 3_600_000).toISOString().replace("Z", "+08:00")
      expect((await all({ createdSince: offset, limit: "2" })).flat()).toEqual(everyOne.flat())

      const byRef = expectStatus(await listOrders(o, { refCode: placed[4]!.refCode }), 200)
      expect(byRef.data.map((x) => x.orderId)).toEqual([placed[4]!.orderId])
      expect(byRef.nextCursor).toBeNull()
      // A listed order is the order without its timeline and attempts.
      const summary = byRef.data[0]!
      const full = expectStatus(await getOrder(o, summary.orderId), 200)
      const { timeline: _timeline, deliveries: _deliveries, ...rest } = full
      expect(summary).toEqual(rest)
      expect(expectStatus(await listOrders(o, { refCode: "NO-SUCH-REF" }), 200)).toEqual({ data: [], nextCursor: null })
    })

    it("refuses a bad cursor, limit, status or createdSince with a 400 naming it", async () => {
      const first = expectStatus(await listOrders(o, { limit: "1" }), 200)
      expect(first.nextCursor).not.toBeNull()
      const cases: ReadonlyArray<readonly [Record<string, string>, string]> = [
        [{ cursor: "not-a-cursor" }, "query.cursor"],
        [{ cursor: "eyJ4IjoxfQ" }, "query.cursor"],
        // A cursor issued for other filters.
        [{ cursor: first.nextCursor!, outletId: deliverectOutlet }, "query.cursor"],
        [{ limit: "0" }, "query.limit"],
        [{ limit: "501" }, "query.limit"],
        [{ limit: "ten" }, "query.limit"],
        [{ status: "DONE" }, "query.status"],
        [{ createdSince: "yesterday" }, "query.createdSince"],
        [{ createdSince: "2026-12-01" }, "query.createdSince"],
        [{ createdSince: "2026-12-01T10:00:00" }, "query.createdSince"]
      ]
      for (const [query, name] of cases) {
        expect(expectError(await listOrders(o, query), 400), JSON.stringify(query)).toContain(name)
      }
      expect(expectStatus(await listOrders(o, { limit: "1", cursor: first.nextCursor! }), 200).data).toHaveLength(1)
      expect((await send(o, "GET", "/api/v1/orders?limit=1", { key: o.readOnlyKey })).status).toBe(200)
    })
  })
}
