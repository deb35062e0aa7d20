import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { forceStop, freePort, type ServiceProcess, startService, waitUntilReady } from "../process/service-process.ts"
import {
  type Answer,
  callService,
  closeConnections,
  eventually,
  type GatedPos,
  type PlacedOrder,
  placeOrder,
  postgresStorage,
  prepareShop,
  type ServiceStorage,
  type Shop,
  startGatedPos
} from "./fake-pos-process.ts"

// Two service processes (`npm start`) on one PostgreSQL database, each taking half of 1,000 orders
// through its own HTTP API at the same time, and each delivering whatever outbox rows it claims.
// The POS answers every order's first try 503 (the gate in front of it, which the POS never sees),
// so every order is retried, due again within a second: a backlog of due rows that both processes
// claim from at the same time, each claim taking the oldest due rows. A row claimed by both at once
// would be sent twice, or leave a claim unrecorded (its finish refused for a lost lease).
// Every order must reach the POS as exactly one order and end SUBMITTED, and each outbox row must
// have been claimed twice in all, one claim after the other: two attempts recorded, 503 then
// delivered, not overlapping in time, the delivery logged by exactly one of the two processes.

const serverUrl = process.env["DATABASE_URL"]
const available = serverUrl !== undefined && serverUrl !== ""
const suite = available ? describe : describe.skip

const orderCount = 1000
/** Placements in flight per process. */
const inFlight = 16

const settings = {
  // A retry within a second of the first try: the backlog both processes claim from. The call's
  // deadline is the default, far above any answer here: a resend after a slow answer would be a
  // third attempt, which this test would count as a double claim.
  ORDER_RETRY_BASE_MS: "1000",
  ORDER_LEASE_MS: "1000",
  ORDER_SWEEP_MS: "1000",
  DEMO: "false",
  SHUTDOWN_GRACE_MS: "2000"
}

/** The order ids a service's JSON log says it delivered, with the outcome of each delivery it logged. */
const deliveriesLogged = (output: string): Array<{ readonly order: string; readonly outcome: string }> =>
  output
    .split("\n")
    .filter((line) => line.startsWith("{") && line.includes('"order delivery"'))
    .map((line) => {
      const entry = JSON.parse(line) as { message: unknown }
      const fields = (Array.isArray(entry.message) ? entry.message[1] : undefined) as
        | { order?: unknown; outcome?: unknown }
        | undefined
      if (typeof fields?.order !== "string" || typeof fields.outcome !== "string") {
        throw new Error(`an "order delivery" log line without its order or outcome: ${line}`)
      }
      return { order: fields.order, outcome: fields.outcome }
    })

