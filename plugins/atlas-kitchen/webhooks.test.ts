import { makeWebhookRequest, UNTIL_FURTHER_NOTICE, type WebhookRequest } from "@pos-integration/sdk"
import { describe, expect, it } from "vitest"
import {
  accountCredentials,
  bareWebhookUrl,
  credentials,
  merchantCredentials,
  outletCredentials,
  signed,
  webhookUrl
} from "./fixtures/index.ts"
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

const raw = (text: string, headers: Record<string, string> = {}): WebhookRequest =>
  makeWebhookRequest({ url: webhookUrl, headers, body: text })

/** Another merchant (the Kuala Lumpur channel's), with its own key and endpoint token. */
const otherMerchant = {
  ...accountCredentials,
  merchantId: "232",
  apiKey: "7d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a",
  channelId: "atlas-cafe-my",
  webhookToken: "whk_merchant_232_1a2b3c4d5e6f7a8b"
}

const rejectedReason = async (request: WebhookRequest, given: Parameters<typeof plugin.verifyWebhook>[1]) => {
  const rejected = await failure(plugin.verifyWebhook(request, given))
  expect(rejected._tag).toBe("WebhookRejected")
  return rejected.reason
}

describe("verifyWebhook: the token of the outlet's or the merchant's endpoint", () => {
  it("accepts the merchant's token as a Bearer token (any case of the scheme) or in X-Webhook-Token", async () => {
    const token = accountCredentials.webhookToken!
    for (const given of [merchantCredentials, credentials]) {
      await run(plugin.verifyWebhook(signed(menuUpdated), given))
      await run(plugin.verifyWebhook(withHeaders(signed(menuUpdated), { "X-Webhook-Token": token }), given))
      await run(plugin.verifyWebhook(withHeaders(signed(menuUpdated), { Authorization: `bearer ${token}` }), given))
    }
  })

  it("accepts the outlet's own token for that outlet's events", async () => {
    const request = signed(stockSoldOut, { url: bareWebhookUrl, token: outletCredentials.webhookToken })
    await run(plugin.verifyWebhook(request, credentials))
    await run(plugin.verifyWebhook(request, { outlet: outletCredentials, account: null }))
  })

  it("refuses a wrong, missing or differently-schemed token", async () => {
    const token = accountCredentials.webhookToken!
    const wrong = withHeaders(signed(stockSoldOut), { authorization: "Bearer whk_merchant_231_9d8e7f6a5b4c3d2f" })
    expect(await rejectedReason(wrong, credentials)).toBe("token mismatch")
    expect(await rejectedReason(withHeaders(signed(stockSoldOut), {}), credentials)).toBe("missing token")
    expect(
      await rejectedReason(withHeaders(signed(stockSoldOut), { authorization: `Basic ${token}` }), credentials)
    ).toBe("missing token")
    const prefix = withHeaders(signed(stockSoldOut), { authorization: `Bearer ${token.slice(0, -1)}` })
    expect(await rejectedReason(prefix, credentials)).toBe("token mismatch")
    // Another merchant's token does not vouch for this one.
    const foreign = signed(menuUpdated, { token: otherMerchant.webhookToken })
    expect(await rejectedReason(foreign, merchantCredentials)).toBe("token mismatch")
  })

  it("does not take an outlet's token for an event about the whole merchant", async () => {
    const request = signed(menuUpdated, { token: outletCredentials.webhookToken })
    expect(await run(plugin.webhookOutlet(request))).toEqual({ _tag: "Account", accountId: "231" })
    // The core hands over no outlet credentials for the merchant: only the merchant's token counts.
    expect(await rejectedReason(request, merchantCredentials)).toBe("token mismatch")
  })

  it("refuses every request when no token is set at either level", async () => {
    const { webhookToken: _, ...keyOnly } = accountCredentials
    const reason = "no webhook token is set for this outlet or its merchant"
    expect(await rejectedReason(signed(menuUpdated), { outlet: null, account: keyOnly })).toBe(reason)
    expect(await rejectedReason(signed(menuUpdated), { outlet: null, account: null })).toBe(reason)
  })

  it("refuses a URL tampered to name another merchant: that merchant's token does not match", async () => {
    const tampered = signed(menuUpdated, { url: webhookUrl.replace("merchant=231", "merchant=232") })
    expect(await run(plugin.webhookOutlet(tampered))).toEqual({ _tag: "Account", accountId: "232" })
    expect(await rejectedReason(tampered, { outlet: null, account: otherMerchant })).toBe("token mismatch")
  })

  it("refuses a body tampered to name another merchant's outlet: that outlet's tokens do not match", async () => {
    const tampered = signed(
      { ...stockSoldOut, payload: { ...stockSoldOut.payload, outlet_id: 41 } },
      {
        url: bareWebhookUrl
      }
    )
    expect(await run(plugin.webhookOutlet(tampered))).toEqual({ _tag: "Outlet", externalOutletId: "41" })
    const bangsar = { outlet: { webhookToken: "whk_bangsar_0a9b8c7d6e5f4a3b" }, account: otherMerchant }
    expect(await rejectedReason(tampered, bangsar)).toBe("token mismatch")
  })

  it("refuses a URL naming another merchant than the one the outlet belongs to, even with a valid token", async () => {
    const request = signed(stockSoldOut, {
      url: webhookUrl.replace("merchant=231", "merchant=232"),
      token: outletCredentials.webhookToken
    })
    expect(await rejectedReason(request, credentials)).toBe("the webhook URL names another merchant")
  })

  it("refuses a URL naming two merchants", async () => {
    const request = signed(menuUpdated, { url: `${webhookUrl}&merchant=232` })
    expect(await rejectedReason(request, merchantCredentials)).toBe("the webhook URL does not name one merchant")
  })
})

