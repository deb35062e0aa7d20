import { catalogIssues, PluginManifest, type PosOrder } from "@pos-integration/sdk"
import { Effect, Schema } from "effect"
import type { HttpClient } from "effect/http"
import { describe, expect, it } from "vitest"
import { fixtures } from "./fixtures/index.ts"
import plugin from "./index.ts"
import pkg from "./package.json" with { type: "json" }
import { failure, outcome, run } from "./test-support.ts"

describe("manifest and credentials", () => {
  it("is the package.json manifest, valid for the SDK, without orders", () => {
    expect(plugin.manifest).toEqual(pkg.manifest)
    expect(Schema.decodeUnknownSync(PluginManifest)(plugin.manifest)).toEqual(pkg.manifest)
    expect(plugin.manifest.id).toBe("atlas-kitchen")
    expect(plugin.manifest.capabilities).toEqual(["outlets", "catalog", "webhooks"])
  })

  it("decodes an operator's credentials, defaulting the Admin API base URL", () => {
    const decode = Schema.decodeUnknownSync(plugin.credentials)
    expect(decode({ apiKey: "key", merchantId: "231", channelId: "web", webhookToken: "tok" })).toEqual({
      baseUrl: "https://api.atlas.kitchen/admin/v1",
      apiKey: "key",
      merchantId: "231",
      channelId: "web",
      webhookToken: "tok"
    })
    expect(decode({ ...fixtures.credentials, baseUrl: "http://127.0.0.1:4010/admin/v1" }).baseUrl).toBe(
      "http://127.0.0.1:4010/admin/v1"
    )
    for (const bad of [
      { ...fixtures.credentials, apiKey: " " },
      { ...fixtures.credentials, baseUrl: "api.atlas.kitchen" },
      { apiKey: "key", merchantId: "231", channelId: "web" },
      null
    ]) {
      expect(() => decode(bad)).toThrow()
    }
  })
})

describe("operations this plugin does not implement yet", () => {
  const http = {} as HttpClient.HttpClient
  const context = { credentials: fixtures.credentials, identifiers: { outletId: "1" }, http }

  it("answers UnsupportedOperation for orders, cancellations and catalog acknowledgements", async () => {
    const order = {} as PosOrder
    expect(await failure(plugin.submitOrder(order, context))).toMatchObject({
      _tag: "UnsupportedOperation",
      operation: "submitOrder"
    })
    const cancel = { refCode: "CATA000123", posOrderId: "85", reason: null }
    expect(await failure(plugin.cancelOrder(cancel, context))).toMatchObject({ operation: "cancelOrder" })
    const ack = plugin.acknowledgeCatalog({ url: "https://example.test" }, { status: "ONLINE", comment: "" }, http)
    expect(await failure(ack)).toMatchObject({ operation: "acknowledgeCatalog" })
  })
})

describe("the fixtures kit", () => {
  it.each(fixtures.outlets)("$name decodes to the expected outlets", async ({ payload, expectedExternalIds }) => {
    expect((await run(plugin.decodeOutlets(payload))).map((o) => o.externalId)).toEqual(expectedExternalIds)
  })

  it.each(fixtures.catalogs)("$name decodes to the expected counts", async ({ payload, context, expected }) => {
    const catalog = await run(plugin.decodeCatalog(payload, context))
    expect({
      outletIds: catalog.outletIds,
      products: catalog.products.length,
      modifierGroups: catalog.modifierGroups.length,
      modifierOptions: catalog.modifierOptions.length,
      menus: catalog.menus.length
    }).toEqual(expected)
    expect(catalogIssues(catalog)).toEqual([])
  })

  it.each(fixtures.foreignCatalogs)("$name is refused as another format", async ({ payload }) => {
    for (const context of fixtures.catalogs.map((c) => c.context)) {
      expect(await outcome(plugin.decodeCatalog(payload, context))).toBe("PayloadRejected")
    }
  })

  it.each(fixtures.webhooks)("$name verifies and decodes", async ({ request, credentials, expectedEvents }) => {
    const outletId = await run(plugin.webhookOutlet(request))
    expect(outletId).toBe("1")
    await run(plugin.verifyWebhook(request, credentials))
    expect(await run(plugin.decodeWebhook(request))).toHaveLength(expectedEvents)
  })

  it("the test helper tells a defect from a typed failure", async () => {
    expect(await outcome(Effect.die("boom"))).toBe("defect")
    expect(await outcome(Effect.sync(() => JSON.parse("{")))).toBe("defect")
    expect(await outcome(Effect.succeed(1))).toBe("success")
  })
})
