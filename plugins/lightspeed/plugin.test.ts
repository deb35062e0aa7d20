import { PluginManifest, type PosCallContext, SDK_VERSION, UnsupportedOperation } from "@pos-integration/sdk"
import { Effect, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { account, credentials } from "./fixtures/index.ts"
import plugin, { type AccountCredentials, type OutletCredentials } from "./index.ts"
import pkg from "./package.json" with { type: "json" }
import { fail, fetchHttp, memoryVault } from "./test-support.ts"

describe("lightspeed plugin", () => {
  it("declares the manifest of its package.json, a valid one, with orders and pull but no cancel", () => {
    expect(plugin.manifest).toEqual(pkg.manifest)
    expect(Schema.decodeUnknownSync(PluginManifest)(pkg.manifest)).toEqual(pkg.manifest)
    expect(plugin.manifest).toMatchObject({ id: "lightspeed", version: pkg.version, sdkVersion: SDK_VERSION })
    expect(plugin.manifest.capabilities).toEqual(["outlets", "catalog", "orders", "webhooks", "pull"])
    expect(typeof plugin.pull?.fetchOutlets).toBe("function")
    expect(typeof plugin.pull?.fetchCatalog).toBe("function")
    expect(pkg.name).toBe("@pos-integration/plugin-lightspeed")
  })

  it("accepts the fixture business credentials, defaulting the API to production, and refuses incomplete or unsafe ones", async () => {
    const decode = Schema.decodeUnknownEffect(plugin.credentials.account!)
    expect(await Effect.runPromise(decode(account))).toEqual(account)
    const { apiBaseUrl: _, accessToken: __, accessTokenExpiresAt: ___, webhookToken: ____, ...minimal } = account
    expect(await Effect.runPromise(decode(minimal))).toEqual({
      ...minimal,
      apiBaseUrl: "https://api.lsk.lightspeed.app"
    })
    expect(await Effect.runPromise(decode({ ...minimal, apiBaseUrl: "http://127.0.0.1:8123" }))).toMatchObject({
      apiBaseUrl: "http://127.0.0.1:8123"
    })
    const { refreshToken: _r, ...withoutRefresh } = account
    const { clientSecret: _s, ...withoutSecret } = account
    for (const bad of [
      withoutRefresh,
      withoutSecret,
      { ...account, webhookToken: "short" },
      { ...account, apiBaseUrl: "api.lsk.lightspeed.app" },
      // Tokens never cross a network in clear text, nor ride in a URL.
      { ...account, apiBaseUrl: "http://api.lsk.lightspeed.app" },
      { ...account, apiBaseUrl: "https://user:pass@api.lsk.lightspeed.app" },
      { ...account, apiBaseUrl: "https://api.lsk.lightspeed.app/?token=x" },
      { ...account, accessToken: "" },
      { ...account, accessTokenExpiresAt: "in an hour" },
      // Local time would be read in the machine's zone: the offset is required.
      { ...account, accessTokenExpiresAt: "2026-11-27T10:15:00" },
      { ...account, accessTokenExpiresAt: "2026-13-45T10:15:00Z" },
      null,
      "token"
    ]) {
      await fail(decode(bad))
    }
  })

  it("takes no per-location credentials: only an empty object, so business tokens set on a location are refused", async () => {
    const decode = Schema.decodeUnknownEffect(plugin.credentials.outlet)
    expect(await Effect.runPromise(decode({}))).toEqual({})
    for (const bad of [account, { refreshToken: "x" }, null, "token"]) await fail(decode(bad))
  })

  it("cannot cancel orders (K-Series has no cancel operation), and has no catalog callback to answer", async () => {
    const context: PosCallContext<OutletCredentials, AccountCredentials> = {
      outlet: { externalId: "45454565682155", identifiers: { blID: "45454565682155", businessId: "454335871" } },
      accountId: "454335871",
      credentials,
      vault: {
        outlet: memoryVault<OutletCredentials>({}, "outlet").vault,
        account: memoryVault<AccountCredentials>(account).vault
      },
      http: fetchHttp
    }
    const order = { refCode: "CATA-000123", posOrderId: null, reason: null }
    expect(await fail(plugin.cancelOrder(order, context))).toEqual(
      new UnsupportedOperation({ operation: "cancelOrder" })
    )
    expect(
      await fail(
        plugin.acknowledgeCatalog({ url: "https://example.test/cb" }, { status: "ONLINE", comment: "" }, context)
      )
    ).toEqual(new UnsupportedOperation({ operation: "acknowledgeCatalog" }))
  })
})
