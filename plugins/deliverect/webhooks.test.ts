import { makeWebhookRequest, type PosEvent, UNTIL_FURTHER_NOTICE, type WebhookRequest } from "@pos-integration/sdk"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  credentials,
  fixtures,
  marinaBay,
  marinaBayAccount,
  outletCredentials,
  signedRequest,
  webhookUrl
} from "./fixtures/index.ts"
import webhookOrderAccepted from "./fixtures/webhook-order-accepted.json" with { type: "json" }
import plugin from "./index.ts"
import { canonicalStatus } from "./src/order-status.ts"
import { failed, issuesOf, outcome, succeeded } from "./test-helpers.ts"

/** The fixture webhook of that name. */
const fixture = (name: string) => {
  const found = fixtures.webhooks.find((webhook) => webhook.name === name)
  if (found === undefined) throw new Error(`no webhook fixture named ${name}`)
  return found
}

const accepted = fixture("order accepted (status 20)").request

/** An unsigned request carrying this JSON: for decoding, which runs after verification. */
const body = (payload: unknown): WebhookRequest =>
  makeWebhookRequest({
    url: webhookUrl,
    headers: { "content-type": "application/json" },
    body: typeof payload === "string" ? payload : JSON.stringify(payload)
  })

/** Hex HMAC-SHA256 by WebCrypto directly: a second implementation, to check the plugin's against. */
const hmacHex = async (secret: string, bytes: Uint8Array): Promise<string> => {
  const encoder = new TextEncoder()
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign"
  ])
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, bytes as Uint8Array<ArrayBuffer>))
  return [...signature].map((byte) => byte.toString(16).padStart(2, "0")).join("")
}

/** A raw body signed as Deliverect signs it: the hex digest of exactly these bytes, in its header. */
const signedByDeliverect = async (raw: string, secret = outletCredentials.webhookSecret): Promise<WebhookRequest> =>
  makeWebhookRequest({
    url: webhookUrl,
    headers: {
      "content-type": "application/json",
      "x-deliverect-signature": await hmacHex(secret, new TextEncoder().encode(raw))
    },
    body: raw
  })

const signatureOf = (request: WebhookRequest) =>
  Object.entries(request.headers).find(([name]) => name.toLowerCase() === "x-deliverect-signature")?.[1]

