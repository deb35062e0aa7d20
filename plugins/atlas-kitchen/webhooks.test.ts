import type { WebhookRequest } from "@pos-integration/sdk"
import { describe, expect, it } from "vitest"
import { credentials, signed } from "./fixtures/index.ts"
import menuUpdated from "./fixtures/webhook-menu-updated.json" with { type: "json" }
import orderCreated from "./fixtures/webhook-order-created.json" with { type: "json" }
import stockBack from "./fixtures/webhook-stock-back.json" with { type: "json" }
import stockSoldOut from "./fixtures/webhook-stock-sold-out.json" with { type: "json" }
import plugin from "./index.ts"
import { orderStatus } from "./src/order-status.ts"
import { failure, pathsOf, run } from "./test-support.ts"

const withHeaders = (request: WebhookRequest, headers: Record<string, string | undefined>): WebhookRequest => ({
  ...request,
  headers: { "content-type": "application/json", ...headers }
})

const raw = (text: string, headers: Record<string, string> = {}): WebhookRequest => ({
  headers,
  body: new TextEncoder().encode(text)
})

describe("verifyWebhook: Atlas's per-endpoint token", () => {
  it("accepts the outlet's token as a Bearer token or in X-Webhook-Token", async () => {
    await run(plugin.verifyWebhook(signed(stockSoldOut), credentials))
    const custom = withHeaders(signed(stockSoldOut), { "X-Webhook-Token": credentials.webhookToken })
    await run(plugin.verifyWebhook(custom, credentials))
    const lowerScheme = withHeaders(signed(stockSoldOut), { Authorization: `bearer ${credentials.webhookToken}` })
    await run(plugin.verifyWebhook(lowerScheme, credentials))
  })

  it("refuses a wrong, missing or differently-schemed token", async () => {
    const wrong = withHeaders(signed(stockSoldOut), { authorization: "Bearer whk_raffles_3f9a1c7e5b2d4f61" })
    expect(await failure(plugin.verifyWebhook(wrong, credentials))).toMatchObject({
      _tag: "WebhookRejected",
      reason: "token mismatch"
    })
    const missing = withHeaders(signed(stockSoldOut), {})
    expect(await failure(plugin.verifyWebhook(missing, credentials))).toMatchObject({
      _tag: "WebhookRejected",
      reason: "missing token"
    })
    const basic = withHeaders(signed(stockSoldOut), { authorization: `Basic ${credentials.webhookToken}` })
    expect((await failure(plugin.verifyWebhook(basic, credentials)))._tag).toBe("WebhookRejected")
    const prefix = withHeaders(signed(stockSoldOut), {
      authorization: `Bearer ${credentials.webhookToken.slice(0, -1)}`
    })
    expect((await failure(plugin.verifyWebhook(prefix, credentials)))._tag).toBe("WebhookRejected")
  })

  it("refuses a body tampered to name another outlet: that outlet's token does not match", async () => {
    const tampered = signed({ ...stockSoldOut, payload: { ...stockSoldOut.payload, outlet_id: 2 } })
    expect(await run(plugin.webhookOutlet(tampered))).toBe("2")
    const tanjongPagar = { ...credentials, webhookToken: "whk_tanjong_8c1d2e3f4a5b6c7d" }
    expect((await failure(plugin.verifyWebhook(tampered, tanjongPagar)))._tag).toBe("WebhookRejected")
  })
})

describe("webhookOutlet", () => {
  it("reads payload.outlet_id from stock and order events", async () => {
    expect(await run(plugin.webhookOutlet(signed(stockSoldOut)))).toBe("1")
    expect(await run(plugin.webhookOutlet(signed(orderCreated)))).toBe("1")
  })

  it("takes the X-Outlet-Id header for menu.updated, which names no outlet", async () => {
    expect(await run(plugin.webhookOutlet(signed(menuUpdated, { "X-Outlet-Id": " 3 " })))).toBe("3")
    const rejected = await failure(plugin.webhookOutlet(signed(menuUpdated)))
    expect(pathsOf(rejected)).toEqual(["payload.outlet_id"])
    expect(rejected.issues[0]!.message).toContain("X-Outlet-Id")
  })

  it("refuses bodies that are not Atlas webhooks", async () => {
    expect(pathsOf(await failure(plugin.webhookOutlet(raw("not json"))))).toEqual(["(root)"])
    expect(pathsOf(await failure(plugin.webhookOutlet(raw('{"payload":{"outlet_id":"one"}}'))))).toEqual([
      "payload.outlet_id"
    ])
    expect(pathsOf(await failure(plugin.webhookOutlet(raw("[]"))))).toEqual(["(root)"])
  })
})

