import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import * as fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Answer, allDayMenu, colaOrder, colaPosCode, startShopService } from "../orders/fake-pos-process.ts"
import { eventually } from "../support/eventually.ts"

// The service as `npm start` runs it on the embedded default, killed with SIGKILL (no shutdown, no
// finalizer) at a random moment while a catalog sync, an order, a loyalty earn and the partner
// webhooks these raise are all under way, then started again on the same data directory; FAULT_KILLS
// times (20). After every restart the data directory opens (the dead process's lock taken over,
// nothing corrupt), the catalog is one push's or the next's, never a mix, and a partner retrying
// what was not answered gets it done once. At the end: one order per refCode, each at the POS; one
// ledger entry per earn; every webhook event delivered, each delivery under its own webhook-id.

const kills = Number(process.env["FAULT_KILLS"] ?? 20)
const seed = Number(
  process.env["FAULT_SEED"] ??
    process.env["FC_SEED"] ??
    (process.env["CI"] === "true" ? 20261205 : Date.now() % 2 ** 31)
)

const settings = {
  ORDER_LEASE_MS: "1000",
  // A placement cut short by a kill holds its refCode this long ("request in progress"), then a retry takes it over.
  ORDER_CLAIM_STALE_MS: "2000",
  // The same for an earn: twice this.
  LOYALTY_TIMEOUT_MS: "1000",
  POS_CALL_TIMEOUT_MS: "2000",
  ORDER_RETRY_BASE_MS: "10",
  ORDER_RETRY_MAX_MS: "200",
  ORDER_MAX_ATTEMPTS: "100",
  ORDER_SWEEP_MS: "1000",
  WEBHOOK_ALLOW_LOOPBACK: "true",
  WEBHOOK_RETRY_BASE_MS: "50",
  WEBHOOK_RETRY_MAX_MS: "200",
  WEBHOOK_SWEEP_MS: "1000",
  DEMO: "false"
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

/** The all-day menu with every price but the cola's raised by `version` cents: one push per version. */
const menuVersion = (version: number) =>
  allDayMenu().map((menu) => ({
    ...menu,
    products: Object.fromEntries(
      Object.entries((menu as unknown as { products: Record<string, Record<string, unknown>> }).products).map(
        ([id, product]) => [
          id,
          product["plu"] === colaPosCode || typeof product["price"] !== "number"
            ? product
            : { ...product, price: (product["price"] as number) + version }
        ]
      )
    )
  }))

describe("SIGKILL anywhere in a sync, an order, an earn and a webhook delivery (embedded default)", () => {
  let run: Awaited<ReturnType<typeof startShopService>>
  let receiver: Server
  /** The webhook-id of every delivery the receiver got, repeats included. */
  const received: Array<string> = []
  let basePrices: ReadonlyMap<string, number>

  const start = () => run.start()
  const call = (method: string, path: string, body?: unknown) => run.call(method, path, body)
  /** A paid order of one cola (its price stays put across the pushes). */
  const colaFor = (refCode: string) => colaOrder(run.shop, refCode)
  /** A POS push: the POS key, its format named. */
  const posCall = (method: string, path: string, body: unknown) =>
    run.call(method, path, body, { "x-api-key": run.shop.posKey, "x-provider": "deliverect" })
  /** Until the call is answered (a killed service's connection fails): the answer. */
  const untilAnswered = async (send: () => Promise<Answer>, ok: ReadonlyArray<number>) => {
    let last: Answer | undefined
    for (let attempt = 0; attempt < 300; attempt++) {
      const answer = await send().catch(() => undefined)
      last = answer ?? last
      if (answer !== undefined && ok.includes(answer.status)) return answer
      if (answer !== undefined && answer.status !== 409 && answer.status !== 503) {
        throw new Error(`answered ${answer.status}: ${answer.body}`)
      }
      await sleep(100)
    }
    throw new Error(`never answered ${ok.join(" or ")}; last: ${last?.status} ${last?.body}`)
  }
  const prices = async () => {
    const answer = await call("GET", `/api/v1/products?outletId=${run.shop.outletId}&limit=500`)
    expect(answer.status, answer.body).toBe(200)
    const data = (JSON.parse(answer.body) as { data: Array<{ posCode: string; price: { amount: number } }> }).data
    return new Map(data.map((p) => [p.posCode, p.price.amount]))
  }
  /** The versions the outlet's prices show (one, unless a push was half applied). */
  const versionsShown = async () => {
    const now = await prices()
    return new Set(
      [...now]
        .filter(([code]) => code !== colaPosCode && basePrices.has(code))
        .map(([code, amount]) => amount - basePrices.get(code)!)
    )
  }

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      request.resume()
      request.on("end", () => {
        received.push(String(request.headers["webhook-id"]))
        response.writeHead(204).end()
      })
    })
    await new Promise<void>((done) => receiver.listen(0, "127.0.0.1", done))
    run = await startShopService(settings)
    await start()
    basePrices = await prices()
    const endpoint = await call("POST", "/api/v1/webhook-endpoints", {
      url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`
    })
    expect(endpoint.status, endpoint.body).toBe(201)
  }, 120_000)

  afterAll(async () => {
    await run?.cleanup()
    await new Promise((done) => receiver?.close(done))
  })

  it(`keeps every invariant across ${kills} kills at random moments`, async () => {
    const customer = await call("POST", "/api/v1/customers", { name: "Mei Ling", phone: "+6591234567" })
    expect(customer.status, customer.body).toBe(201)
    const customerId = (JSON.parse(customer.body) as { customerId: string }).customerId
    const delays = fc.sample(fc.integer({ min: 0, max: 400 }), { seed, numRuns: kills })
    console.info(`kill-anywhere: seed ${seed}, ${kills} kills at ${delays.join(", ")} ms (FAULT_SEED replays them)`)
    const answeredBeforeKill = { sync: 0, order: 0, earn: 0 }

    for (let round = 1; round <= kills; round++) {
      const version = round
      const inFlight = [
        posCall("POST", "/api/v1/products/sync", menuVersion(version)),
        call("POST", "/api/v1/orders", colaFor(`KILL-${round}`)),
        call("POST", "/api/v1/loyalty/earn", { customerId, amount: 1000, refCode: `EARN-${round}` })
      ].map((p) => p.catch(() => undefined))
      await sleep(delays[round - 1]!)
      await run.kill()
      const [sync, order, earn] = await Promise.all(inFlight)
      if (sync?.status === 200) answeredBeforeKill.sync++
      if (order?.status === 201) answeredBeforeKill.order++
      if (earn?.status === 200) answeredBeforeKill.earn++

      // The data directory opens again, and the catalog is one push's, not a mix.
      await start()
      const shown = await versionsShown()
      expect([...shown], `round ${round}: prices of versions ${[...shown].join(", ")}`).toHaveLength(1)
      expect([version - 1, version]).toContain([...shown][0])
      // What was not answered is retried, as a partner (and a POS) would.
      await untilAnswered(() => posCall("POST", "/api/v1/products/sync", menuVersion(version)), [200])
      expect([...(await versionsShown())]).toEqual([version])
      const placed = await untilAnswered(() => call("POST", "/api/v1/orders", colaFor(`KILL-${round}`)), [200, 201])
      if (order?.status === 201) {
        expect(JSON.parse(placed.body).orderId).toBe(JSON.parse(order.body).orderId)
      }
      await untilAnswered(
        () => call("POST", "/api/v1/loyalty/earn", { customerId, amount: 1000, refCode: `EARN-${round}` }),
        [200]
      )
    }
    console.info(
      `kill-anywhere: answered before the kill: ${answeredBeforeKill.sync} syncs, ${answeredBeforeKill.order} orders, ${answeredBeforeKill.earn} earns of ${kills}`
    )

    // One order per refCode, each at the POS.
    const listed = await call("GET", "/api/v1/orders?limit=200")
    const orders = (JSON.parse(listed.body) as { data: Array<{ refCode: string; orderId: string }> }).data
    const refCodes = orders.map((o) => o.refCode).filter((r) => r.startsWith("KILL-"))
    expect(refCodes.sort()).toEqual(Array.from({ length: kills }, (_, i) => `KILL-${i + 1}`).sort())
    await eventually(
      () => (refCodes.every((r) => run.pos.ordersAtPos().has(r)) ? true : undefined),
      60_000,
      () => `at the POS: ${[...run.pos.ordersAtPos()].join(", ")}`
    )

    // One ledger entry per earn.
    const history = await call("GET", `/api/v1/loyalty/members/${customerId}/transactions`)
    expect(history.status, history.body).toBe(200)
    const entries = (JSON.parse(history.body) as { data: Array<{ refCode: string | null }> }).data
    const earns = entries.map((e) => e.refCode).filter((r): r is string => r?.startsWith("EARN-") === true)
    expect(earns.sort()).toEqual(Array.from({ length: kills }, (_, i) => `EARN-${i + 1}`).sort())

    // Every webhook event delivered; a delivery repeated after a kill keeps its webhook-id.
    const endpoints = (
      JSON.parse((await call("GET", "/api/v1/webhook-endpoints")).body) as {
        data: Array<{ endpointId: string }>
      }
    ).data
    const endpointId = endpoints[0]!.endpointId
    const undelivered = async () => {
      const deliveries: Array<{ eventId: string; state: string }> = []
      for (let before: number | null | undefined; before !== null; ) {
        const query = before === undefined ? "limit=100" : `limit=100&before=${before}`
        const page = await call("GET", `/api/v1/webhook-endpoints/${endpointId}/deliveries?${query}`)
        expect(page.status, page.body).toBe(200)
        const parsed = JSON.parse(page.body) as {
          data: Array<{ eventId: string; state: string }>
          nextBefore: number | null
        }
        deliveries.push(...parsed.data)
        before = parsed.nextBefore
      }
      return { deliveries, pending: deliveries.filter((d) => d.state !== "delivered") }
    }
    let pending: ReadonlyArray<unknown> = []
    await eventually(
      async () => {
        pending = (await undelivered()).pending
        return pending.length === 0 ? true : undefined
      },
      60_000,
      () => `deliveries not delivered: ${JSON.stringify(pending)}`
    )
    const { deliveries } = await undelivered()
    const ids = new Set(received)
    expect(deliveries.filter((d) => !ids.has(d.eventId))).toEqual([])
    expect(deliveries.length).toBeGreaterThanOrEqual(kills)
    console.info(
      `kill-anywhere: ${deliveries.length} webhook deliveries, ${received.length} receipts (${received.length - ids.size} repeats under the same webhook-id)`
    )
  }, 900_000)
})