describe("verifyWebhook", () => {
  it.each(fixtures.webhooks)("a correctly signed request verifies: $name", async ({ request, credentials }) => {
    await succeeded(plugin.verifyWebhook(request, credentials))
  })

  it("the fixtures are full webhook requests to the service's Deliverect endpoint", () => {
    for (const { request } of fixtures.webhooks) {
      expect(request.method).toBe("POST")
      expect(request.path).toBe("/api/v1/pos/deliverect/webhooks")
      expect(request.url.startsWith(webhookUrl)).toBe(true)
    }
    const withQuery = fixture("busy mode, to a URL with a query string").request
    expect(withQuery.query).toEqual({ event: ["busyMode"], channel: ["PosIntegration"] })
  })

  it("the fixture signatures are HMAC-SHA256 of the raw body with the outlet's secret", async () => {
    for (const { request } of fixtures.webhooks) {
      expect(signatureOf(request)).toBe(await hmacHex(outletCredentials.webhookSecret, request.body))
    }
  })

  it("a known answer: the order accepted body, signed with the staging secret (its channel link id)", () => {
    // computed apart from this code (HMAC-SHA256 of the body's JSON text, key 649ad021949cfa36470f9ea9)
    expect(signatureOf(accepted)).toBe("2f92d55b237d674510d14bfde00b5d4cb26df252a62d0f3c195f0c433cd1d6ab")
  })

  it("the URL is not signed: the same request sent to another URL or query still verifies", async () => {
    const moved = makeWebhookRequest({
      url: "https://acme.pos.example/service/pos-integration/api/v1/pos/deliverect/webhooks?retry=2",
      headers: accepted.headers,
      body: accepted.body
    })
    await succeeded(plugin.verifyWebhook(moved, credentials))
  })

  it("a tampered body is rejected", async () => {
    const tampered = {
      ...accepted,
      body: new TextEncoder().encode(JSON.stringify({ ...webhookOrderAccepted, status: 90 }))
    }
    expect(await failed(plugin.verifyWebhook(tampered, credentials))).toMatchObject({
      _tag: "WebhookRejected",
      reason: "signature mismatch"
    })
  })

  it("a one-byte change is rejected", async () => {
    const bytes = accepted.body.slice()
    bytes[10] = bytes[10]! ^ 1
    expect((await failed(plugin.verifyWebhook({ ...accepted, body: bytes }, credentials)))._tag).toBe("WebhookRejected")
  })

  it("a body re-serialised differently (the same JSON, other whitespace) is rejected: the raw bytes are signed", async () => {
    const pretty = { ...accepted, body: new TextEncoder().encode(JSON.stringify(webhookOrderAccepted, null, 2)) }
    expect((await failed(plugin.verifyWebhook(pretty, credentials)))._tag).toBe("WebhookRejected")
  })

  it("a wrong signature is rejected", async () => {
    const request = { ...accepted, headers: { ...accepted.headers, "x-deliverect-signature": "00".repeat(32) } }
    expect(await failed(plugin.verifyWebhook(request, credentials))).toMatchObject({
      _tag: "WebhookRejected",
      reason: "signature mismatch"
    })
  })

  it("a signature made with another secret is rejected", async () => {
    const request = await signedRequest(webhookOrderAccepted, { secret: "another secret" })
    expect(await failed(plugin.verifyWebhook(request, credentials))).toMatchObject({
      _tag: "WebhookRejected",
      reason: "signature mismatch"
    })
  })

  it("the right signature checked against another outlet's secret is rejected", async () => {
    const otherOutlet = { outlet: { ...outletCredentials, webhookSecret: "65ddbe003110fd505a9e7be4" }, account: null }
    expect((await failed(plugin.verifyWebhook(accepted, otherOutlet)))._tag).toBe("WebhookRejected")
  })

  it("without outlet credentials nothing verifies: a WebhookRejected naming the reason, never a defect", async () => {
    for (const { request } of fixtures.webhooks) {
      expect(await failed(plugin.verifyWebhook(request, { outlet: null, account: null }))).toMatchObject({
        _tag: "WebhookRejected",
        reason: expect.stringContaining("no outlet credentials")
      })
    }
  })

  it("a signature in upper-case hex is the same signature", async () => {
    const upper = {
      ...accepted,
      headers: { ...accepted.headers, "x-deliverect-signature": signatureOf(accepted)!.toUpperCase() }
    }
    await succeeded(plugin.verifyWebhook(upper, credentials))
  })

  it.each([
    ["missing", {}],
    ["empty", { "x-deliverect-signature": "" }],
    ["not hex", { "x-deliverect-signature": "not-a-signature" }],
    ["cut short", { "x-deliverect-signature": "2f92d55b237d674510d14bfde00b5d4c" }],
    ["under another header", { "x-signature": "2f92d55b237d674510d14bfde00b5d4cb26df252a62d0f3c195f0c433cd1d6ab" }]
  ])("a %s signature is rejected", async (_name, headers) => {
    const request = makeWebhookRequest({ url: webhookUrl, headers, body: accepted.body })
    expect((await failed(plugin.verifyWebhook(request, credentials)))._tag).toBe("WebhookRejected")
  })

  it("the signature header's value is moved to another header: rejected", async () => {
    const request = makeWebhookRequest({
      url: webhookUrl,
      headers: { "content-type": "application/json", "x-signature": signatureOf(accepted) },
      body: accepted.body
    })
    expect(await failed(plugin.verifyWebhook(request, credentials))).toMatchObject({
      _tag: "WebhookRejected",
      reason: "missing or malformed signature"
    })
  })
})

