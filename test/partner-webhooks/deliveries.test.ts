/**
 * Partner webhook deliveries end to end, in process: an order placed over HTTP, delivered to the
 * (fake) Deliverect and moved by Deliverect's own status webhook, heard by a receiver on loopback
 * that verifies every delivery with the `standardwebhooks` package, as a partner would without
 * reading our code. Then the receiver misbehaves (500, no answer, a reset) before it recovers, the
 * secret is rotated, and a delivery is sent again.
 */
import { createServer, type IncomingMessage, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, Schema } from "effect"
import { Webhook } from "standardwebhooks"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type DocumentedEventType, webhookEventData, webhookEventSchema } from "../../runtime/http/openapi-webhooks.ts"
import { WebhookDispatch } from "../../runtime/partner-webhooks/webhook-dispatch.ts"
import { adminCalls, firstAdminKey } from "../admin/support.ts"
import { syncDeliverect } from "../menus/support.ts"
import {
  deliverectBusyMode,
  deliverectOrderStatus,
  deliverectOutlet,
  deliverectSnooze,
  drain,
  expectStatus,
  type OrderApp,
  orderRequest,
  placeOrder,
  productAt,
  productsOf,
  publishMenu,
  send,
  startOrderApp,
  tenant
} from "../orders/support.ts"
import { eventually } from "../support/eventually.ts"
import { storageAdapters } from "../support/storage-adapters.ts"

interface Received {
  readonly headers: IncomingMessage["headers"]
  readonly body: string
}

/** What the receiver does with the n-th request carrying one `webhook-id` (then 204 for the rest). */
type Behaviour = "500" | "hang" | "reset" | "204"

interface Receiver {
  readonly url: string
  readonly received: Array<Received>
  /** Behaviours by event type, consumed one request at a time per webhook-id. */
  readonly script: Map<string, ReadonlyArray<Behaviour>>
  readonly close: () => Promise<void>
}

const startReceiver = async (): Promise<Receiver> => {
  const received: Array<Received> = []
  const script = new Map<string, ReadonlyArray<Behaviour>>()
  const seen = new Map<string, number>()
  const hanging = new Set<import("node:http").ServerResponse>()
  const server: Server = createServer((request, response) => {
    let body = ""
    request.setEncoding("utf8")
    request.on("data", (chunk) => {
      body += chunk
    })
    request.on("end", () => {
      received.push({ headers: request.headers, body })
      const id = String(request.headers["webhook-id"])
      const n = seen.get(id) ?? 0
      seen.set(id, n + 1)
      const type = (JSON.parse(body) as { type: string }).type
      const behaviour = script.get(type)?.[n] ?? "204"
      switch (behaviour) {
        case "500":
          response.statusCode = 500
          response.end("kitchen screen down")
          return
        case "hang":
          hanging.add(response)
          return
        case "reset":
          request.socket.destroy()
          return
        case "204":
          response.statusCode = 204
          response.end()
      }
    })
  })
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    script,
    close: async () => {
      for (const response of hanging) response.destroy()
      server.closeAllConnections()
      await new Promise((done) => server.close(done))
    }
  }
}

interface EventBody {
  readonly id: string
  readonly type: string
  readonly tenantId: string
  readonly timestamp: string
  readonly sequence: number
  readonly data: Record<string, unknown>
}

interface DeliveryView {
  readonly deliveryId: string
  readonly eventId: string
  readonly eventType: string
  readonly sequence: number
  readonly state: string
  readonly attempts: ReadonlyArray<{
    readonly attempt: number
    readonly statusCode: number | null
    readonly error: string | null
  }>
}

/** Polls until `check` answers a value, for at most `ms` (15 s). */
const soon = <A>(check: () => Promise<A | undefined> | A | undefined, ms = 15_000, what = "condition") =>
  eventually(check, ms, () => what, 25)

