import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { demoApi, demoOrder, demoOutlet } from "../process/demo-orders.ts"
import {
  forceStop,
  freePort,
  repoRoot,
  type ServiceProcess,
  startService,
  waitUntilReady
} from "../process/service-process.ts"
import { freshPgliteCluster } from "../support/pglite-template.ts"

// `npm start` as a newcomer runs it: the embedded default with the demo tenant, whose outlets'
// orders go to the built-in simulated POS (runtime/demo/simulated-pos.ts) and come back as its
// status webhooks. Nothing outside the process takes part. One data directory serves every case.

let dataDir: string
let port: number
let demoKey: string
let current: ServiceProcess | undefined

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "pos-demo-flow-"))
  port = await freePort()
  await freshPgliteCluster(join(dataDir, "pglite"))
})
afterAll(async () => {
  await forceStop(current)
  rmSync(dataDir, { recursive: true, force: true })
})

const start = (extra: Record<string, string> = {}) => {
  current = startService({
    PORT: String(port),
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    // Short retries: an order placed while its POS is away is delivered soon after it is back.
    ORDER_RETRY_BASE_MS: "100",
    ORDER_RETRY_MAX_MS: "400",
    ...extra
  })
  return current
}

const stop = async (service: ServiceProcess) => {
  service.npm.kill("SIGTERM")
  expect(await service.exited, service.output()).toEqual({ code: 0, signal: null })
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

const api = demoApi(
  () => port,
  () => demoKey
)

interface TimelineEntry {
  readonly at: string
  readonly status: string | null
  readonly source: string
  readonly vendorStatus: string | null
  readonly reason: string | null
}
interface OrderView {
  readonly orderId: string
  readonly status: string
  readonly posOrderId: string | null
  readonly timeline: ReadonlyArray<TimelineEntry>
  readonly deliveries: ReadonlyArray<{
    readonly kind: string
    readonly outcome: string
    readonly reason: string | null
  }>
}

const outletOf = (channelLinkId: string) => demoOutlet(api, channelLinkId)
const orderFor = (outletId: string, refCode: string) => demoOrder(api, outletId, refCode)

/** Reads the order every 50 ms until `done` says so; every status seen, in order, and the last view. */
const watch = async (orderId: string, done: (order: OrderView) => boolean, timeoutMs = 10_000) => {
  const seen: Array<string> = []
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const read = await api("GET", `/api/v1/orders/${orderId}`)
    expect(read.status, read.text).toBe(200)
    const order = read.json as unknown as OrderView
    if (seen.at(-1) !== order.status) seen.push(order.status)
    if (done(order)) return { seen, order }
    if (Date.now() > deadline) {
      throw new Error(`order ${orderId} is still ${order.status} (seen: ${seen.join(" -> ")}):\n${read.text}`)
    }
    await sleep(50)
  }
}

const statusesOf = (order: OrderView) => order.timeline.map((entry) => entry.status)
const forward = ["RECEIVED", "SUBMITTED", "ACCEPTED", "PREPARING", "READY"]

/** The statuses seen by polling, each later on the forward path than the one before. */
const expectForward = (seen: ReadonlyArray<string>) => {
  const positions = seen.map((status) => forward.indexOf(status))
  expect(
    positions.every((p, i) => p >= 0 && (i === 0 || p > positions[i - 1]!)),
    seen.join(" -> ")
  ).toBe(true)
}

/** The log lines (JSON) whose message starts with these words. */
const logged = (service: ServiceProcess, words: string) =>
  service
    .output()
    .split("\n")
    .flatMap((line) => {
      // A line still being written is no JSON yet.
      try {
        return line.startsWith("{") ? [JSON.parse(line) as { message: unknown; level: string }] : []
      } catch {
        return []
      }
    })
    .filter((line) => (Array.isArray(line.message) ? line.message[0] : line.message) === words)
    .map((line) => (Array.isArray(line.message) ? (line.message[1] as Record<string, unknown>) : {}))