describe("a snooze signed as Deliverect signs it", () => {
  // The raw text as it comes over the wire, spaced as Deliverect's own JSON is: the bytes signed.
  const snoozeWith = (item: string) =>
    `{"accountId": "${marinaBayAccount}", "locationId": "61c30761e41eefadd03072af", "channelLinkId": "${marinaBay}", ` +
    `"operations": [{"action": "snooze", "data": {"items": [${item}]}}]}`

  it("verifies, names its channel link, and decodes to ItemsSnoozed with the exact instant", async () => {
    const request = await signedByDeliverect(
      snoozeWith(
        '{"plu": "STK-01", "snoozeStart": "2024-03-24T16:21:54.955000Z", "snoozeEnd": "2024-03-24T22:21:54.955000Z"}'
      )
    )
    await succeeded(plugin.verifyWebhook(request, credentials))
    expect(await succeeded(plugin.webhookOutlet(request))).toEqual({ _tag: "Outlet", externalOutletId: marinaBay })
    expect(await succeeded(plugin.decodeWebhook(request))).toEqual<Array<PosEvent>>([
      {
        _tag: "ItemsSnoozed",
        externalOutletId: marinaBay,
        items: [{ posCode: "STK-01", until: "2024-03-24T22:21:54.955Z" }]
      }
    ])
  })

  it("without a snoozeEnd, verifies and decodes to a snooze until further notice", async () => {
    const request = await signedByDeliverect(
      snoozeWith('{"plu": "STK-01", "snoozeStart": "2024-03-24T16:21:54.955000Z"}')
    )
    await succeeded(plugin.verifyWebhook(request, credentials))
    expect(await succeeded(plugin.decodeWebhook(request))).toEqual<Array<PosEvent>>([
      { _tag: "ItemsSnoozed", externalOutletId: marinaBay, items: [{ posCode: "STK-01", until: UNTIL_FURTHER_NOTICE }] }
    ])
  })

  it("signed with another channel link's secret, it is refused", async () => {
    const request = await signedByDeliverect(snoozeWith('{"plu": "STK-01"}'), "65ddbe003110fd505a9e7be4")
    expect((await failed(plugin.verifyWebhook(request, credentials)))._tag).toBe("WebhookRejected")
  })
})

