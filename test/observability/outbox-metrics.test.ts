/**
 * What `/metrics` tells of the POS side: the syncs recorded, and the outboxes' depth, which rises
 * while the POS hangs and falls back to nothing once it answers again and every order is delivered.
 */
import { Redacted } from "effect"
import parsePrometheusTextFormat from "parse-prometheus-text-format"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  deliverectOutlet,
  expectStatus,
  type OrderApp,
  orderRequest,
  placeOrder,
  productAt,
  productsOf,
  startOrderApp
} from "../orders/support.ts"
import { call } from "../support/app.ts"
import { eventually } from "../support/eventually.ts"
import { storageAdapters } from "../support/storage-adapters.ts"

const token = "outbox-metrics-token"

const scrapeAll = async (o: OrderApp) => {
  const response = await call(o.app, "/metrics", { headers: { authorization: `Bearer ${token}` } })
  expect(response.status).toBe(200)
  return parsePrometheusTextFormat(await response.text())
}

/** The value of `outbox_pending` and `outbox_oldest_due_age_seconds` for the orders' outbox, as scraped. */
const ordersOutbox = async (o: OrderApp) => {
  const families = await scrapeAll(o)
  const value = (name: string) =>
    Number(families.find((f) => f.name === name)?.metrics.find((m) => m.labels?.["kind"] === "orders")?.value)
  return { pending: value("outbox_pending"), age: value("outbox_oldest_due_age_seconds") }
}

for (const adapter of storageAdapters().filter((a) => a.name !== "PostgreSQL")) {
  describe(`outbox depth on /metrics (${adapter.name})`, () => {
    let o: OrderApp
    beforeAll(async () => {
      o = await startOrderApp(adapter.layer(), {
        settings: { metrics: { token: Redacted.make(token), tenantLabels: false } }
      })
    }, 60_000)
    afterAll(() => o?.close())

    it("counts the syncs the set-up pushed, by provider, kind and outcome, with the rows they touched", async () => {
      const families = await scrapeAll(o)
      const series = (name: string, labels: Record<string, string>) =>
        families
          .find((f) => f.name === name)
          ?.metrics.filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v)) ?? []
      const succeeded = series("syncs_total", { provider: "deliverect", kind: "products", outcome: "succeeded" })
      expect(Number(succeeded[0]?.value)).toBeGreaterThanOrEqual(1)
      expect(series("syncs_total", { provider: "lightspeed", outcome: "succeeded" }).length).toBeGreaterThan(0)
      const created = series("sync_rows_total", { provider: "deliverect", kind: "products", change: "created" })
      expect(Number(created[0]?.value)).toBeGreaterThan(10)
      expect(families.find((f) => f.name === "sync_duration_seconds")?.type).toBe("HISTOGRAM")
    })

    it("rises while the POS hangs and falls to nothing after it recovers", async () => {
      const wings = productAt(await productsOf(o, deliverectOutlet), "WNG-06").productId
      o.deliverect.setOrders("hang")
      for (let i = 0; i < 3; i++) {
        expectStatus(
          await placeOrder(o, orderRequest(deliverectOutlet, [{ productId: wings, quantity: 1 }], 1290)),
          201
        )
      }
      const during = await eventually(
        async () => {
          const read = await ordersOutbox(o)
          return read.pending >= 3 ? read : undefined
        },
        15_000,
        () => "three orders waiting in the outbox"
      )
      expect(during.pending).toBe(3)
      expect(during.age).toBeGreaterThan(0)
      o.deliverect.setOrders("accept")
      const after = await eventually(
        async () => {
          const read = await ordersOutbox(o)
          return read.pending === 0 ? read : undefined
        },
        20_000,
        () => "the outbox to empty"
      )
      expect(after).toEqual({ pending: 0, age: 0 })
      expect(o.deliverect.taken.length).toBeGreaterThanOrEqual(3)
    }, 60_000)
  })
}