suite(`1,000 orders through two service processes on one PostgreSQL database${available ? "" : " (SKIPPED: DATABASE_URL is not set)"}`, () => {
  let data: ServiceStorage | undefined
  let pos: GatedPos | undefined
  let shop: Shop
  const services: Array<ServiceProcess> = []

  beforeAll(async () => {
    data = await postgresStorage(serverUrl ?? "")
    pos = await startGatedPos({ failFirst: 1 })
    shop = await prepareShop(data, pos.credentials)
    const ports = [await freePort(), await freePort()]
    for (const port of ports) {
      services.push(startService({ PORT: String(port), HOST: "127.0.0.1", ...settings, ...data.env }))
    }
    await Promise.all(services.map((service) => waitUntilReady(service)))
  }, 120_000)

  afterAll(async () => {
    for (const service of services) await forceStop(service)
    closeConnections()
    await pos?.close()
    await data?.cleanup()
  })

  it("each reaches the POS as exactly one order, no row is claimed by both processes at once, and every order ends SUBMITTED", async () => {
    const refCodes = Array.from({ length: orderCount }, (_, i) => `TWO-${String(i + 1).padStart(4, "0")}`)
    const placed = new Map<string, PlacedOrder & { readonly via: number }>()

    // Orders alternate between the two processes; each has `inFlight` placements running at once.
    await Promise.all(
      services.map(async (service, which) => {
        const mine = refCodes.filter((_, i) => i % services.length === which)
        let next = 0
        await Promise.all(
          Array.from({ length: inFlight }, async () => {
            while (next < mine.length) {
              const refCode = mine[next++]!
              placed.set(refCode, { ...(await placeOrder(service.port, shop, refCode)), via: which })
            }
          })
        )
      })
    )
    expect(placed.size).toBe(orderCount)

    // Delivered: the POS has every order (then every status is recorded, or about to be).
    const gate = pos!
    await eventually(
      async () => (gate.fake.taken.length + gate.fake.duplicates.length >= orderCount ? true : undefined),
      60_000,
      () => `the POS has ${gate.fake.taken.length} orders of ${orderCount}`
    )
    const port = services[0]!.port
    await eventually(
      async () => {
        const answer = await callService(port, shop, "GET", "/api/v1/orders?status=RECEIVED&limit=1")
        return (JSON.parse(answer.body) as { data: Array<unknown> }).data.length === 0 ? true : undefined
      },
      30_000,
      () => "orders are still RECEIVED"
    )

    // The POS holds each order once, and was never sent one twice; each first try was refused by the gate.
    expect(gate.fake.taken.length).toBe(orderCount)
    expect([...gate.fake.taken].sort()).toEqual(refCodes)
    expect(gate.fake.duplicates).toEqual([])
    expect(gate.fake.orderRequests()).toBe(orderCount)
    expect(refCodes.filter((refCode) => gate.held(refCode) !== 1)).toEqual([])

    // Every order SUBMITTED, as either process lists them.
    const submitted: Array<string> = []
    let cursor: string | null = null
    do {
      const page: Answer = await callService(
        services[1]!.port,
        shop,
        "GET",
        `/api/v1/orders?status=SUBMITTED&limit=500${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`
      )
      expect(page.status).toBe(200)
      const body = JSON.parse(page.body) as { data: Array<{ refCode: string }>; nextCursor: string | null }
      submitted.push(...body.data.map((order) => order.refCode))
      cursor = body.nextCursor
    } while (cursor !== null)
    expect(submitted.sort()).toEqual(refCodes)

    // Each outbox row was claimed twice (a claim counts an attempt, recorded or not) and finished;
    // each order has its two attempts recorded, 503 then delivered, one after the other.
    const query = data!.query!
    const schemas = await query("SELECT table_schema FROM information_schema.tables WHERE table_name = 'order_outbox'")
    expect(schemas.length).toBe(1)
    const schema = String(schemas[0]!["table_schema"])
    const rows = await query(
      `SELECT o.ref_code, x.kind, x.attempts, x.finished_at IS NOT NULL AS finished, x.lease_owner
       FROM ${schema}.orders o JOIN ${schema}.order_outbox x ON x.order_id = o.order_id`
    )
    expect(rows.length).toBe(orderCount)
    expect(
      rows.filter((row) => row["kind"] !== "submit" || Number(row["attempts"]) !== 2 || row["finished"] !== true)
    ).toEqual([])
    const attempts = await query(
      `SELECT order_id, string_agg(attempt || ' ' || outcome, ', ' ORDER BY attempt) AS tries
       FROM ${schema}.order_delivery_attempts GROUP BY order_id`
    )
    expect(attempts.length).toBe(orderCount)
    expect(attempts.filter((row) => row["tries"] !== "1 unavailable, 2 delivered")).toEqual([])
    const overlapping = await query(
      `SELECT a.order_id FROM ${schema}.order_delivery_attempts a JOIN ${schema}.order_delivery_attempts b
         ON b.order_id = a.order_id AND b.id > a.id AND b.started_at < a.finished_at AND a.started_at < b.finished_at`
    )
    expect(overlapping).toEqual([])
    // The process that finished a row is its last claim's (the lease owner stays on the row).
    const finishedBy = new Map<string, number>()
    for (const row of rows) {
      const owner = String(row["lease_owner"])
      finishedBy.set(owner, (finishedBy.get(owner) ?? 0) + 1)
    }

    // Each process logged the tries it made: together every order's 503 once and its delivery once,
    // the deliveries split as the rows' last claims are, and both processes delivered.
    const logged = services.map((service) => deliveriesLogged(service.output()))
    for (const service of services) expect(service.output()).not.toContain("lease ran out")
    const orderIds = [...placed.values()].map((o) => o.orderId).sort()
    for (const outcome of ["unavailable", "delivered"]) {
      const tries = logged.flat().filter((entry) => entry.outcome === outcome)
      expect(tries.map((entry) => entry.order).sort()).toEqual(orderIds)
    }
    expect(logged.flat().length).toBe(2 * orderCount)
    const deliveredBy = logged.map((mine) => mine.filter((entry) => entry.outcome === "delivered").length)
    expect([...deliveredBy].sort()).toEqual([...finishedBy.values()].sort())
    for (const count of deliveredBy) expect(count).toBeGreaterThan(0)
  }, 120_000)
})
