import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { pathToFileURL } from "node:url"
import { testCallContext } from "@pos-integration/plugin-conformance"
import { SDK_VERSION, UNTIL_FURTHER_NOTICE } from "@pos-integration/sdk"
import { Effect, Exit } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { layerMemoryStorage } from "../../adapters/storage/memory/memory-storage.ts"
import type { TenantId } from "../../domain/tenant.ts"
import { loadPlugin, loadPlugins } from "../../runtime/plugins/plugin-registry.ts"
import plugin from "../fixtures/example-plugin/index.ts"
import {
  apiToken,
  catalog,
  credentials,
  fakeTinyPos,
  shops,
  type TinyPosCredentials,
  webhook
} from "../fixtures/example-plugin/fixtures/index.ts"
import { call, makeTestApp, type TestApp } from "../support/app.ts"

/*
 * TinyPOS, the example plugin written outside plugins/. The conformance kit runs on it from its own
 * directory (test/fixtures/example-plugin/conformance.test.ts), as an author outside this repository
 * runs it, and from the packed tarballs in test/packaging; here: its own mapping, its pull, and the
 * service loading it by path and syncing it over HTTP.
 */
const examplePath = "./test/fixtures/example-plugin"

describe("TinyPOS's own mapping", () => {
  it("maps tax percentages to parts per million, sold-out items to a snooze until further notice, and the merchant to the account", async () => {
    const snapshot = await Effect.runPromise(plugin.decodeCatalog(catalog, { externalOutletId: null, currency: null }))
    expect(snapshot.products.map((p) => [p.externalId, p.taxRatePpm, p.snoozedUntil])).toEqual([
      ["A1", 90000, null],
      ["A2", 88750, UNTIL_FURTHER_NOTICE]
    ])
    expect(snapshot.modifierOptions.map((o) => [o.externalId, o.snoozedUntil])).toEqual([
      ["X1", null],
      ["X2", UNTIL_FURTHER_NOTICE]
    ])
    const outlets = await Effect.runPromise(plugin.decodeOutlets(shops))
    expect(outlets.map((o) => [o.externalId, o.accountId])).toEqual([["S1", "M1"]])
    const anonymous = await Effect.runPromise(plugin.decodeOutlets({ shops: shops.shops }))
    expect(anonymous[0]?.accountId).toBeNull()
  })

  it("reads webhooks: sold out until further notice, back, a menu change", async () => {
    const events = (payload: unknown) => Effect.runPromise(plugin.decodeWebhook(webhook(payload)))
    expect(await events({ shop: "S1", event: "sold-out", items: ["A1", "X2"] })).toEqual([
      {
        _tag: "ItemsSnoozed",
        externalOutletId: "S1",
        items: [
          { posCode: "A1", until: UNTIL_FURTHER_NOTICE },
          { posCode: "X2", until: UNTIL_FURTHER_NOTICE }
        ]
      }
    ])
    expect(await events({ shop: "S1", event: "back", items: ["A1"] })).toEqual([
      { _tag: "ItemsSnoozed", externalOutletId: "S1", items: [{ posCode: "A1", until: null }] }
    ])
    expect(await events({ shop: "S1", event: "menu-changed", items: [] })).toEqual([
      { _tag: "MenuChanged", externalOutletId: "S1", accountId: null }
    ])
  })

  it("refuses a webhook with another token, without one, or for a shop with no token set", async () => {
    const request = webhook({ shop: "S1", event: "back", items: ["A1"] })
    const refusal = async (req: typeof request, creds: typeof credentials | { outlet: null; account: null }) => {
      const exit = await Effect.runPromiseExit(plugin.verifyWebhook(req, creds))
      return Exit.isFailure(exit) ? JSON.stringify(exit.cause) : "verified"
    }
    expect(await refusal(request, credentials)).toBe("verified")
    expect(
      await refusal(webhook({ shop: "S1", event: "back", items: ["A1"] }, "tinypos-token-2"), credentials)
    ).toContain("token mismatch")
    expect(await refusal({ ...request, headers: {} }, credentials)).toContain("missing token")
    expect(await refusal(request, { outlet: null, account: null })).toContain("no webhook token is set")
  })

  describe("pull", () => {
    const pullWith = async (answers: Parameters<typeof fakeTinyPos>[0], token = apiToken) => {
      const server = await fakeTinyPos(answers)
      try {
        const accountOnly: TinyPosCredentials = {
          outlet: null,
          account: { apiUrl: `${server.url}/v1/`, apiToken: token }
        }
        const context = testCallContext({ credentials: accountOnly, accountId: "M1" })
        const outlet = { externalId: "S1", identifiers: {} }
        const outlets = await Effect.runPromiseExit(plugin.pull!.fetchOutlets(context))
        const menu = await Effect.runPromiseExit(plugin.pull!.fetchCatalog(outlet, { ...context, outlet }))
        const failure = (exit: Exit.Exit<unknown, unknown>) =>
          Exit.isFailure(exit) ? JSON.parse(JSON.stringify(exit.cause.reasons[0])) : "success"
        return { outlets: failure(outlets), menu: failure(menu) }
      } finally {
        await server.close()
      }
    }

    it("pulls with a trailing slash on the API's URL", async () => {
      expect(await pullWith({})).toEqual({ outlets: "success", menu: "success" })
    })

    it("a refused token is PosRejected naming the call and the status, never the token", async () => {
      const result = await pullWith({}, "another-api-token")
      expect(result.outlets.error).toMatchObject({
        _tag: "PosRejected",
        status: 401,
        reason: "TinyPOS GET /shops: answered 401"
      })
      expect(result.menu.error).toMatchObject({ _tag: "PosRejected", status: 401 })
      expect(JSON.stringify(result)).not.toContain("another-api-token")
    })

    it("an answer that is not JSON is PosUnavailable; JSON of another shape is PayloadRejected with its path", async () => {
      const result = await pullWith({ shops: "<html>", menu: JSON.stringify({ shop: "S1", items: [{ code: "A1" }] }) })
      expect(result.outlets.error).toMatchObject({
        _tag: "PosUnavailable",
        reason: "TinyPOS GET /shops: answered 200 with a body that is not JSON"
      })
      expect(result.menu.error._tag).toBe("PayloadRejected")
      expect(result.menu.error.issues.map((i: { path: string }) => i.path)).toContain("items[0].title")
    })
  })
})

