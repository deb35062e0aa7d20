/**
 * Exactly one order per refCode under concurrency (SPEC sections 6 and 10): 50 identical POST
 * /api/v1/orders at once, round after round with a new refCode each time. Each round leaves exactly
 * one order row for its refCode, and once the dispatcher delivered everything the fake Deliverect has
 * taken exactly one order per refCode. Every answer is the first 201 byte for byte or a 409 `request
 * in progress`; none is a 5xx.
 *
 * Rounds: all 200 on the memory adapter; fewer on the SQL adapters, where a round of 50 requests
 * costs several times as much (each request claims the refCode in the database): 20 on PGlite (one
 * session, so the 50 requests interleave statement by statement) and 40 on PostgreSQL when
 * DATABASE_URL is set (a pool of eight connections of its own, so the claims really race in the
 * database), keeping the file well under a minute on two cores.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { layerScratchPostgres, storageAdapters } from "../support/storage-adapters.ts"
import {
  deliverectOutlet,
  drain,
  type ErrorBody,
  newRefCode,
  type OrderApp,
  orderRequest,
  ordersWithRefCode,
  productAt,
  productsOf,
  send,
  startOrderApp
} from "./support.ts"

const concurrent = 50
const roundsOf: Readonly<Record<string, number>> = { memory: 200, PGlite: 20, PostgreSQL: 40 }

for (const adapter of storageAdapters()) {
  const suite = adapter.available ? describe : describe.skip
  suite(`concurrent identical placements (${adapter.name})`, () => {
    let o: OrderApp
    let body: (refCode: string) => Record<string, unknown>
    beforeAll(async () => {
      const url = process.env["DATABASE_URL"] ?? ""
      // PostgreSQL with a pool of its own size: concurrent claims meet in the database, not in a queue.
      const layer = adapter.name === "PostgreSQL" ? layerScratchPostgres(url, 8) : adapter.layer()
      o = await startOrderApp(layer)
      const products = await productsOf(o, deliverectOutlet)
      const burger = productAt(products, "BRG-01")
      const cooked = burger.modifierGroups[0]!.options[0]!.optionId
      body = (refCode) => ({
        ...orderRequest(
          deliverectOutlet,
          [
            { productId: burger.productId, quantity: 2, modifiers: [{ optionId: cooked }] },
            { productId: productAt(products, "DRK-COLA").productId, quantity: 1 }
          ],
          3650
        ),
        refCode
      })
    }, 60_000)
    afterAll(() => o?.close())

    const rounds = roundsOf[adapter.name] ?? 50
    it(`places one order per refCode from ${concurrent} identical requests at once, ${rounds} times`, async () => {
      const refCodes: Array<string> = []
      for (let round = 0; round < rounds; round++) {
        const refCode = newRefCode("RACE")
        refCodes.push(refCode)
        const order = JSON.stringify(body(refCode))
        const answers = await Promise.all(
          Array.from({ length: concurrent }, () => send<ErrorBody>(o, "POST", "/api/v1/orders", { raw: order }))
        )
        const placed = answers.filter((a) => a.status === 201)
        const others = answers.filter((a) => a.status !== 201)
        if (placed.length === 0 || others.some((a) => a.status !== 409)) {
          expect.fail(`round ${round}: ${answers.map((a) => `${a.status} ${a.text}`).join("\n")}`)
        }
        // Every 201 is the first one, byte for byte.
        expect(new Set(placed.map((a) => a.text)).size, `round ${round}`).toBe(1)
        for (const other of others) expect(other.body.error.message, `round ${round}`).toBe("request in progress")
        const rows = await ordersWithRefCode(o, refCode)
        expect(
          rows.map((x) => x.orderId),
          `round ${round}`
        ).toEqual([JSON.parse(placed[0]!.text).orderId])
      }

      // Delivered: each refCode is one order at the POS.
      const deadline = Date.now() + 20_000
      while (refCodes.some((r) => !o.deliverect.taken.includes(r))) {
        if (Date.now() > deadline) expect.fail("the dispatcher did not deliver every order in time")
        await drain(o)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      await drain(o)
      for (const refCode of refCodes) {
        expect(
          o.deliverect.taken.filter((r) => r === refCode),
          refCode
        ).toHaveLength(1)
      }
    }, 120_000)
  })
}
