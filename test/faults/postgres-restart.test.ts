import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type DemoApi, demoApi, demoOrder, demoOutlet } from "../process/demo-orders.ts"
import { forceStop, freePort, type ServiceProcess, startService, waitUntilReady } from "../process/service-process.ts"
import { postgresBinaries, startThrowawayPostgres, type ThrowawayPostgres } from "../support/throwaway-postgres.ts"

// The service as `npm start` runs it on PostgreSQL, with partners placing orders the whole time,
// while its database crashes (pg_ctl stop -m immediate) and comes back three seconds later. A
// partner retries a refCode until it is answered, as the API asks: every answer in between is a
// 503 envelope, the service serves again by itself, and each refCode ends as exactly one order,
// delivered to the POS exactly once. The server is the suite's own, never the shared one.

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

describe.skipIf(postgresBinaries() === undefined)("PostgreSQL stopped and started under traffic", () => {
  let pg: ThrowawayPostgres
  let service: ServiceProcess | undefined
  let dataDir: string
  let port: number
  let demoKey = ""

  const api = demoApi(
    () => port,
    () => demoKey
  )

  beforeAll(async () => {
    pg = await startThrowawayPostgres()
    dataDir = mkdtempSync(join(tmpdir(), "pos-fault-pg-service-"))
    port = await freePort()
    service = startService({
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      DATABASE_URL: pg.url,
      // The demo tenant and its simulated POS, which seal credentials with the shared keys.
      DEMO: "true",
      CREDENTIALS_KEYS: `k1:${Buffer.alloc(32, 7).toString("base64")}`,
      // An order whose delivery failed while the database was away is retried soon after.
      ORDER_RETRY_BASE_MS: "100",
      ORDER_RETRY_MAX_MS: "500"
    })
    const atOpen = await service.outputWhenPortOpened
    demoKey = /demo api key: (posk_\S+)/.exec(atOpen)?.[1] ?? ""
    expect(demoKey, atOpen).not.toBe("")
    await waitUntilReady(service)
  }, 120_000)

  afterAll(async () => {
    await forceStop(service)
    pg?.destroy()
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true })
  })

  it("answers 503 envelopes while it is down, serves again once it is back, and loses or doubles no order", async () => {
    const template = await demoOrder(api, await demoOutlet(api, "demo-tanjong-pagar"), "unused")
    const placed = new Map<string, string>() // refCode → orderId answered
    const problems: Array<string> = []
    let unavailable = 0
    let cutConnections = 0
    let inProgress = 0
    let stopping = false

    /** One partner: a refCode after another, each retried until it is answered. */
    const partner = async (w: number) => {
      for (let n = 0; !stopping; n++) {
        const refCode = `FAULT-${w}-${n}`
        for (let attempt = 0; ; attempt++) {
          if (attempt > 600) {
            problems.push(`${refCode}: never answered`)
            return
          }
          let answer: Awaited<ReturnType<DemoApi>>
          try {
            answer = await api("POST", "/api/v1/orders", { ...template, refCode })
          } catch {
            cutConnections++
            await sleep(100)
            continue
          }
          if (answer.status === 201 || answer.status === 200) {
            const orderId = answer.json["orderId"] as string
            const before = placed.get(refCode)
            if (before !== undefined && before !== orderId)
              problems.push(`${refCode}: answered ${before}, then ${orderId}`)
            placed.set(refCode, orderId)
            break
          }
          // The claim of an attempt cut short by the crash: taken over after twice LOYALTY_TIMEOUT_MS.
          if (
            answer.status === 409 &&
            (answer.json["error"] as { message?: string }).message === "request in progress"
          ) {
            inProgress++
            await sleep(200)
            continue
          }
          if (answer.status === 503) {
            const error = answer.json["error"] as { code?: number } | undefined
            if (error?.code !== 503) problems.push(`${refCode}: a 503 that is not the envelope: ${answer.text}`)
            unavailable++
            await sleep(100)
            continue
          }
          problems.push(`${refCode}: ${answer.status} ${answer.text}`)
          break
        }
      }
    }

    const partners = Array.from({ length: 6 }, (_, w) => partner(w))
    await sleep(2000)
    const placedBeforeCrash = placed.size
    pg.stop("immediate")
    await sleep(3000)
    const unavailableWhileDown = unavailable
    const placedWhileDown = placed.size
    pg.start()
    const upAt = Date.now()
    // How soon a read and a new order are served again (the partners above still retry theirs).
    const firstServed = async (request: () => Promise<Awaited<ReturnType<DemoApi>>>, ok: number) => {
      while (Date.now() - upAt < 60_000) {
        const answer = await request().catch(() => undefined)
        if (answer?.status === ok) return Date.now() - upAt
        await sleep(50)
      }
      return undefined
    }
    const [readAfterMs, orderAfterMs] = await Promise.all([
      firstServed(() => api("GET", "/api/v1/outlets"), 200),
      firstServed(() => api("POST", "/api/v1/orders", { ...template, refCode: "FAULT-PROBE" }), 201)
    ])
    while (placed.size < placedWhileDown + 20 && Date.now() - upAt < 60_000) await sleep(50)
    const recoveredMs = Date.now() - upAt
    const probeOrder = (await api("POST", "/api/v1/orders", { ...template, refCode: "FAULT-PROBE" })).json["orderId"]
    await sleep(1000)
    stopping = true
    await Promise.all(partners)

    const errors = service!
      .output()
      .split("\n")
      .filter((line) => line.includes('"message":"request failed"'))
    expect({ problems: problems.slice(0, 10), errors: errors.slice(0, 3) }).toEqual({ problems: [], errors: [] })
    expect(placedBeforeCrash).toBeGreaterThan(0)
    expect(unavailableWhileDown).toBeGreaterThan(0)
    expect(placed.size, `recovered after ${recoveredMs} ms`).toBeGreaterThanOrEqual(placedWhileDown + 20)
    // The same process served throughout.
    expect(service!.npm.exitCode).toBeNull()
    console.info(
      `PostgreSQL restart: ${placed.size} orders (${placedBeforeCrash} before the crash), ${unavailable} answers 503, ` +
        `${cutConnections} connections cut, ${inProgress} answers 'request in progress', once it was back a read served after ${readAfterMs} ms, a new order after ${orderAfterMs} ms, the partners' next 20 orders after ${recoveredMs} ms`
    )

    // Nothing lost or doubled: one order per refCode, the one each answer named.
    const rows = pg
      .query("SELECT ref_code, order_id FROM tenant_demo.orders WHERE ref_code LIKE 'FAULT-%'")
      .trim()
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => line.split("\t") as [string, string])
    expect(new Map(rows)).toEqual(new Map([...placed, ["FAULT-PROBE", probeOrder]]))

    // Every order reaches the POS, exactly once.
    const undelivered = async () => {
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(200)) {
        const left = pg.query(
          "SELECT count(*) FROM tenant_demo.orders WHERE ref_code LIKE 'FAULT-%' AND status = 'RECEIVED'"
        )
        if (left.trim() === "0") return 0
      }
      return Number(pg.query("SELECT count(*) FROM tenant_demo.orders WHERE status = 'RECEIVED'").trim())
    }
    expect(await undelivered()).toBe(0)
    const deliveredTwice = pg.query(
      `SELECT order_id, count(*) FROM tenant_demo.order_delivery_attempts
        WHERE kind = 'submit' AND outcome = 'delivered' GROUP BY order_id HAVING count(*) <> 1`
    )
    expect(deliveredTwice.trim()).toBe("")
    // The POS took each order once: its log names every order it takes, and files a repeat apart.
    const posLog = (words: string) =>
      service!
        .output()
        .split("\n")
        .filter((line) => line.includes(`"${words}"`))
        .map((line) => /"refCode":"([^"]+)"/.exec(line)?.[1])
    const expected = new Set([...placed.keys(), "FAULT-PROBE"])
    const takenNow = () => posLog("demo POS: order taken").filter((refCode) => refCode?.startsWith("FAULT-") === true)
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && new Set(takenNow()).size < expected.size; ) {
      await sleep(200)
    }
    const taken = takenNow()
    const notTaken = [...expected].filter((refCode) => !taken.includes(refCode))
    const stateOf = (refCode: string) =>
      pg.query(
        `SELECT o.status, o.pos_order_id, (SELECT string_agg(a.kind || ':' || a.outcome || ':' || coalesce(a.reason, ''), ', ')
           FROM tenant_demo.order_delivery_attempts a WHERE a.order_id = o.order_id)
           FROM tenant_demo.orders o WHERE o.ref_code = '${refCode}'`
      )
    expect(notTaken.map((refCode) => `${refCode}: ${stateOf(refCode)}`)).toEqual([])
    expect(taken.length).toBe(new Set(taken).size)
    const repeats = posLog("demo POS: the same order again, filed as a duplicate").length
    console.info(`PostgreSQL restart: the POS took ${taken.length} orders once each, and was sent ${repeats} again`)
  }, 240_000)
})