describe("decodeWebhook", () => {
  it("maps menu.updated to a merchant-wide MenuChanged", async () => {
    expect(await run(plugin.decodeWebhook(signed(menuUpdated, { "x-outlet-id": "1" })))).toEqual([
      { _tag: "MenuChanged", externalOutletId: null }
    ])
  })

  it("maps a sold-out item to an open-ended snooze at its outlet", async () => {
    expect(await run(plugin.decodeWebhook(signed(stockSoldOut)))).toEqual([
      { _tag: "ItemsSnoozed", externalOutletId: "1", items: [{ posCode: "380", until: null }] }
    ])
  })

  it("maps an item back in stock to a snooze that ended at the event's time", async () => {
    expect(await run(plugin.decodeWebhook(signed(stockBack)))).toEqual([
      { _tag: "ItemsSnoozed", externalOutletId: "1", items: [{ posCode: "380", until: "2024-09-27T09:43:20.000Z" }] }
    ])
  })

  it("maps order events to OrderStatusChanged; an unknown state is status null", async () => {
    expect(await run(plugin.decodeWebhook(signed(orderCreated)))).toEqual([
      {
        _tag: "OrderStatusChanged",
        refCode: "CATA000123",
        posOrderId: "85",
        status: null,
        vendorStatus: "unpaid",
        reason: null,
        at: "2024-09-27T07:43:20.000Z"
      }
    ])
    const cancelled = {
      ...orderCreated,
      event_type: "order.updated",
      payload: { ...orderCreated.payload, state: "cancelled", external_order_id: null }
    }
    expect(await run(plugin.decodeWebhook(signed(cancelled)))).toEqual([
      {
        _tag: "OrderStatusChanged",
        refCode: null,
        posOrderId: "85",
        status: "CANCELLED",
        vendorStatus: "cancelled",
        reason: null,
        at: "2024-09-27T07:43:20.000Z"
      }
    ])
  })

  it("knows the order states with a canonical meaning and nothing else", () => {
    expect(["confirmed", "completed", "cancelled", "Canceled"].map(orderStatus)).toEqual([
      "ACCEPTED",
      "COMPLETED",
      "CANCELLED",
      "CANCELLED"
    ])
    expect(["unpaid", "", "toString", "constructor", "__proto__", "preparing?"].map(orderStatus)).toEqual([
      null,
      null,
      null,
      null,
      null,
      null
    ])
  })

  it("answers no events for event types the core has no use for", async () => {
    const outlet = { event_type: "outlet.updated", event_at: 1727423000, payload: { id: 1, name: "Raffles" } }
    expect(await run(plugin.decodeWebhook(signed(outlet)))).toEqual([])
  })

  it("refuses malformed events with the path of the problem", async () => {
    const noItem = { ...stockSoldOut, payload: { outlet_id: 1, is_available: false } }
    expect(pathsOf(await failure(plugin.decodeWebhook(signed(noItem))))).toEqual(["payload.item_id"])
    const noTime = { event_type: "menu.updated", payload: { menu_id: 1 } }
    expect(pathsOf(await failure(plugin.decodeWebhook(signed(noTime))))).toEqual(["event_at"])
    const farFuture = { ...menuUpdated, event_at: 9e15 }
    expect(pathsOf(await failure(plugin.decodeWebhook(signed(farFuture))))).toEqual(["event_at"])
    const invalidUtf8: WebhookRequest = { headers: {}, body: new Uint8Array([0x7b, 0xff, 0x7d]) }
    expect(pathsOf(await failure(plugin.decodeWebhook(invalidUtf8)))).toEqual(["(root)"])
  })
})
