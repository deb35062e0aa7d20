import { PluginManifest, UnsupportedOperation } from "@pos-integration/sdk"
import { Effect, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { credentials, fixtures } from "./fixtures/index.ts"
import plugin from "./index.ts"
import pkg from "./package.json" with { type: "json" }
import { fail } from "./test-support.ts"

describe("lightspeed plugin", () => {
  it("declares the manifest of its package.json, a valid one", () => {
    expect(plugin.manifest).toEqual(pkg.manifest)
    expect(Schema.decodeUnknownSync(PluginManifest)(pkg.manifest)).toEqual(pkg.manifest)
    expect(plugin.manifest).toMatchObject({ id: "lightspeed", version: pkg.version, sdkVersion: 1 })
    expect(plugin.manifest.capabilities).toEqual(["outlets", "catalog", "webhooks"])
    expect(pkg.name).toBe("@pos-integration/plugin-lightspeed")
  })

  it("accepts the fixture credentials and refuses incomplete or weak ones", async () => {
    const decode = Schema.decodeUnknownEffect(plugin.credentials)
    expect(await Effect.runPromise(decode(fixtures.credentials))).toEqual(credentials)
    const { webhookToken: _, ...withoutToken } = credentials
    for (const bad of [
      withoutToken,
      { ...credentials, webhookToken: "short" },
      { ...credentials, baseUrl: "api.lsk.lightspeed.app" },
      { ...credentials, accessToken: "" },
      null,
      "token"
    ]) {
      await fail(decode(bad))
    }
  })

  it("does not submit or cancel orders yet, and has no catalog callback to answer", async () => {
    const context = { credentials, identifiers: { blID: "45454565682155" }, http: undefined as never }
    const order = { refCode: "CATA-000123", posOrderId: null, reason: null }
    expect(await fail(plugin.cancelOrder(order, context))).toEqual(
      new UnsupportedOperation({ operation: "cancelOrder" })
    )
    expect(await fail(plugin.submitOrder(undefined as never, context))).toEqual(
      new UnsupportedOperation({ operation: "submitOrder" })
    )
    expect(
      await fail(
        plugin.acknowledgeCatalog(
          { url: "https://example.test/cb" },
          { status: "ONLINE", comment: "" },
          undefined as never
        )
      )
    ).toEqual(new UnsupportedOperation({ operation: "acknowledgeCatalog" }))
  })
})
