import { makeWebhookRequest, WebhookRejected } from "@pos-integration/sdk"
import { describe, expect, it } from "vitest"
import {
  account,
  basicAuth,
  credentials,
  fixtures,
  notificationRequest,
  payloads,
  webhookUrl
} from "./fixtures/index.ts"
import plugin from "./index.ts"
import { fail, rejected, succeed } from "./test-support.ts"

const token = { "x-webhook-token": account.webhookToken }

const refused = async (request: Parameters<typeof plugin.verifyWebhook>[0]) => {
  const error = await fail(plugin.verifyWebhook(request, credentials))
  expect(error).toBeInstanceOf(WebhookRejected)
  return error
}

describe("verifyWebhook", () => {
  it("accepts every fixture as sent", async () => {
    for (const fixture of fixtures.webhooks) {
      await succeed(plugin.verifyWebhook(fixture.request, fixture.credentials))
    }
  })

  it("accepts the token as x-webhook-token (any header case) or as the Basic-auth password", async () => {
    await succeed(plugin.verifyWebhook(notificationRequest(payloads.orderSuccess, token), credentials))
    await succeed(
      plugin.verifyWebhook(
        notificationRequest(payloads.orderSuccess, { "X-Webhook-Token": account.webhookToken }),
        credentials
      )
    )
    await succeed(
      plugin.verifyWebhook(
        notificationRequest(payloads.orderSuccess, {
          authorization: basicAuth("lightspeed", account.webhookToken)
        }),
        credentials
      )
    )
  })

  it("refuses a missing or wrong token", async () => {
    expect((await refused(notificationRequest(payloads.orderSuccess, {}))).reason).toBe("missing token")
    expect(
      (await refused(notificationRequest(payloads.orderSuccess, { "x-webhook-token": "whk_wrong_token_0000" }))).reason
    ).toBe("token mismatch")
    await refused(notificationRequest(payloads.orderSuccess, { "x-webhook-token": "" }))
    await refused(
      notificationRequest(payloads.orderSuccess, { authorization: basicAuth("lightspeed", "not-the-token-000") })
    )
    await refused(notificationRequest(payloads.orderSuccess, { authorization: `Bearer ${account.webhookToken}` }))
    await refused(notificationRequest(payloads.orderSuccess, { authorization: "Basic %%%" }))
    // A wrong header is not rescued by a right Basic password.
    await refused(
      notificationRequest(payloads.orderSuccess, {
        "x-webhook-token": "whk_wrong_token_0000",
        authorization: basicAuth("lightspeed", account.webhookToken)
      })
    )
  })

  it("authenticates the sender, not the body: Lightspeed signs nothing, so a token cannot detect tampering", async () => {
    // Integrity rests on TLS; what is refused is any request without the outlet's secret.
    const tampered = notificationRequest({ ...payloads.orderSuccess, status: "CANCELLED" }, token)
    await succeed(plugin.verifyWebhook(tampered, credentials))
    await refused(notificationRequest({ ...payloads.orderSuccess, status: "CANCELLED" }, {}))
  })

  it("refuses another business's token", async () => {
    const other = { outlet: {}, account: { ...account, webhookToken: "whk_another_business_token" } }
    await fail(plugin.verifyWebhook(notificationRequest(payloads.orderSuccess, token), other))
  })

  it("takes the token from the business (account level) only: without one, every notification is refused", async () => {
    const { webhookToken: _, ...withoutToken } = account
    for (const bare of [
      { outlet: {}, account: null },
      { outlet: {}, account: withoutToken },
      { outlet: null, account: null }
    ]) {
      const error = await fail(plugin.verifyWebhook(notificationRequest(payloads.orderSuccess, token), bare))
      expect(error).toEqual(new WebhookRejected({ reason: "no webhook token is set for the business" }))
    }
  })
})

