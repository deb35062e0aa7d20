import type { PosEvent, WebhookRequest } from "@pos-integration/sdk"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { credentials, fixtures, marinaBay, signedRequest } from "./fixtures/index.ts"
import webhookOrderAccepted from "./fixtures/webhook-order-accepted.json" with { type: "json" }
import plugin from "./index.ts"
import { canonicalStatus } from "./src/order-status.ts"
import { failed, issuesOf, outcome, succeeded } from "./test-helpers.ts"

const accepted = fixtures.webhooks[0]!.request

/** An unsigned request carrying this JSON: for decoding, which runs after verification. */
const body = (payload: unknown): WebhookRequest => ({
  headers: {},
  body: new TextEncoder().encode(typeof payload === "string" ? payload : JSON.stringify(payload))
})

const hmacHex = async (secret: string, bytes: Uint8Array): Promise<string> => {
  const encoder = new TextEncoder()
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign"
  ])
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, bytes as Uint8Array<ArrayBuffer>))
  return [...signature].map((byte) => byte.toString(16).padStart(2, "0")).join("")
}

describe("verifyWebhook", () => {
  it.each(fixtures.webhooks)("a correctly signed request verifies: $name", async ({ request, credentials }) => {
    await succeeded(plugin.verifyWebhook(request, credentials))
  })

  it("the fixture signatures are HMAC-SHA256 of the body with the secret", async () => {
    for (const { request } of fixtures.webhooks) {
      const presented = Object.entries(request.headers).find(
        ([name]) => name.toLowerCase() === "x-deliverect-signature"
      )?.[1]
      expect(presented).toBe(await hmacHex(credentials.webhookSecret, request.body))
    }
  })

  it("a tampered body is rejected", async () => {
    const tampered = {
      ...accepted,
      body: new TextEncoder().encode(JSON.stringify({ ...webhookOrderAccepted, status: 90 }))
    }
    expect((await failed(plugin.verifyWebhook(tampered, credentials)))._tag).toBe("WebhookRejected")
  })

  it("a one-byte change is rejected", async () => {
    const bytes = accepted.body.slice()
    bytes[10] = bytes[10]! ^ 1
    expect((await failed(plugin.verifyWebhook({ ...accepted, body: bytes }, credentials)))._tag).toBe("WebhookRejected")
  })

  it("a wrong signature is rejected", async () => {
    const request = signedRequest(webhookOrderAccepted, "00".repeat(32))
    expect(await failed(plugin.verifyWebhook(request, credentials))).toMatchObject({
      _tag: "WebhookRejected",
      reason: "signature mismatch"
    })
  })

  it("a signature made with another secret is rejected", async () => {
    const request = signedRequest(webhookOrderAccepted, await hmacHex("another secret", accepted.body))
    expect((await failed(plugin.verifyWebhook(request, credentials)))._tag).toBe("WebhookRejected")
  })

  it("the right signature checked against another outlet's secret is rejected", async () => {
    expect(
      (await failed(plugin.verifyWebhook(accepted, { ...credentials, webhookSecret: "65ddbe003110fd505a9e7be4" })))._tag
    ).toBe("WebhookRejected")
  })

  it.each([
    ["missing", {}],
    ["empty", { "x-deliverect-signature": "" }],
    ["not hex", { "x-deliverect-signature": "not-a-signature" }],
    ["under another header", { "x-signature": "2f92d55b237d674510d14bfde00b5d4cb26df252a62d0f3c195f0c433cd1d6ab" }]
  ])("a %s signature is rejected", async (_name, headers) => {
    expect((await failed(plugin.verifyWebhook({ headers, body: accepted.body }, credentials)))._tag).toBe(
      "WebhookRejected"
    )
  })
})

