/**
 * The order dispatcher end to end: an order placed over HTTP travels through the outbox to a fake
 * Deliverect on loopback (the outlet's POS), with retries, deadlines, refusals, missing
 * credentials, a lease left by a worker that died, and work found through the control database's
 * due index or, when its mark was lost, by the sweep.
 */
import { randomUUID } from "node:crypto"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { OrderDueIndex } from "../../application/ports/order-due-index.ts"
import { Orders } from "../../application/ports/orders.ts"
import type { Order } from "../../domain/order.ts"
import type { TenantId } from "../../domain/tenant.ts"
import { OrderDispatch } from "../../runtime/orders/order-dispatch.ts"
import { call } from "../support/app.ts"
import { storageAdapters } from "../support/storage-adapters.ts"
import { layerMemoryStorage } from "../../adapters/storage/memory/memory-storage.ts"
import {
  addTenant,
  getOrder,
  marinaBayLink,
  marinaBaySecret,
  type OrderView,
  openSlot,
  place,
  quickSettings,
  type Rig,
  sleep,
  startRig,
  tanjongPagar,
  tenant,
  waitForOrder,
  waitForStatus
} from "./dispatch-support.ts"

/** The channelOrderId of an order request the fake received. */
const channelOrderIdOf = (body: string): string | undefined => {
  try {
    return (JSON.parse(body) as { channelOrderId?: string }).channelOrderId
  } catch {
    return undefined
  }
}

const ordersSentFor = (rig: Rig, refCode: string) =>
  rig.deliverect.requests.filter((r) => r.kind === "order" && channelOrderIdOf(r.body) === refCode)

const outcomes = (view: OrderView) => view.deliveries.map((d) => `${d.attempt}:${d.outcome}`)

/** Waits until the fake has received `count` order requests in all. */
const waitForOrderRequests = async (rig: Rig, count: number, timeoutMs = 3000) => {
  const deadline = Date.now() + timeoutMs
  while (rig.deliverect.orderRequests() < count) {
    if (Date.now() > deadline)
      expect.fail(`the fake got ${rig.deliverect.orderRequests()} order requests, not ${count}`)
    await sleep(2)
  }
}

const newId = (prefix: string) => `${prefix}_${randomUUID().replaceAll("-", "")}`

