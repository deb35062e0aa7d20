import { makeWebhookRequest, type PayloadRejected, PluginManifest, SDK_VERSION } from "@pos-integration/sdk"
import { type Effect, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { credentials, fixtures, outletCredentials, webhookUrl } from "./fixtures/index.ts"
import plugin from "./index.ts"
import pkg from "./package.json" with { type: "json" }
import { parseDeliverectInstant } from "./src/dates.ts"
import { callContext, failed, noContext, succeeded } from "./test-helpers.ts"

describe("the plugin", () => {
  it("carries the manifest of its package.json", () => {
    expect(plugin.manifest).toEqual(pkg.manifest)
    expect(Schema.is(PluginManifest)(plugin.manifest)).toBe(true)
    expect(plugin.manifest).toMatchObject({
      id: "deliverect",
      version: "2.1.0",
      sdkVersion: SDK_VERSION,
      capabilities: ["outlets", "catalog", "orders", "cancel", "webhooks", "linePrices"]
    })
    expect(SDK_VERSION).toBe(2)
  })

  it("declares orders, cancel and linePrices (Deliverect takes the channel's prices), no pull, and has no pull", () => {
    for (const capability of ["orders", "cancel", "linePrices"] as const) {
      expect(plugin.manifest.capabilities).toContain(capability)
    }
    expect(plugin.manifest.capabilities).not.toContain("pull")
    expect(new Set(plugin.manifest.capabilities).size).toBe(plugin.manifest.capabilities.length)
    expect(plugin.pull).toBeUndefined()
  })

  it("submits and cancels orders: a hostile order is a typed failure, never thrown", async () => {
    const hostile = new Proxy(
      {},
      {
        get: () => {
          throw new Error("boom")
        }
      }
    )
    const context = callContext(undefined as never)
    expect(["PosRejected", "PosUnavailable"]).toContain(
      (await failed(plugin.submitOrder(hostile as never, context)))._tag
    )
    expect(["PosRejected", "PosUnavailable"]).toContain(
      (await failed(plugin.cancelOrder(hostile as never, context)))._tag
    )
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
    const request = {
      ...makeWebhookRequest({ url: webhookUrl, body: "{}" }),
      headers: hostile as Record<string, string>
    }
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
    // hostile credentials, at either depth, are refused the same way
    const signed = fixtures.webhooks[0]!.request
    expect((await failed(plugin.verifyWebhook(signed, hostile as never)))._tag).toBe("WebhookRejected")
    expect((await failed(plugin.verifyWebhook(signed, { outlet: hostile as never, account: null })))._tag).toBe(
      "WebhookRejected"
    )
    expect((await failed(plugin.webhookOutlet({ ...signed, body: hostile as never })))._tag).toBe("PayloadRejected")
    expect((await failed(plugin.decodeWebhook({ ...signed, body: hostile as never })))._tag).toBe("PayloadRejected")
  })

  it("decodes catalogs without needing the context", async () => {
    const fixture = fixtures.catalogs[0]!
    expect(await succeeded(plugin.decodeCatalog(fixture.payload, noContext))).toEqual(
      await succeeded(plugin.decodeCatalog(fixture.payload, fixture.context))
    )
  })
})

describe("credentials", () => {
  const decode = Schema.decodeUnknownSync(plugin.credentials.outlet)
  const minimal = { channelName: "PosIntegration", clientId: "id", clientSecret: "secret", webhookSecret: "whsec" }

  it("are per outlet (channel link) only: Deliverect has no account level", () => {
    expect(Schema.isSchema(plugin.credentials.outlet)).toBe(true)
    expect(plugin.credentials.account).toBeNull()
    expect(credentials.account).toBeNull()
  })

  it("defaults the base URL to Deliverect's production API", () => {
    expect(decode(minimal)).toEqual({ ...minimal, baseUrl: "https://api.deliverect.com" })
  })

  it("takes the optional audience and courier orders use; credentials stored without them still decode", () => {
    const full = { ...minimal, audience: "https://api.deliverect.com", courier: "posintegration" }
    expect(decode(full)).toEqual({ ...full, baseUrl: "https://api.deliverect.com" })
    expect(decode(minimal)).not.toHaveProperty("audience")
    expect(decode(minimal)).not.toHaveProperty("courier")
    expect(() => decode({ ...minimal, courier: "" })).toThrow()
  })

  it("accepts the fixture credentials as they are", () => {
    expect(decode(outletCredentials)).toEqual(outletCredentials)
    expect(decode(fixtures.credentials.outlet)).toEqual(fixtures.credentials.outlet)
    for (const webhook of fixtures.webhooks) expect(decode(webhook.credentials.outlet)).toEqual(outletCredentials)
  })

  it.each([
    ["no webhook secret", { ...minimal, webhookSecret: undefined }],
    ["an empty channel name", { ...minimal, channelName: "" }],
    ["no client secret", { ...minimal, clientSecret: undefined }],
    ["a base URL that is no URL", { ...minimal, baseUrl: "api.deliverect.com" }],
    ["both levels given as one object", { outlet: minimal, account: null }],
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