describe("webhookOutlet", () => {
  it.each(fixtures.webhooks)("reads the channel link: $name", async ({ request }) => {
    expect(await succeeded(plugin.webhookOutlet(request))).toBe(marinaBay)
  })

  it.each([
    ["not JSON", "{not json"],
    ["JSON without a channel link", { orderId: "1", status: 20 }],
    ["null", "null"],
    ["an empty channel link", { channelLinkId: "" }]
  ])("%s is a rejected payload", async (_name, payload) => {
    expect(issuesOf(await failed(plugin.webhookOutlet(body(payload)))).length).toBeGreaterThan(0)
  })

  it("invalid UTF-8 is a rejected payload", async () => {
    const issues = issuesOf(
      await failed(plugin.webhookOutlet({ headers: {}, body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) }))
    )
    expect(issues).toEqual([{ path: "(root)", message: "the body is not JSON" }])
  })
})

describe("decodeWebhook", () => {
  it.each(fixtures.webhooks)("decodes the fixture to its events: $name", async ({ request, expectedEvents }) => {
    expect(await succeeded(plugin.decodeWebhook(request))).toHaveLength(expectedEvents)
  })

  it("maps an order status update", async () => {
    expect(await succeeded(plugin.decodeWebhook(accepted))).toEqual<Array<PosEvent>>([
      {
        _tag: "OrderStatusChanged",
        refCode: "CATA-000123",
        posOrderId: "65f1a2b3c4d5e6f7a8b9c0d1",
        status: "ACCEPTED",
        vendorStatus: "20",
        reason: null,
        at: "2024-03-24T12:05:33.123Z"
      }
    ])
  })

  it("keeps the reason of a cancellation", async () => {
    const [event] = await succeeded(plugin.decodeWebhook(fixtures.webhooks[2]!.request))
    expect(event).toMatchObject({ status: "CANCELLED", vendorStatus: "110", reason: "Item out of stock" })
  })

  it("an unknown status and an unreadable timestamp map to null, never fail", async () => {
    const [event] = await succeeded(plugin.decodeWebhook(fixtures.webhooks[3]!.request))
    expect(event).toMatchObject({ _tag: "OrderStatusChanged", status: null, vendorStatus: "60", at: null })
  })

  it.each([
    [20, "ACCEPTED"],
    [50, "PREPARING"],
    [70, "READY"],
    [80, "IN_DELIVERY"],
    [90, "COMPLETED"],
    [95, "COMPLETED"],
    [100, "CANCELLED"],
    [110, "CANCELLED"],
    [120, "FAILED"],
    [121, "FAILED"],
    [124, "FAILED"],
    ["20", "ACCEPTED"],
    [" 90 ", "COMPLETED"],
    ["READY_FOR_PICKUP", "READY"],
    ["canceled", "CANCELLED"],
    ["AUTO_FINALIZED", "COMPLETED"],
    [1, null],
    [2, null],
    [10, null],
    [30, null],
    [40, null],
    [60, null],
    [999, null],
    [20.5, null],
    [-1, null],
    ["", null],
    ["SOMETHING_NEW", null]
  ] as const)("status %j -> %s", async (status, expected) => {
    expect(canonicalStatus(status)).toBe(expected)
    const [event] = await succeeded(plugin.decodeWebhook(body({ ...webhookOrderAccepted, status })))
    expect(event).toMatchObject({ status: expected, vendorStatus: String(status) })
  })

  it("maps a snooze, with allSnoozedItems, each item once; no end means until further notice", async () => {
    expect(await succeeded(plugin.decodeWebhook(fixtures.webhooks[4]!.request))).toEqual<Array<PosEvent>>([
      {
        _tag: "ItemsSnoozed",
        externalOutletId: marinaBay,
        items: [
          { posCode: "WNG-06", until: "2024-03-24T22:21:54.000Z" },
          { posCode: "DRK-LEM", until: "2024-03-25T09:00:00.955Z" },
          { posCode: "MILK-OAT", until: "9999-12-31T23:59:59.999Z" },
          { posCode: "STK-01", until: "2024-03-24T20:00:00.000Z" }
        ]
      }
    ])
  })

  it("maps an unsnooze to available items, skipping an item without a plu", async () => {
    expect(await succeeded(plugin.decodeWebhook(fixtures.webhooks[5]!.request))).toEqual<Array<PosEvent>>([
      { _tag: "ItemsSnoozed", externalOutletId: marinaBay, items: [{ posCode: "WNG-06", until: null }] }
    ])
  })

  it("reads allSnoozedItems where Deliverect actually sends it (beside data)", async () => {
    const events = await succeeded(
      plugin.decodeWebhook(
        body({
          channelLinkId: marinaBay,
          operations: [
            {
              action: "snooze",
              data: { items: [{}] },
              allSnoozedItems: [{ plu: "PIE1", snoozeEnd: "2020-03-24T22:21:54.955000Z" }]
            }
          ]
        })
      )
    )
    expect(events).toEqual([
      {
        _tag: "ItemsSnoozed",
        externalOutletId: marinaBay,
        items: [{ posCode: "PIE1", until: "2020-03-24T22:21:54.955Z" }]
      }
    ])
  })

  it("rejects a snooze with an unreadable end, naming the item", async () => {
    const issues = issuesOf(
      await failed(
        plugin.decodeWebhook(
          body({
            channelLinkId: marinaBay,
            operations: [{ action: "snooze", data: { items: [{ plu: "X", snoozeEnd: "soon" }] } }]
          })
        )
      )
    )
    expect(issues).toEqual([
      { path: "operations[0].data.items[0].snoozeEnd", message: "not a Deliverect date-time: soon" }
    ])
  })

  it("ignores snooze operations it does not know", async () => {
    expect(
      await succeeded(
        plugin.decodeWebhook(
          body({ channelLinkId: marinaBay, operations: [{ action: "hide", data: { items: [{ plu: "X" }] } }] })
        )
      )
    ).toEqual([])
  })

  it.each(["ONLINE", "BUSY", "PAUSED", "paused"])("maps busy mode %s", async (status) => {
    expect(await succeeded(plugin.decodeWebhook(body({ channelLinkId: marinaBay, status })))).toEqual([
      { _tag: "BusyModeChanged", externalOutletId: marinaBay, mode: status.toUpperCase() }
    ])
  })

  it("rejects a busy mode it does not know", async () => {
    expect(issuesOf(await failed(plugin.decodeWebhook(body({ channelLinkId: marinaBay, status: "CLOSED" }))))).toEqual([
      { path: "status", message: "not a busy mode (ONLINE, BUSY or PAUSED): CLOSED" }
    ])
  })

  it("a successful menu publish report is a menu change; a failed one is nothing", async () => {
    const report = (status: string) => [{ eventType: "menuPush", channelLinkId: marinaBay, status }]
    expect(await succeeded(plugin.decodeWebhook(body(report("success"))))).toEqual([
      { _tag: "MenuChanged", externalOutletId: marinaBay }
    ])
    expect(await succeeded(plugin.decodeWebhook(body(report("failed"))))).toEqual([])
  })

  it.each([
    ["not JSON", '{"status": 20'],
    ["null", "null"],
    ["a number", "42"],
    ["a string", '"ACCEPTED"'],
    ["an unrelated object", { hello: "world" }],
    ["an order update without a status", { orderId: "1", channelOrderId: "2" }],
    ["a status of the wrong type", { orderId: "1", status: { code: 20 } }],
    ["operations that are no list", { channelLinkId: marinaBay, operations: "snooze" }],
    ["an array of junk", [1, null, "x"]]
  ])("%s is a rejected payload", async (_name, payload) => {
    expect(issuesOf(await failed(plugin.decodeWebhook(body(payload)))).length).toBeGreaterThan(0)
  })

  it("arbitrary bytes never make a defect", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
        const request = { headers: { "x-deliverect-signature": "ab" }, body: bytes }
        for (const effect of [
          plugin.decodeWebhook(request),
          plugin.webhookOutlet(request),
          plugin.verifyWebhook(request, credentials)
        ]) {
          const result = await outcome<unknown, { readonly _tag: string }>(effect)
          if (result._tag === "Failure") expect(["PayloadRejected", "WebhookRejected"]).toContain(result.failure._tag)
        }
      }),
      { numRuns: 200 }
    )
  })

  it("arbitrary JSON never makes a defect", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const result = await outcome(plugin.decodeWebhook(body(value)))
        if (result._tag === "Failure") expect(result.failure._tag).toBe("PayloadRejected")
      }),
      { numRuns: 300 }
    )
  })
})
