import { type PayloadRejected, PluginManifest } from "@pos-integration/sdk"
import { type Effect, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { credentials, fixtures } from "./fixtures/index.ts"
import plugin from "./index.ts"
import pkg from "./package.json" with { type: "json" }
import { parseDeliverectInstant } from "./src/dates.ts"
import { failed, noContext, succeeded } from "./test-helpers.ts"

describe("the plugin", () => {
  it("carries the manifest of its package.json", () => {
    expect(plugin.manifest).toEqual(pkg.manifest)
    expect(Schema.is(PluginManifest)(plugin.manifest)).toBe(true)
    expect(plugin.manifest).toMatchObject({
      id: "deliverect",
      sdkVersion: 1,
      capabilities: ["outlets", "catalog", "webhooks"]
    })
  })

  it("does not submit or cancel orders yet", async () => {
    const order = { refCode: "CATA-1", posOrderId: null, reason: null }
    const context = { credentials, identifiers: {}, http: undefined as never }
    expect(await failed(plugin.cancelOrder(order, context))).toMatchObject({
      _tag: "UnsupportedOperation",
      operation: "cancelOrder"
    })
    expect(await failed(plugin.submitOrder({} as never, context))).toMatchObject({
      _tag: "UnsupportedOperation",
      operation: "submitOrder"
    })
  })

  it("a hostile payload (an object whose every access throws) is rejected, never thrown", async () => {
    const hostile = new Proxy(
      {},
      {
        get: () => {
          throw new Error("boom")
        },
        has: () => {
          throw new Error("boom")
        },
        ownKeys: () => {
          throw new Error("boom")
        }
      }
    )
    const request = { headers: hostile as Record<string, string>, body: new Uint8Array() }
    const effects: ReadonlyArray<Effect.Effect<unknown, PayloadRejected>> = [
      plugin.decodeCatalog(hostile, noContext),
      plugin.decodeCatalog([hostile], noContext),
      plugin.decodeOutlets(hostile),
      plugin.decodeOutlets([hostile])
    ]
    for (const effect of effects) {
      expect((await failed(effect))._tag).toBe("PayloadRejected")
    }
    expect((await failed(plugin.verifyWebhook(request, credentials)))._tag).toBe("WebhookRejected")
  })

  it("decodes catalogs without needing the context", async () => {
    const fixture = fixtures.catalogs[0]!
    expect(await succeeded(plugin.decodeCatalog(fixture.payload, noContext))).toEqual(
      await succeeded(plugin.decodeCatalog(fixture.payload, fixture.context))
    )
  })
})

describe("credentials", () => {
  const decode = Schema.decodeUnknownSync(plugin.credentials)
  const minimal = { channelName: "PosIntegration", clientId: "id", clientSecret: "secret", webhookSecret: "whsec" }

  it("defaults the base URL to Deliverect's production API", () => {
    expect(decode(minimal)).toEqual({ ...minimal, baseUrl: "https://api.deliverect.com" })
  })

  it("accepts the fixture credentials as they are", () => {
    expect(decode(credentials)).toEqual(credentials)
    expect(decode(fixtures.credentials)).toEqual(fixtures.credentials)
  })

  it.each([
    ["no webhook secret", { ...minimal, webhookSecret: undefined }],
    ["an empty channel name", { ...minimal, channelName: "" }],
    ["a base URL that is no URL", { ...minimal, baseUrl: "api.deliverect.com" }],
    ["nothing", null]
  ])("refuses %s", (_name, value) => {
    expect(() => decode(value)).toThrow()
  })
})

describe("parseDeliverectInstant", () => {
  it.each([
    ["2024-03-24 22:21:54.000000Z", "2024-03-24T22:21:54.000Z"],
    ["2024-03-24T22:21:54.955000Z", "2024-03-24T22:21:54.955Z"],
    ["2024-03-24T22:21:54Z", "2024-03-24T22:21:54.000Z"],
    ["2023-12-18 15:48:42.367000", "2023-12-18T15:48:42.367Z"],
    ["2024-03-24T22:21:54.999999Z", "2024-03-24T22:21:54.999Z"],
    ["2024-03-25T06:21:54+08:00", "2024-03-24T22:21:54.000Z"],
    ["2024-03-24T17:21:54.5-0500", "2024-03-24T22:21:54.500Z"],
    ["2024-02-29 00:00:00Z", "2024-02-29T00:00:00.000Z"]
  ])("%s -> %s", (text, iso) => {
    expect(parseDeliverectInstant(text)).toBe(iso)
  })

  it.each([
    "",
    "YYYY-MM-DDTHH:mm:ss.SSSSSSZ",
    "2023-02-29 00:00:00Z",
    "2024-13-01 00:00:00Z",
    "2024-03-24 24:00:00Z",
    "24-03-2024 22:21",
    "2024-03-24",
    "0099-01-01T00:00:00Z",
    "9999-12-31T23:59:59-23:59"
  ])("refuses %j", (text) => {
    expect(parseDeliverectInstant(text)).toBeUndefined()
  })
})