describe("webhookOutlet", () => {
  it("reads the business location from the body: the subject is that outlet, whose business holds the token", async () => {
    expect(await succeed(plugin.webhookOutlet(fixtures.webhooks[0]!.request))).toEqual({
      _tag: "Outlet",
      externalOutletId: "45454565682155"
    })
    // businessLocationId sent as a string of digits
    expect(await succeed(plugin.webhookOutlet(fixtures.webhooks[4]!.request))).toEqual({
      _tag: "Outlet",
      externalOutletId: "247158188015618"
    })
  })

  it("is a PayloadRejected when the body names no location or is not JSON", async () => {
    const { businessLocationId: _, ...anonymous } = payloads.orderSuccess
    expect((await rejected(plugin.webhookOutlet(notificationRequest(anonymous, token)))).issues[0]?.path).toBe(
      "businessLocationId"
    )
    await rejected(plugin.webhookOutlet(makeWebhookRequest({ url: webhookUrl, body: "{not json" })))
    await rejected(
      plugin.webhookOutlet(makeWebhookRequest({ url: webhookUrl, body: new Uint8Array([0xff, 0xfe, 0x7b]) }))
    )
  })
})

describe("decodeWebhook", () => {
  const decode = (payload: unknown) => succeed(plugin.decodeWebhook(notificationRequest(payload, token)))

  it("gives the declared number of events for every fixture", async () => {
    for (const fixture of fixtures.webhooks) {
      expect(await succeed(plugin.decodeWebhook(fixture.request))).toHaveLength(fixture.expectedEvents)
    }
  })

  it("maps an order SUCCESS to ACCEPTED with the POS account identifier", async () => {
    expect(await decode(payloads.orderSuccess)).toEqual([
      {
        _tag: "OrderStatusChanged",
        refCode: "CATA-000123",
        posOrderId: "A123080.14",
        status: "ACCEPTED",
        vendorStatus: "SUCCESS",
        reason: null,
        at: null
      }
    ])
  })

  it("maps every documented order status", async () => {
    const statusOf = async (status: string) => (await decode({ ...payloads.orderFailure, status }))[0]
    const expected = {
      SUCCESS: "ACCEPTED",
      FAILURE: "REJECTED",
      IN_DELIVERY: "IN_DELIVERY",
      READY_FOR_PICKUP: "READY",
      DELIVERED: "COMPLETED",
      CLOSED: "COMPLETED",
      ABANDONED: "CANCELLED",
      CANCELLED: "CANCELLED"
    } as const
    for (const [vendor, canonical] of Object.entries(expected)) {
      expect(await statusOf(vendor)).toMatchObject({
        _tag: "OrderStatusChanged",
        status: canonical,
        vendorStatus: vendor
      })
    }
  })

  it("keeps the reason of a FAILURE", async () => {
    expect((await decode(payloads.orderFailure))[0]).toMatchObject({
      refCode: "CATA-000125",
      status: "REJECTED",
      reason: "Item with sku 99 not found"
    })
  })

  it("maps unknown statuses, types and PAYMENT notifications to status null, never failing", async () => {
    expect((await decode(payloads.orderUnknown))[0]).toMatchObject({ status: null, vendorStatus: "ON_HOLD" })
    expect((await decode(payloads.paymentFailure))[0]).toMatchObject({
      status: null,
      vendorStatus: "PAYMENT:FAILURE",
      refCode: "CATA-000123",
      posOrderId: "A78094.73"
    })
    expect((await decode({ ...payloads.orderSuccess, type: "ACCOUNT", status: "CHECK_WAS_UPDATED" }))[0]).toMatchObject(
      {
        status: null,
        vendorStatus: "ACCOUNT:CHECK_WAS_UPDATED"
      }
    )
    // "toString" must not be found on the status table's prototype.
    expect((await decode({ ...payloads.orderSuccess, status: "toString" }))[0]).toMatchObject({ status: null })
  })

  it("falls back to the deprecated V2 account id, and treats a missing type as ORDER", async () => {
    const { ikentooAccountIdentifier: _, type: __, ...v2 } = payloads.orderSuccess
    expect((await decode(v2))[0]).toMatchObject({ status: "ACCEPTED", posOrderId: "2114502594134196" })
  })

  it("refuses a body that is not an order notification, naming the path", async () => {
    expect((await rejected(plugin.decodeWebhook(notificationRequest({ status: 20 }, token)))).issues[0]?.path).toBe(
      "status"
    )
    expect(
      (await rejected(plugin.decodeWebhook(notificationRequest([payloads.orderSuccess], token)))).issues[0]?.path
    ).toBe("(root)")
    await rejected(plugin.decodeWebhook(makeWebhookRequest({ url: webhookUrl, body: new Uint8Array() })))
  })
})