describe("webhookOutlet", () => {
  it("reads payload.outlet_id from stock and order events, whether or not the URL names the merchant", async () => {
    for (const url of [webhookUrl, bareWebhookUrl]) {
      expect(await run(plugin.webhookOutlet(signed(stockSoldOut, { url })))).toEqual({
        _tag: "Outlet",
        externalOutletId: "1"
      })
      expect(await run(plugin.webhookOutlet(signed(orderCreated, { url })))).toEqual({
        _tag: "Outlet",
        externalOutletId: "1"
      })
    }
  })

  it("answers the merchant of ?merchant= for menu.updated, which names no outlet", async () => {
    expect(await run(plugin.webhookOutlet(signed(menuUpdated)))).toEqual({ _tag: "Account", accountId: "231" })
    const other = signed(menuUpdated, { url: `${bareWebhookUrl}?merchant=atlas-merchant-id-1` })
    expect(await run(plugin.webhookOutlet(other))).toEqual({ _tag: "Account", accountId: "atlas-merchant-id-1" })
  })

  it("takes an X-Outlet-Id header when the URL names no merchant", async () => {
    const request = signed(menuUpdated, { url: bareWebhookUrl, headers: { "X-Outlet-Id": " 3 " } })
    expect(await run(plugin.webhookOutlet(request))).toEqual({ _tag: "Outlet", externalOutletId: "3" })
    // The merchant of the URL wins over the header.
    const both = signed(menuUpdated, { headers: { "X-Outlet-Id": "3" } })
    expect(await run(plugin.webhookOutlet(both))).toEqual({ _tag: "Account", accountId: "231" })
  })

  it("refuses menu.updated naming neither, saying how to register the endpoint", async () => {
    const rejected = await failure(plugin.webhookOutlet(signed(menuUpdated, { url: bareWebhookUrl })))
    expect(pathsOf(rejected)).toEqual(["payload.outlet_id"])
    expect(rejected.issues[0]!.message).toContain("?merchant=<merchant id>")
  })

  it("refuses a merchant query that is not one plain id", async () => {
    for (const url of [
      `${webhookUrl}&merchant=232`,
      `${bareWebhookUrl}?merchant=`,
      `${bareWebhookUrl}?merchant=two%20words`,
      `${bareWebhookUrl}?merchant=${"9".repeat(129)}`
    ]) {
      const rejected = await failure(plugin.webhookOutlet(signed(stockSoldOut, { url })))
      expect(pathsOf(rejected)).toEqual(["?merchant"])
      expect(pathsOf(await failure(plugin.decodeWebhook(signed(stockSoldOut, { url }))))).toEqual(["?merchant"])
    }
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
  it("maps menu.updated to a MenuChanged for every outlet of the merchant the URL names", async () => {
    expect(await run(plugin.decodeWebhook(signed(menuUpdated)))).toEqual([
      { _tag: "MenuChanged", externalOutletId: null, accountId: "231" }
    ])
  })

  it("maps menu.updated on an endpoint naming no merchant to a MenuChanged for the webhook's subject", async () => {
    const request = signed(menuUpdated, { url: bareWebhookUrl, headers: { "x-outlet-id": "1" } })
    expect(await run(plugin.decodeWebhook(request))).toEqual([
      { _tag: "MenuChanged", externalOutletId: null, accountId: null }
    ])
  })

  it("maps a sold-out item to a snooze until further notice at its outlet", async () => {
    expect(await run(plugin.decodeWebhook(signed(stockSoldOut)))).toEqual([
      { _tag: "ItemsSnoozed", externalOutletId: "1", items: [{ posCode: "380", until: UNTIL_FURTHER_NOTICE }] }
    ])
  })

  it("maps an item back in stock to no snooze", async () => {
    expect(await run(plugin.decodeWebhook(signed(stockBack)))).toEqual([
      { _tag: "ItemsSnoozed", externalOutletId: "1", items: [{ posCode: "380", until: null }] }
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
    const invalidUtf8 = makeWebhookRequest({ url: webhookUrl, body: new Uint8Array([0x7b, 0xff, 0x7d]) })
    expect(pathsOf(await failure(plugin.decodeWebhook(invalidUtf8)))).toEqual(["(root)"])
  })
})