describe("a plugin from outside plugins/, loaded by path", () => {
  it("loads by a relative path to its package directory and by a path to its entry file", async () => {
    for (const spec of [examplePath, `${examplePath}/index.ts`]) {
      const loaded = await Effect.runPromise(loadPlugin(spec))
      expect(loaded.manifest.id).toBe("tinypos")
    }
  })

  it("refuses a duplicate id, naming both sources", async () => {
    const error = await Effect.runPromise(Effect.flip(loadPlugins([examplePath, `${examplePath}/index.ts`])))
    expect(error.message).toContain("duplicate provider id 'tinypos'")
    expect(error.message).toContain(examplePath)
  })

  describe("refuses a module that is not a valid plugin, saying why", () => {
    let dir: string
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "pos-plugin-"))
    })
    afterAll(() => rmSync(dir, { recursive: true, force: true }))
    const exampleUrl = pathToFileURL(resolve(examplePath, "index.ts")).href
    /** A module whose default export is `change`, an expression over the example plugin. */
    const moduleWith = (name: string, change: string) => {
      const path = join(dir, `${name}.mjs`)
      writeFileSync(path, `import example from ${JSON.stringify(exampleUrl)}\nexport default ${change}\n`)
      return path
    }
    const reason = (specifier: string) =>
      Effect.runPromise(Effect.flip(loadPlugin(specifier))).then((e) => `${e._tag}: ${e.message}`)

    it.each([
      ["no plugin object", "42", "the module has no default export of a plugin object"],
      ["an invalid manifest", '{ ...example, manifest: { ...example.manifest, id: "Not An Id" } }', "invalid manifest"],
      [
        "another SDK version",
        "{ ...example, manifest: { ...example.manifest, sdkVersion: 99 } }",
        `plugin 'tinypos' is built for SDK 99; this service loads SDK ${SDK_VERSION} plugins only`
      ],
      [
        "missing functions",
        "{ ...example, submitOrder: undefined, decodeWebhook: 1 }",
        "plugin 'tinypos' lacks submitOrder, decodeWebhook"
      ],
      [
        "an SDK 1 plugin, told what changed",
        "{ ...example, manifest: { ...example.manifest, sdkVersion: 1 } }",
        `plugin 'tinypos' is built for SDK 1; this service loads SDK ${SDK_VERSION} plugins only. SDK 2 changed:`
      ],
      ["no credentials Schema", "{ ...example, credentials: {} }", "plugin 'tinypos' has no credentials Schema"],
      [
        "SDK 1's single credentials Schema",
        "{ ...example, credentials: example.credentials.outlet }",
        "plugin 'tinypos' has no credentials Schema"
      ],
      [
        "an account level that is not a Schema",
        "{ ...example, credentials: { outlet: example.credentials.outlet, account: {} } }",
        "plugin 'tinypos' has no credentials Schema"
      ]
    ])("%s", async (name, change, expected) => {
      const path = moduleWith(name.replaceAll(" ", "-"), change)
      expect(await reason(path)).toContain(`PluginLoadError: POS plugin ${path}: ${expected}`)
    })

    it("a path that cannot be imported", async () => {
      const message = await reason(join(dir, "missing.mjs"))
      expect(message).toContain("cannot be imported")
      expect(message).toContain("missing.mjs")
    })
  })

  describe("synced through HTTP and read back", () => {
    let app: TestApp
    let posKey: string
    let partnerKey: string
    beforeAll(async () => {
      app = await makeTestApp(layerMemoryStorage, {
        settings: { posPlugins: ["@pos-integration/plugin-deliverect", examplePath] }
      })
      await app.createTenant({ id: "acme" as TenantId, currency: "EUR" })
      posKey = (await app.issueKey("acme" as TenantId, { kind: "pos" })).plaintext
      partnerKey = (await app.issueKey("acme" as TenantId, { kind: "partner" })).plaintext
    })
    afterAll(() => app?.close())

    const post = (path: string, body: unknown) =>
      call(app, path, {
        method: "POST",
        host: "acme.localhost",
        key: posKey,
        headers: { "content-type": "application/json", "x-provider": "tinypos" },
        body: JSON.stringify(body)
      })

    it("is listed, syncs outlets and a catalog, and partners read it", async () => {
      const providers = (await (
        await call(app, "/api/v1/providers", { host: "acme.localhost", key: partnerKey })
      ).json()) as {
        data: Array<{ id: string }>
      }
      expect(providers.data.map((p) => p.id)).toContain("tinypos")
      expect((await post("/api/v1/outlets/sync", shops)).status).toBe(200)
      const synced = await post("/api/v1/products/sync", catalog)
      expect(synced.status).toBe(200)
      const outletId = ((await synced.json()) as { data: Array<{ outletId: string }> }).data[0]!.outletId
      const products = (await (
        await call(app, `/api/v1/products?outletId=${outletId}`, { host: "acme.localhost", key: partnerKey })
      ).json()) as {
        data: Array<{
          name: string
          price: { amount: number; currency: string }
          modifierGroups: Array<{ options: Array<{ name: string }> }>
        }>
      }
      const espresso = products.data.find((p) => p.name === "Espresso")!
      expect(espresso.price).toEqual({ amount: 250, currency: "EUR" })
      expect(espresso.modifierGroups[0]!.options.map((o) => o.name)).toEqual(["Oat milk", "Extra shot"])
      const menu = (await (
        await call(app, `/api/v1/outlets/${outletId}/menu`, { host: "acme.localhost", key: partnerKey })
      ).json()) as { menus: Array<{ sections: Array<{ name: string; products: Array<{ name: string }> }> }> }
      expect(menu.menus[0]!.sections.map((s) => [s.name, s.products.map((p) => p.name)])).toEqual([
        ["Coffee", ["Espresso"]],
        ["Bakery", ["Croissant"]]
      ])
    })
  })
})