for (const adapter of storageAdapters()) {
  const suite = adapter.available ? describe : describe.skip
  suite(`order dispatch (${adapter.name})`, () => {
    let rig: Rig
    /** Every order of the suite, to look for credentials in their answers at the end. */
    const seen: Array<string> = []

    const run = <A, E>(effect: Effect.Effect<A, E, OrderDueIndex | OrderDispatch>) => rig.app.runtime.runPromise(effect)

    /**
     * An order stored as a placement stores it, without the placement's kick: nothing tells the
     * dispatcher about it (a mark lost in a crash between the placement's commit and its mark).
     */
    const storeUnannounced = (refCode: string) =>
      rig.app.inTenant(
        tenant,
        Effect.gen(function* () {
          const orders = yield* Orders
          // The first order placed over HTTP is the model.
          const template = yield* orders.getByRefCode("DSP-DELIVER-1")
          if (template === undefined) return expect.fail("the suite's first order is not there")
          const now = new Date()
          const order: Order = {
            ...template,
            orderId: newId("ord"),
            refCode,
            status: "RECEIVED",
            posOrderId: null,
            createdAt: now,
            updatedAt: now
          }
          const placed = yield* orders.place(order, newId("obx"))
          expect(placed._tag).toBe("Placed")
          seen.push(order.orderId)
          return order
        })
      )

    /** Claims the order's due row as another worker would, leased until `leaseUntil`. */
    const claimAsAnotherWorker = (order: Order, owner: string, leaseUntil: Date) =>
      rig.app.inTenant(
        tenant,
        Effect.gen(function* () {
          const claimed = yield* (yield* Orders).claim({ now: new Date(), owner, leaseUntil, limit: 10 })
          expect(claimed.map((row) => row.orderId)).toEqual([order.orderId])
          return claimed[0]!
        })
      )

    beforeAll(async () => {
      rig = await startRig(adapter.layer())
    })
    afterAll(() => rig?.close())

    it("delivers a placed order to the POS once, in Deliverect's format, with the refCode as its channelOrderId", async () => {
      const before = rig.deliverect.orderRequests()
      const placed = await place(rig, "DSP-DELIVER-1")
      seen.push(placed.orderId)
      const answeredAt = Date.now()
      expect(placed.status).toBe("RECEIVED")
      await waitForOrderRequests(rig, before + 1)
      // The placement kicks the dispatcher: the tick alone would take up to a second.
      expect(Date.now() - answeredAt).toBeLessThan(1000)
      const view = await waitForStatus(rig, placed.orderId, "SUBMITTED")
      expect(view.posOrderId).toBeNull()
      expect(view.timeline.map((e) => e.status)).toEqual(["RECEIVED", "SUBMITTED"])
      expect(view.deliveries).toEqual([
        expect.objectContaining({ kind: "submit", attempt: 1, outcome: "delivered", reason: null })
      ])

      const sent = ordersSentFor(rig, "DSP-DELIVER-1")
      expect(sent).toHaveLength(1)
      expect(rig.deliverect.taken.filter((id) => id === "DSP-DELIVER-1")).toHaveLength(1)
      const request = sent[0]!
      expect(request.method).toBe("POST")
      expect(request.path).toBe(`/PosIntegration/order/${marinaBayLink}`)
      expect(request.headers["authorization"]).toMatch(/^Bearer fake-deliverect\./)
      const body = JSON.parse(request.body) as Record<string, unknown>
      expect(body).toMatchObject({
        channelOrderId: "DSP-DELIVER-1",
        orderType: 1,
        courier: "restaurant",
        deliveryIsAsap: false,
        pickupTime: openSlot(new Date(placed.createdAt)).replace(".000Z", "Z"),
        decimalDigits: 2,
        payment: { amount: 3450, type: 0 },
        orderIsAlreadyPaid: true,
        customer: { name: "Mei Ling", phoneNumber: "+6591234567" }
      })
      expect(body["items"]).toEqual([
        expect.objectContaining({ plu: "DRK-COLA", price: 350, quantity: 2, subItems: [] }),
        expect.objectContaining({
          plu: "STK-01",
          price: 2450,
          quantity: 1,
          remark: "no pepper",
          subItems: [
            expect.objectContaining({ plu: "COOK-M", price: 0, quantity: 1 }),
            expect.objectContaining({ plu: "SIDE-FR", price: 300, quantity: 1 })
          ]
        })
      ])

      // Nothing more reaches the POS later.
      await sleep(150)
      expect(ordersSentFor(rig, "DSP-DELIVER-1")).toHaveLength(1)
    })

    it("delivers orders placed together, each once", async () => {
      const refCodes = ["DSP-MANY-1", "DSP-MANY-2", "DSP-MANY-3", "DSP-MANY-4", "DSP-MANY-5"]
      const placed = await Promise.all(refCodes.map((refCode) => place(rig, refCode)))
      seen.push(...placed.map((p) => p.orderId))
      for (const order of placed) {
        expect(outcomes(await waitForStatus(rig, order.orderId, "SUBMITTED"))).toEqual(["1:delivered"])
      }
      for (const refCode of refCodes) expect(ordersSentFor(rig, refCode)).toHaveLength(1)
    })

    it("keeps the POS's order id when its answer carries one", async () => {
      rig.deliverect.script({ status: 201, json: { orderId: "65f1a2b3c4d5e6f7a8b9ffff" } })
      const placed = await place(rig, "DSP-POSID-1")
      seen.push(placed.orderId)
      const view = await waitForStatus(rig, placed.orderId, "SUBMITTED")
      expect(view.posOrderId).toBe("65f1a2b3c4d5e6f7a8b9ffff")
      expect(outcomes(view)).toEqual(["1:delivered"])
    })

    it("retries 5xx answers with backoff and records every attempt", async () => {
      rig.deliverect.script(
        { status: 500, json: { error: { code: "internal_server_error", message: "Internal server error" } } },
        { status: 503, text: "<html><body>Service Unavailable</body></html>" }
      )
      const placed = await place(rig, "DSP-RETRY-1")
      seen.push(placed.orderId)
      const view = await waitForStatus(rig, placed.orderId, "SUBMITTED")
      expect(outcomes(view)).toEqual(["1:unavailable", "2:unavailable", "3:delivered"])
      expect(view.deliveries[0]!.reason).toContain("HTTP 500")
      expect(view.deliveries[0]!.reason).toContain("Internal server error")
      expect(view.deliveries[1]!.reason).toContain("HTTP 503")
      expect(view.deliveries[2]!.reason).toBeNull()
      // Each retry starts after the attempt before it ended, within the capped backoff (50 ms) and some slack.
      for (let i = 1; i < view.deliveries.length; i++) {
        const gap = Date.parse(view.deliveries[i]!.startedAt) - Date.parse(view.deliveries[i - 1]!.finishedAt)
        expect(gap).toBeGreaterThanOrEqual(0)
        expect(gap).toBeLessThan(1500)
      }
      expect(ordersSentFor(rig, "DSP-RETRY-1")).toHaveLength(3)
      expect(view.timeline.map((e) => e.status)).toEqual(["RECEIVED", "SUBMITTED"])
    })

    it("takes a POS that does not answer by POS_CALL_TIMEOUT_MS as a transient failure", async () => {
      const before = rig.deliverect.orderRequests()
      rig.deliverect.setOrders("hang")
      const placed = await place(rig, "DSP-HANG-1")
      seen.push(placed.orderId)
      try {
        await waitForOrderRequests(rig, before + 1)
      } finally {
        rig.deliverect.setOrders("accept")
      }
      const view = await waitForStatus(rig, placed.orderId, "SUBMITTED")
      expect(outcomes(view)).toEqual(["1:unavailable", "2:delivered"])
      const first = view.deliveries[0]!
      expect(first.reason).toBe(`the POS did not answer within ${quickSettings.posCallTimeoutMs} ms`)
      const took = Date.parse(first.finishedAt) - Date.parse(first.startedAt)
      expect(took).toBeGreaterThanOrEqual(quickSettings.posCallTimeoutMs! - 5)
      expect(took).toBeLessThan(3000)
    })

    it("fails an order the POS never takes after ORDER_MAX_ATTEMPTS tries, and tries no more", async () => {
      rig.deliverect.setOrders("unavailable")
      try {
        const placed = await place(rig, "DSP-FAIL-1")
        seen.push(placed.orderId)
        const view = await waitForStatus(rig, placed.orderId, "FAILED")
        expect(outcomes(view)).toEqual(["1:unavailable", "2:unavailable", "3:unavailable"])
        const failed = view.timeline.at(-1)!
        expect(failed).toMatchObject({ status: "FAILED", source: "service" })
        expect(failed.reason).toContain("could not be delivered to the POS in 3 tries")
        expect(failed.reason).toContain("HTTP 500")
        await sleep(200)
        expect(ordersSentFor(rig, "DSP-FAIL-1")).toHaveLength(3)
        expect((await getOrder(rig, placed.orderId)).view.deliveries).toHaveLength(3)
      } finally {
        rig.deliverect.setOrders("accept")
      }
    })

    it("rejects an order the POS refuses (4xx) with the POS's reason, without retrying", async () => {
      rig.deliverect.setOrders("reject")
      try {
        const placed = await place(rig, "DSP-REJECT-1")
        seen.push(placed.orderId)
        const view = await waitForStatus(rig, placed.orderId, "REJECTED")
        expect(outcomes(view)).toEqual(["1:rejected"])
        expect(view.deliveries[0]!.reason).toContain("HTTP 400")
        const rejected = view.timeline.at(-1)!
        expect(rejected).toMatchObject({ status: "REJECTED", source: "service" })
        expect(rejected.reason).toContain("The channel link is not accepting orders.")
        await sleep(200)
        expect(ordersSentFor(rig, "DSP-REJECT-1")).toHaveLength(1)
      } finally {
        rig.deliverect.setOrders("accept")
      }
    })

    it("never shows a credential the POS echoes in its answer", async () => {
      const { clientSecret, clientId } = rig.deliverect.credentials
      rig.deliverect.script(
        { status: 500, json: { message: `upstream refused client ${clientId}:${clientSecret}` } },
        { status: 422, json: { orderFieldsErrors: { channelLinkId: `not for ${clientSecret} (${marinaBaySecret})` } } }
      )
      const placed = await place(rig, "DSP-ECHO-1")
      seen.push(placed.orderId)
      const view = await waitForStatus(rig, placed.orderId, "REJECTED")
      expect(outcomes(view)).toEqual(["1:unavailable", "2:rejected"])
      expect(view.deliveries[0]!.reason).toContain("[redacted]")
      expect(view.deliveries[1]!.reason).toContain("[redacted]")
    })

    it("retries an outlet without credentials as not configured, then fails it; nothing reaches a POS", async () => {
      const placed = await place(rig, "DSP-NOCRED-1", tanjongPagar)
      seen.push(placed.orderId)
      const view = await waitForStatus(rig, placed.orderId, "FAILED")
      expect(outcomes(view)).toEqual(["1:not-configured", "2:not-configured", "3:not-configured"])
      expect(view.deliveries[0]!.reason).toContain("outlet credentials")
      expect(view.timeline.at(-1)!.reason).toContain("could not be delivered to the POS in 3 tries")
      expect(ordersSentFor(rig, "DSP-NOCRED-1")).toHaveLength(0)

      // Cancelled now, it needs no cancellation at a POS that never had it.
      const cancelled = await call(rig.app, `/api/v1/orders/${placed.orderId}/cancel`, {
        method: "POST",
        host: rig.host,
        key: rig.partnerKey,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ reason: "the restaurant never got it" })
      })
      expect(cancelled.status).toBe(200)
      // The queued cancellation: the dispatcher, kicked by the cancellation, finds nothing to send.
      const after = await waitForOrder(rig, placed.orderId, (v) => v.deliveries.some((d) => d.kind === "cancel"), 2000)
      expect(after.status).toBe("CANCELLED")
      expect(after.deliveries.filter((d) => d.kind === "cancel")).toEqual([
        expect.objectContaining({ attempt: 1, outcome: "skipped", reason: "the order never reached the POS" })
      ])
      await sleep(150)
      expect((await getOrder(rig, placed.orderId)).view.deliveries).toHaveLength(4)
    })

    it("delivers again a row whose worker died once its lease ends; the POS's duplicate answer is a success", async () => {
      const order = await storeUnannounced("DSP-LEASE-1")
      const leaseUntil = new Date(Date.now() + 1000)
      const row = await claimAsAnotherWorker(order, "worker-that-died", leaseUntil)
      expect(row.attempts).toBe(1)
      // The dead worker's call reached Deliverect (its answer was lost with the worker).
      const earlier = ordersSentFor(rig, "DSP-DELIVER-1")[0]!
      const token = /^Bearer (.+)$/.exec(earlier.headers["authorization"]!)![1]!
      const sent = await fetch(`${rig.deliverect.url}${earlier.path}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ ...JSON.parse(earlier.body), channelOrderId: "DSP-LEASE-1" })
      })
      expect(sent.status).toBe(201)
      // The placement's mark, which the dead worker's process never settled.
      await run(Effect.flatMap(OrderDueIndex, (index) => index.mark(tenant, order.createdAt)))

      const view = await waitForStatus(rig, order.orderId, "SUBMITTED", 6000)
      expect(view.deliveries).toEqual([expect.objectContaining({ attempt: 2, outcome: "delivered" })])
      expect(Date.parse(view.deliveries[0]!.startedAt)).toBeGreaterThanOrEqual(leaseUntil.getTime())
      expect(ordersSentFor(rig, "DSP-LEASE-1")).toHaveLength(2)
      expect(rig.deliverect.taken.filter((id) => id === "DSP-LEASE-1")).toHaveLength(1)
      expect(rig.deliverect.duplicates.filter((id) => id === "DSP-LEASE-1")).toHaveLength(1)
      // The dead worker can no longer record anything for the row.
      const late = await rig.app.inTenant(
        tenant,
        Effect.flatMap(Orders, (orders) =>
          orders.finish(
            row.id,
            "worker-that-died",
            {
              kind: "submit",
              attempt: 1,
              startedAt: new Date(),
              finishedAt: new Date(),
              outcome: "rejected",
              reason: "late"
            },
            { _tag: "Done", change: null }
          )
        )
      )
      expect(late).toBe(false)
      await waitForIndexEntry(null)
    })

    /** Waits until the tenant's due index entry is as asked (null: none). */
    const waitForIndexEntry = async (expected: null | "present", timeoutMs = 3000, id: string = tenant) => {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const entry = await run(Effect.flatMap(OrderDueIndex, (index) => index.find(id)))
        if ((entry === null) === (expected === null)) return entry
        if (Date.now() > deadline) expect.fail(`the due index entry is ${JSON.stringify(entry)}, not ${expected}`)
        await sleep(20)
      }
    }

    it("finds by the sweep, not the tick, an order whose index mark was lost; forgets an entry of no active tenant", async () => {
      await waitForIndexEntry(null)
      const lost = await storeUnannounced("DSP-LOST-1")
      // An entry for an id no active tenant has is forgotten (not looked at every second): once it
      // is gone, a tick ran after the order was stored.
      const ghost = "ghost-kitchen" as TenantId
      await run(Effect.flatMap(OrderDueIndex, (index) => index.mark(ghost, new Date())))
      await waitForIndexEntry(null, 3000, ghost)
      // The tick reads the index, not the tenants' outboxes: nothing happened to the unindexed order.
      await sleep(50)
      expect((await getOrder(rig, lost.orderId)).view.status).toBe("RECEIVED")
      expect(ordersSentFor(rig, "DSP-LOST-1")).toHaveLength(0)
      expect(await run(Effect.flatMap(OrderDueIndex, (index) => index.find(tenant)))).toBeNull()

      await run(Effect.flatMap(OrderDispatch, (dispatch) => dispatch.sweep))
      const entry = await run(Effect.flatMap(OrderDueIndex, (index) => index.find(tenant)))
      // The entry may already be settled by a drain; when it is still there, it is due at the order.
      if (entry !== null) expect(entry.dueAt.getTime()).toBeLessThanOrEqual(lost.createdAt.getTime())
      await waitForStatus(rig, lost.orderId, "SUBMITTED", 3000)
      expect(ordersSentFor(rig, "DSP-LOST-1")).toHaveLength(1)

      // Drained, the tenant leaves the index.
      await waitForIndexEntry(null)
    })

    it("finds through the control index, in the tick loop, a retry another worker scheduled", async () => {
      const order = await storeUnannounced("DSP-TICK-1")
      const row = await claimAsAnotherWorker(order, "another-instance", new Date(Date.now() + 5000))
      const now = new Date()
      const dueAt = new Date(now.getTime() + 300)
      const kept = await rig.app.inTenant(
        tenant,
        Effect.flatMap(Orders, (orders) =>
          orders.finish(
            row.id,
            "another-instance",
            {
              kind: "submit",
              attempt: 1,
              startedAt: now,
              finishedAt: now,
              outcome: "unavailable",
              reason: "the POS answered HTTP 502"
            },
            { _tag: "Retry", dueAt }
          )
        )
      )
      expect(kept).toBe(true)
      await run(Effect.flatMap(OrderDueIndex, (index) => index.mark(tenant, dueAt)))
      const view = await waitForOrder(rig, order.orderId, (v) => v.status === "SUBMITTED", 4000)
      expect(outcomes(view)).toEqual(["1:unavailable", "2:delivered"])
      expect(Date.parse(view.deliveries[1]!.startedAt)).toBeGreaterThanOrEqual(dueAt.getTime())
      await waitForIndexEntry(null)
    })

    it("shows no credential in any order's answer", async () => {
      const { clientSecret, clientId } = rig.deliverect.credentials
      const tokens = rig.deliverect.requests
        .map((r) => /^Bearer (.+)$/.exec(r.headers["authorization"] ?? "")?.[1])
        .filter((t): t is string => t !== undefined)
      expect(tokens.length).toBeGreaterThan(0)
      expect(seen.length).toBeGreaterThan(8)
      for (const orderId of seen) {
        const { text } = await getOrder(rig, orderId)
        for (const secret of [clientSecret, clientId, marinaBaySecret, ...tokens]) expect(text).not.toContain(secret)
      }
    })
  })
}

describe("order dispatch with one POS call at a time, across two tenants (memory)", () => {
  let acme: Rig
  let beta: Rig
  beforeAll(async () => {
    acme = await startRig(layerMemoryStorage, { settings: { orderDispatchConcurrency: 1 } })
    beta = await addTenant(acme.app, "beta" as TenantId)
  })
  afterAll(async () => {
    await beta?.close()
    await acme?.close()
  })

  it("claims a tenant's order only when its call can start, so a lease is not spent waiting for another's call", async () => {
    acme.deliverect.setOrders("hang")
    const held = await place(acme, "ONE-HELD-1")
    try {
      await waitForOrderRequests(acme, 1)
    } finally {
      acme.deliverect.setOrders("accept")
    }
    const waiting = await place(beta, "ONE-WAITING-1")
    const heldView = await waitForStatus(acme, held.orderId, "SUBMITTED")
    const waitingView = await waitForStatus(beta, waiting.orderId, "SUBMITTED")
    expect(outcomes(heldView)).toEqual(["1:unavailable", "2:delivered"])
    expect(outcomes(waitingView)).toEqual(["1:delivered"])
    // Beta's order was claimed (and its attempt begun) once the one call permit was free again.
    expect(Date.parse(waitingView.deliveries[0]!.startedAt)).toBeGreaterThanOrEqual(
      Date.parse(heldView.deliveries[0]!.finishedAt)
    )
    expect(ordersSentFor(beta, "ONE-WAITING-1")).toHaveLength(1)
  })
})