describe("npm start: an order on the demo tenant, with the built-in POS", () => {
  let tanjongPagar: string
  let orchard: string
  let firstPosUrl: string

  it("starts the simulated POS and points the demo outlets at it before the port opens", async () => {
    const service = start()
    const atOpen = await service.outputWhenPortOpened
    demoKey = /demo api key: (posk_\S+)/.exec(atOpen)?.[1] ?? ""
    expect(demoKey, atOpen).not.toBe("")
    const [started] = logged(
      { ...service, output: () => atOpen },
      "demo POS started: orders to the demo outlets go to it"
    )
    expect(started, atOpen).toMatchObject({
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      connected: ["demo-tanjong-pagar", "demo-orchard"]
    })
    firstPosUrl = started!["url"] as string
    await waitUntilReady(service)
    tanjongPagar = await outletOf("demo-tanjong-pagar")
    orchard = await outletOf("demo-orchard")
  }, 90_000)

  it("an order goes RECEIVED -> SUBMITTED -> ACCEPTED within a few seconds, with its timeline and delivery", async () => {
    const body = await orderFor(tanjongPagar, "DEMO-FLOW-1")
    const placedAt = Date.now()
    const placed = await api("POST", "/api/v1/orders", body)
    expect(placed.status, placed.text).toBe(201)
    expect(placed.json).toMatchObject({ refCode: "DEMO-FLOW-1", status: "RECEIVED", outletId: tanjongPagar })
    expect((placed.json["totals"] as { total: { amount: number } }).total.amount).toBe(body.payment.amount)
    const orderId = placed.json["orderId"] as string

    const { seen, order } = await watch(orderId, (o) => o.status === "ACCEPTED")
    expect(Date.now() - placedAt).toBeLessThan(5000)
    expectForward(seen)
    expect(statusesOf(order)).toEqual(["RECEIVED", "SUBMITTED", "ACCEPTED"])
    expect(order.timeline.map((e) => [e.source, e.vendorStatus])).toEqual([
      ["service", null],
      ["service", null],
      ["pos", "20"]
    ])
    const times = order.timeline.map((e) => Date.parse(e.at))
    expect(times[1]! >= times[0]! && times[2]! >= times[1]!).toBe(true)
    expect(order.deliveries).toEqual([expect.objectContaining({ kind: "submit", outcome: "delivered", reason: null })])
    // Deliverect's own order id, from its webhook.
    expect(order.posOrderId).toMatch(/^[0-9a-f]{24}$/)
    expect(logged(current!, "demo POS: order taken")).toEqual([
      { refCode: "DEMO-FLOW-1", outlet: "demo-tanjong-pagar" }
    ])

    // The same refCode again: the first answer, byte for byte, and still one order at the POS.
    const replay = await api("POST", "/api/v1/orders", body)
    expect(replay.status).toBe(201)
    expect(replay.text).toBe(placed.text)
    const listed = await api("GET", "/api/v1/orders?refCode=DEMO-FLOW-1")
    expect((listed.json["data"] as Array<unknown>).length).toBe(1)

    await sleep(300)
    expect(logged(current!, "demo POS: order taken")).toHaveLength(1)
    expect(logged(current!, "demo POS: the same order again, filed as a duplicate")).toEqual([])
  }, 30_000)

  it("a cancellation goes to the simulated POS, which confirms it", async () => {
    const placed = await api("POST", "/api/v1/orders", await orderFor(orchard, "DEMO-FLOW-2"))
    expect(placed.status, placed.text).toBe(201)
    const orderId = placed.json["orderId"] as string
    await watch(orderId, (o) => o.status === "ACCEPTED")
    const cancelled = await api("POST", `/api/v1/orders/${orderId}/cancel`, { reason: "customer changed their mind" })
    expect(cancelled.status, cancelled.text).toBe(202)
    const { order } = await watch(orderId, (o) => o.status === "CANCELLED")
    expect(order.deliveries.map((d) => [d.kind, d.outcome])).toEqual([
      ["submit", "delivered"],
      ["cancel", "delivered"]
    ])
    // The POS's CANCELED follows within a second or so; it changes nothing more, and nothing else comes.
    await sleep(1500)
    const after = (await api("GET", `/api/v1/orders/${orderId}`)).json as unknown as OrderView
    expect(after.status).toBe("CANCELLED")
    expect(statusesOf(after).filter((s) => s !== null)).toEqual(["RECEIVED", "SUBMITTED", "ACCEPTED", "CANCELLED"])
    expect(logged(current!, "demo POS: order cancelled")).toEqual([{ refCode: "DEMO-FLOW-2" }])
    expect(current!.output()).not.toContain("demo POS: the service refused")
    await stop(current!)
  }, 30_000)

  it("at the next demo start, a new simulator: credentials an operator set are kept, the rest follow it", async () => {
    // An operator connects the Orchard outlet to a Deliverect of their own (while the service is stopped).
    const operator = JSON.stringify({
      baseUrl: "https://api.staging.deliverect.com",
      channelName: "AcmeOrders",
      clientId: "acme-client",
      clientSecret: "acme-secret",
      webhookSecret: "acme-webhook-secret"
    })
    const set = spawnSync(
      process.execPath,
      [
        "--liftoff-only",
        "runtime/cli/main.ts",
        "store",
        "set-credentials",
        "demo",
        "deliverect",
        "demo-orchard",
        "--json",
        operator
      ],
      {
        cwd: repoRoot,
        env: { ...process.env, STORAGE: "pglite", DATA_DIR: dataDir },
        encoding: "utf8",
        timeout: 60_000
      }
    )
    expect(set.status, set.stderr).toBe(0)

    const service = start()
    await waitUntilReady(service)
    expect(service.output()).not.toContain("demo api key")
    const [started] = logged(service, "demo POS started: orders to the demo outlets go to it")
    expect(started).toMatchObject({ connected: ["demo-tanjong-pagar"] })
    expect(started!["url"]).not.toBe(firstPosUrl)
    expect(logged(service, "demo outlets with credentials of another POS keep them")).toEqual([
      { outlets: ["demo-orchard"] }
    ])

    // Orders to the outlets it connected reach the new simulator.
    const placed = await api("POST", "/api/v1/orders", await orderFor(tanjongPagar, "DEMO-FLOW-4"))
    expect(placed.status, placed.text).toBe(201)
    const { order } = await watch(placed.json["orderId"] as string, (o) => o.status === "ACCEPTED")
    expect(statusesOf(order)).toEqual(["RECEIVED", "SUBMITTED", "ACCEPTED"])
    await stop(service)
  }, 90_000)
})
