import { catalogIssues, PluginManifest } from "@pos-integration/sdk"
import { Effect, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { accountCredentials, fixtures } from "./fixtures/index.ts"
import plugin from "./index.ts"
import pkg from "./package.json" with { type: "json" }
import { callContext, failure, outcome, run } from "./test-support.ts"

describe("manifest and credentials", () => {
  it("is the package.json manifest, valid for the SDK, with pull and orders in the channel's prices, without cancel", () => {
    expect(plugin.manifest).toEqual(pkg.manifest)
    expect(Schema.decodeUnknownSync(PluginManifest)(plugin.manifest)).toEqual(pkg.manifest)
    expect(plugin.manifest.id).toBe("atlas-kitchen")
    expect(plugin.manifest.capabilities).toEqual(["outlets", "catalog", "orders", "webhooks", "pull", "linePrices"])
    expect(plugin.manifest.version).toBe("2.1.0")
    expect(plugin.manifest.sdkVersion).toBe(2)
    expect(typeof plugin.pull?.fetchOutlets).toBe("function")
    expect(typeof plugin.pull?.fetchCatalog).toBe("function")
  })

  it("decodes a merchant's credentials, defaulting both API base URLs", () => {
    const decode = Schema.decodeUnknownSync(plugin.credentials.account!)
    expect(decode({ merchantId: "231", apiKey: "key" })).toEqual({
      adminBaseUrl: "https://api.atlas.kitchen/admin/v1",
      storefrontBaseUrl: "https://api.atlas.kitchen/storefronts/v1",
      merchantId: "231",
      apiKey: "key"
    })
    expect(decode(accountCredentials)).toEqual(accountCredentials)
    // Stored before orders: no orderChannelId, still decodes (submitting an order then names it as missing).
    const { orderChannelId: _, ...beforeOrders } = accountCredentials
    expect(decode(beforeOrders)).toEqual(beforeOrders)
    expect(decode({ ...accountCredentials, adminBaseUrl: "http://127.0.0.1:4010/admin/v1" }).adminBaseUrl).toBe(
      "http://127.0.0.1:4010/admin/v1"
    )
    for (const bad of [
      { ...accountCredentials, apiKey: " " },
      { ...accountCredentials, merchantId: "" },
      { ...accountCredentials, adminBaseUrl: "api.atlas.kitchen" },
      // A secret in the URL could end up in an error message: refused.
      { ...accountCredentials, adminBaseUrl: "https://user:secret@api.atlas.kitchen/admin/v1" },
      { ...accountCredentials, storefrontBaseUrl: "https://api.atlas.kitchen/storefronts/v1?key=secret" },
      { ...accountCredentials, channelId: "" },
      { ...accountCredentials, orderChannelId: " " },
      { ...accountCredentials, orderChannelId: 12 },
      { ...accountCredentials, webhookToken: "  " },
      { apiKey: "key" },
      null
    ]) {
      expect(() => decode(bad)).toThrow()
    }
  })

  it("decodes an outlet's webhook token, and reads only the token from credentials stored before SDK 2", () => {
    const decode = Schema.decodeUnknownSync(plugin.credentials.outlet)
    expect(decode({ webhookToken: "tok" })).toEqual({ webhookToken: "tok" })
    const sdk1 = {
      baseUrl: "https://api.atlas.kitchen/admin/v1",
      apiKey: "key",
      merchantId: "231",
      channelId: "web",
      webhookToken: "tok"
    }
    expect(decode(sdk1)).toEqual({ webhookToken: "tok" })
    for (const bad of [{}, { webhookToken: "" }, { webhookToken: 1 }, null]) expect(() => decode(bad)).toThrow()
  })
})

describe("operations this plugin does not implement", () => {
  const context = callContext({
    outlet: { externalId: "1", identifiers: { outletId: "1" } },
    credentials: fixtures.credentials
  })

  it("answers UnsupportedOperation for cancellations and catalog acknowledgements", async () => {
    const cancel = { refCode: "CATA000123", posOrderId: "85", reason: null }
    expect(await failure(plugin.cancelOrder(cancel, context))).toMatchObject({ operation: "cancelOrder" })
    const ack = plugin.acknowledgeCatalog({ url: "https://example.test" }, { status: "ONLINE", comment: "" }, context)
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
    const subject = await run(plugin.webhookOutlet(request))
    expect(subject).toEqual(
      credentials.outlet === null ? { _tag: "Account", accountId: "231" } : { _tag: "Outlet", externalOutletId: "1" }
    )
    await run(plugin.verifyWebhook(request, credentials))
    expect(await run(plugin.decodeWebhook(request))).toHaveLength(expectedEvents)
  })

  it("the test helper tells a defect from a typed failure", async () => {
    expect(await outcome(Effect.die("boom"))).toBe("defect")
    expect(await outcome(Effect.sync(() => JSON.parse("{")))).toBe("defect")
    expect(await outcome(Effect.succeed(1))).toBe("success")
  })
})