describe("webhookOutlet", () => {
  it.each(fixtures.webhooks)("names the channel link as the outlet: $name", async ({ request }) => {
    expect(await succeeded(plugin.webhookOutlet(request))).toEqual({ _tag: "Outlet", externalOutletId: marinaBay })
  })

  it("reads an order status update's channelLink, and the first report naming one", async () => {
    expect(
      await succeeded(plugin.webhookOutlet(body({ orderId: "1", status: 20, channelLink: "65ddbe003110fd505a9e7be4" })))
    ).toEqual({ _tag: "Outlet", externalOutletId: "65ddbe003110fd505a9e7be4" })
    expect(
      await succeeded(
        plugin.webhookOutlet(
          body([
            { eventType: "menuPush", accountId: marinaBayAccount },
            { eventType: "menuPush", channelLinkId: "65ddbe003110fd505a9e7c11" }
          ])
        )
      )
    ).toEqual({ _tag: "Outlet", externalOutletId: "65ddbe003110fd505a9e7c11" })
  })

  it.each([
    ["not JSON", "{not json"],
    ["JSON without a channel link", { orderId: "1", status: 20 }],
    ["an account but no channel link", { accountId: marinaBayAccount, status: "BUSY" }],
    ["null", "null"],
    ["an empty channel link", { channelLinkId: "" }]
  ])("%s is a rejected payload", async (_name, payload) => {
    expect(issuesOf(await failed(plugin.webhookOutlet(body(payload)))).length).toBeGreaterThan(0)
  })

  it("invalid UTF-8 is a rejected payload", async () => {
    const issues = issuesOf(
      await failed(
        plugin.webhookOutlet(makeWebhookRequest({ url: webhookUrl, body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) }))
      )
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
    const [event] = await succeeded(
      plugin.decodeWebhook(fixture("order cancelled (status as a string) with a reason").request)
    )
    expect(event).toMatchObject({ status: "CANCELLED", vendorStatus: "110", reason: "Item out of stock" })
  })

  it("an unknown status and an unreadable timestamp map to null, never fail", async () => {
    const [event] = await succeeded(
      plugin.decodeWebhook(fixture("order prepared (60: no canonical status) with a placeholder timestamp").request)
    )
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
    [120, "REJECTED"],
    [121, "REJECTED"],
    [124, "REJECTED"],
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
    expect(await succeeded(plugin.decodeWebhook(fixture("snooze with allSnoozedItems").request))).toEqual<
      Array<PosEvent>
    >([
      {
        _tag: "ItemsSnoozed",
        externalOutletId: marinaBay,
        items: [
          { posCode: "WNG-06", until: "2024-03-24T22:21:54.000Z" },
          { posCode: "DRK-LEM", until: "2024-03-25T09:00:00.955Z" },
          { posCode: "MILK-OAT", until: UNTIL_FURTHER_NOTICE },
          { posCode: "STK-01", until: "2024-03-24T20:00:00.000Z" }
        ]
      }
    ])
  })

  it("maps a snooze whose items have no end (absent or null) to until further notice", async () => {
    expect(
      await succeeded(plugin.decodeWebhook(fixture("snooze without an end: until further notice").request))
    ).toEqual<Array<PosEvent>>([
      {
        _tag: "ItemsSnoozed",
        externalOutletId: marinaBay,
        items: [
          { posCode: "STK-01", until: UNTIL_FURTHER_NOTICE },
          { posCode: "COOK-R", until: UNTIL_FURTHER_NOTICE }
        ]
      }
    ])
  })

  it("maps an unsnooze to available items (null, never until further notice), skipping an item without a plu", async () => {
    expect(await succeeded(plugin.decodeWebhook(fixture("unsnooze").request))).toEqual<Array<PosEvent>>([
      { _tag: "ItemsSnoozed", externalOutletId: marinaBay, items: [{ posCode: "WNG-06", until: null }] }
    ])
    // an unsnooze carrying no end at all is still an unsnooze
    expect(
      await succeeded(
        plugin.decodeWebhook(
          body({ channelLinkId: marinaBay, operations: [{ action: "unsnooze", data: { items: [{ plu: "COOK-R" }] } }] })
        )
      )
    ).toEqual([{ _tag: "ItemsSnoozed", externalOutletId: marinaBay, items: [{ posCode: "COOK-R", until: null }] }])
  })

  it("maps busy mode from the fixture sent to a URL with a query string", async () => {
    expect(await succeeded(plugin.decodeWebhook(fixture("busy mode, to a URL with a query string").request))).toEqual([
      { _tag: "BusyModeChanged", externalOutletId: marinaBay, mode: "BUSY" }
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

  it("a successful menu publish report is a menu change of the channel link and its account", async () => {
    expect(await succeeded(plugin.decodeWebhook(fixture("operational report: menu published").request))).toEqual<
      Array<PosEvent>
    >([{ _tag: "MenuChanged", externalOutletId: marinaBay, accountId: marinaBayAccount }])
  })

  it("a menu publish report without an account has none; a failed one is nothing", async () => {
    const report = (status: string) => [{ eventType: "menuPush", channelLinkId: marinaBay, status }]
    expect(await succeeded(plugin.decodeWebhook(body(report("success"))))).toEqual([
      { _tag: "MenuChanged", externalOutletId: marinaBay, accountId: null }
    ])
    expect(await succeeded(plugin.decodeWebhook(body(report("failed"))))).toEqual([])
    expect(
      await succeeded(
        plugin.decodeWebhook(
          body([{ eventType: "menuPush", channelLinkId: marinaBay, accountId: "", status: "success" }])
        )
      )
    ).toEqual([{ _tag: "MenuChanged", externalOutletId: marinaBay, accountId: null }])
  })

  it("a report's accountId that is no string is a rejected payload", async () => {
    const issues = issuesOf(
      await failed(plugin.decodeWebhook(body([{ eventType: "menuPush", channelLinkId: marinaBay, accountId: 7 }])))
    )
    expect(issues.map((issue) => issue.path)).toContain("[0].accountId")
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
        const request = makeWebhookRequest({
          url: webhookUrl,
          headers: { "x-deliverect-signature": "ab" },
          body: bytes
        })
        for (const effect of [
          plugin.decodeWebhook(request),
          plugin.webhookOutlet(request),
          plugin.verifyWebhook(request, credentials),
          plugin.verifyWebhook(request, { outlet: null, account: null })
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