for (const adapter of storageAdapters()) {
  const suite = adapter.available ? describe : describe.skip
  suite(`partner webhook deliveries (${adapter.name})`, () => {
    let o: OrderApp
    let receiver: Receiver
    let flatWhite: string

    beforeAll(async () => {
      receiver = await startReceiver()
      o = await startOrderApp(adapter.layer(), {
        settings: {
          webhookAllowLoopback: true,
          webhookDelivery: {
            concurrency: 8,
            inFlightPerEndpoint: 4,
            // Long enough that a receiver slowed by a busy machine is not counted as failing (its
            // answer would then be a second receipt of one webhook-id, which receivers drop).
            timeoutMs: 2000,
            retryBaseMs: 20,
            retryMaxMs: 60,
            giveUpMs: 60_000,
            sweepMs: 60_000,
            retentionDays: 30
          }
        }
      })
      flatWhite = productAt(await productsOf(o, deliverectOutlet), "WNG-06").productId
    }, 60_000)
    afterAll(async () => {
      await o?.close()
      await receiver?.close()
    })

    const register = async (eventTypes: ReadonlyArray<string>, key = o.partnerKey) => {
      const created = expectStatus(
        await send<{ endpoint: { endpointId: string }; secret: string }>(o, "POST", "/api/v1/webhook-endpoints", {
          body: { url: receiver.url, eventTypes },
          key
        }),
        201
      )
      return { id: created.endpoint.endpointId, secret: created.secret }
    }
    const deliveries = async (endpointId: string) =>
      expectStatus(
        await send<{ data: ReadonlyArray<DeliveryView> }>(
          o,
          "GET",
          `/api/v1/webhook-endpoints/${endpointId}/deliveries`
        ),
        200
      ).data
    /** The endpoint's deliveries once `count` of them are recorded delivered (a receiver answers before the service records it). */
    const delivered = (endpointId: string, count: number) =>
      soon(
        async () => {
          const listed = await deliveries(endpointId)
          return listed.filter((d) => d.state === "delivered").length >= count ? listed : undefined
        },
        15_000,
        `${count} deliveries recorded delivered`
      )
    const place = async () =>
      expectStatus(
        await placeOrder(o, orderRequest(deliverectOutlet, [{ productId: flatWhite, quantity: 1 }], 1290)),
        201
      ) as { orderId: string; refCode: string }
    const sendWebhooks = () => o.app.runtime.runPromise(Effect.flatMap(WebhookDispatch, (d) => d.drain(tenant)))
    const receivedFor = (orderId: string) =>
      receiver.received.filter((r) => (JSON.parse(r.body) as EventBody).data["orderId"] === orderId)
    /** The first receipt of each webhook-id: what a receiver that drops repeats (as it should) keeps. */
    const firstOfEach = (receipts: ReadonlyArray<Received>) =>
      receipts.filter((r, i) => receipts.findIndex((o) => o.headers["webhook-id"] === r.headers["webhook-id"]) === i)

    it("delivers order.created then order.status_changed, in order, each verifying with standardwebhooks", async () => {
      const endpoint = await register(["order.created", "order.status_changed"])
      const placed = await place()
      await drain(o)
      await deliverectOrderStatus(o, placed.refCode, 20)
      const bodies = await soon(
        () => {
          const found = firstOfEach(receivedFor(placed.orderId))
          return found.length >= 3 ? found : undefined
        },
        15_000,
        "three deliveries"
      )
      const verifier = new Webhook(endpoint.secret)
      const events = bodies.map((r) => verifier.verify(r.body, r.headers as Record<string, string>) as EventBody)
      // Each delivery carries a W3C traceparent the receiver may continue.
      for (const r of bodies) expect(r.headers["traceparent"]).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/)
      expect(events.map((e) => [e.type, e.sequence, e.data["status"]])).toEqual([
        ["order.created", 1, "RECEIVED"],
        ["order.status_changed", 2, "SUBMITTED"],
        ["order.status_changed", 3, "ACCEPTED"]
      ])
      expect(events[0]).toMatchObject({
        tenantId: tenant,
        data: {
          orderId: placed.orderId,
          refCode: placed.refCode,
          outletId: deliverectOutlet,
          total: { amount: 1290, currency: "SGD" }
        }
      })
      expect(events[2]!.data).toMatchObject({ from: "SUBMITTED", to: "ACCEPTED", source: "pos" })
      for (const [i, r] of bodies.entries()) {
        expect(r.headers["content-type"]).toBe("application/json")
        expect(r.headers["webhook-id"]).toBe(events[i]!.id)
        expect(events[i]!.id).toMatch(/^evt_[0-9a-f]{32}$/)
      }
      // A tampered body, or a timestamp outside the 5 minutes, fails the receiver's verification.
      const first = bodies[0]!
      const headers = first.headers as Record<string, string>
      expect(() => verifier.verify(first.body.replace("RECEIVED", "ACCEPTED"), headers)).toThrow()
      const old = String(Math.floor(Date.now() / 1000) - 600)
      expect(() => verifier.verify(first.body, { ...headers, "webhook-timestamp": old })).toThrow()
      // Another key's endpoint hears nothing of this partner's order; the listing says delivered.
      const listed = await delivered(endpoint.id, 3)
      expect(listed.slice(0, 3).map((d) => [d.sequence, d.eventType, d.state, d.attempts.length])).toEqual([
        [3, "order.status_changed", "delivered", 1],
        [2, "order.status_changed", "delivered", 1],
        [1, "order.created", "delivered", 1]
      ])
      expectStatus(await send(o, "DELETE", `/api/v1/webhook-endpoints/${endpoint.id}`), 204)
    })

    it("tells every subscribed endpoint of the tenant's busy outlets, snoozes, menus and syncs", async () => {
      const other = expectStatus(
        await send<{ endpoint: { endpointId: string }; secret: string }>(o, "POST", "/api/v1/webhook-endpoints", {
          body: {
            url: receiver.url,
            eventTypes: ["outlet.busy_changed", "product.availability_changed", "menu.published", "sync.completed"]
          }
        }),
        201
      )
      const endpointId = other.endpoint.endpointId
      const from = receiver.received.length
      const until = new Date(Date.now() + 3_600_000)
      await deliverectBusyMode(o, "BUSY")
      await deliverectBusyMode(o, "BUSY")
      await deliverectBusyMode(o, "ONLINE")
      await deliverectSnooze(o, ["WNG-06"], until)
      await deliverectSnooze(o, ["WNG-06"], null)
      const menu = await publishMenu(o, "Webhook lunch", [deliverectOutlet], [{ productId: flatWhite }])
      await syncDeliverect(o)
      await sendWebhooks()
      const events = await soon(() => {
        const bodies = firstOfEach(receiver.received.slice(from)).map(
          (r) => new Webhook(other.secret).verify(r.body, r.headers as Record<string, string>) as EventBody
        )
        return bodies.length >= 7 ? bodies.sort((a, b) => a.sequence - b.sequence) : undefined
      })
      expect(events.map((e) => [e.sequence, e.type])).toEqual([
        [1, "outlet.busy_changed"],
        [2, "outlet.busy_changed"],
        [3, "product.availability_changed"],
        [4, "product.availability_changed"],
        [5, "menu.published"],
        [6, "sync.completed"],
        [7, "sync.completed"]
      ])
      expect(events.slice(0, 5).map((e) => e.data)).toEqual([
        { outletId: deliverectOutlet, busyMode: "BUSY", previous: "ONLINE" },
        { outletId: deliverectOutlet, busyMode: "ONLINE", previous: "BUSY" },
        { outletId: deliverectOutlet, productId: flatWhite, snoozedUntil: until.toISOString(), indefinitely: false },
        { outletId: deliverectOutlet, productId: flatWhite, snoozedUntil: null, indefinitely: false },
        {
          menuId: menu.menuId,
          version: menu.version,
          name: "Webhook lunch",
          items: 1,
          publishedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
          outletIds: [deliverectOutlet]
        }
      ])
      expect(events.slice(5).map((e) => [e.data["kind"], e.data["provider"], e.data["status"]])).toEqual([
        ["outlets", "deliverect", "succeeded"],
        ["products", "deliverect", "succeeded"]
      ])
      expect(await delivered(endpointId, 7)).toHaveLength(7)
      expectStatus(await send(o, "DELETE", `/api/v1/webhook-endpoints/${endpointId}`), 204)
    })

    it("retries a 500, no answer and a reset with the same webhook-id, and records the event delivered once", async () => {
      receiver.script.set("order.created", ["500", "hang", "reset", "204"])
      const endpoint = await register(["order.created"])
      const placed = await place()
      await sendWebhooks()
      await soon(async () => {
        const [latest] = await deliveries(endpoint.id)
        return latest?.state === "delivered" ? latest : undefined
      })
      const tries = receivedFor(placed.orderId)
      expect(tries).toHaveLength(4)
      expect(new Set(tries.map((r) => r.headers["webhook-id"])).size).toBe(1)
      const verifier = new Webhook(endpoint.secret)
      for (const r of tries) verifier.verify(r.body, r.headers as Record<string, string>)
      const [delivery] = await deliveries(endpoint.id)
      expect(delivery!.eventId).toBe(tries[0]!.headers["webhook-id"])
      expect(delivery!.attempts.map((a) => [a.attempt, a.statusCode, a.error])).toEqual([
        [1, 500, "answered 500"],
        [2, null, "timeout after 2000 ms"],
        [3, null, "connection reset"],
        [4, 204, null]
      ])
      receiver.script.delete("order.created")
      // Operators see the endpoint's health and its deliveries with every try.
      const adminKey = await firstAdminKey(o.app)
      const admin = adminCalls(
        () => o.app,
        () => adminKey
      )
      const listed = await admin.json<{ data: ReadonlyArray<Record<string, unknown>> }>(
        await admin.call("GET", `/tenants/${tenant}/webhook-endpoints`),
        200
      )
      expect(listed.data.find((e) => e["endpointId"] === endpoint.id)?.["health"]).toEqual({
        pending: 0,
        oldestPendingAt: null,
        lastSuccessAt: expect.stringMatching(/Z$/),
        lastAttemptAt: expect.stringMatching(/Z$/),
        lastError: null
      })
      const recent = await admin.json<{ data: ReadonlyArray<DeliveryView> }>(
        await admin.call("GET", `/tenants/${tenant}/webhook-endpoints/${endpoint.id}/deliveries`),
        200
      )
      expect(recent.data.map((d) => [d.eventId, d.state, d.attempts.length])).toEqual([
        [delivery!.eventId, "delivered", 4]
      ])
      await admin.json(await admin.call("GET", `/tenants/${tenant}/webhook-endpoints/whe_nope/deliveries`), 404)
      expectStatus(await send(o, "DELETE", `/api/v1/webhook-endpoints/${endpoint.id}`), 204)
    })

    it("holds deliveries while the endpoint is disabled, and sends them when it is enabled again", async () => {
      receiver.script.set("order.created", ["500", "500", "500", "500", "500", "500", "500", "500"])
      const endpoint = await register(["order.created"])
      const placed = await place()
      await sendWebhooks()
      await soon(() => (receivedFor(placed.orderId).length >= 1 ? true : undefined))
      const path = `/api/v1/webhook-endpoints/${endpoint.id}`
      expectStatus(await send(o, "PATCH", path, { body: { enabled: false } }), 200)
      const [waiting] = await soon(async () => {
        const listed = await deliveries(endpoint.id)
        return listed[0] !== undefined && listed[0].attempts.length > 0 ? listed : undefined
      })
      expect(waiting!.state).toBe("pending")
      receiver.script.delete("order.created")
      const enabledAt = Date.now()
      expectStatus(await send(o, "PATCH", path, { body: { enabled: true } }), 200)
      const [sent] = await delivered(endpoint.id, 1)
      expect(sent!.attempts.at(-1)).toMatchObject({ statusCode: 204, error: null })
      expect(Date.parse((sent!.attempts.at(-1) as unknown as { startedAt: string }).startedAt)).toBeGreaterThanOrEqual(
        enabledAt - 5
      )
      expectStatus(await send(o, "DELETE", path), 204)
    })

    it("signs with both secrets during a rotation's overlap, and sends a delivery again on request", async () => {
      const endpoint = await register(["order.created"])
      const rotated = expectStatus(
        await send<{ secret: string }>(o, "POST", `/api/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, {
          body: { overlapSeconds: 3600 }
        }),
        200
      )
      const placed = await place()
      await sendWebhooks()
      const [sent] = await soon(() => {
        const found = receivedFor(placed.orderId)
        return found.length > 0 ? found : undefined
      })
      const headers = sent!.headers as Record<string, string>
      expect(headers["webhook-signature"]!.split(" ")).toHaveLength(2)
      for (const secret of [endpoint.secret, rotated.secret]) {
        expect((new Webhook(secret).verify(sent!.body, headers) as EventBody).type).toBe("order.created")
      }
      const [listed] = await delivered(endpoint.id, 1)
      const again = expectStatus(
        await send<DeliveryView>(
          o,
          "POST",
          `/api/v1/webhook-endpoints/${endpoint.id}/deliveries/${listed!.deliveryId}/redeliver`
        ),
        202
      )
      expect(again).toMatchObject({ state: "pending", eventId: listed!.eventId })
      await sendWebhooks()
      const twice = await soon(() => {
        const found = receivedFor(placed.orderId)
        return found.length === 2 ? found : undefined
      })
      expect(twice[1]!.headers["webhook-id"]).toBe(twice[0]!.headers["webhook-id"])
      const [after] = await soon(async () => {
        const listed = await deliveries(endpoint.id)
        return listed[0]?.attempts.length === 2 && listed[0].state === "delivered" ? listed : undefined
      })
      expect(after!.attempts.map((a) => [a.attempt, a.statusCode])).toEqual([
        [1, 204],
        [2, 204]
      ])
      // An unknown delivery, or another endpoint's, is a 404.
      expectStatus(
        await send(o, "POST", `/api/v1/webhook-endpoints/${endpoint.id}/deliveries/whd_${"0".repeat(32)}/redeliver`),
        404
      )
      expectStatus(
        await send(o, "GET", `/api/v1/webhook-endpoints/${endpoint.id}/deliveries`, { key: o.editorKey }),
        403
      )
      expectStatus(await send(o, "DELETE", `/api/v1/webhook-endpoints/${endpoint.id}`), 204)
    })

    it("sent only bodies the OpenAPI document's webhooks section describes", () => {
      expect(receiver.received.length).toBeGreaterThan(10)
      for (const r of receiver.received) {
        const body = JSON.parse(r.body) as EventBody
        expect(Object.keys(webhookEventData)).toContain(body.type)
        Schema.decodeUnknownSync(webhookEventSchema(body.type as DocumentedEventType), {
          onExcessProperty: "error"
        })(body)
      }
    })
  })
}
