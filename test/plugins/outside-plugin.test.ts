import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { pathToFileURL } from "node:url"
import { conformanceSuite } from "@pos-integration/plugin-conformance"
import { SDK_VERSION } from "@pos-integration/sdk"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { layerMemoryStorage } from "../../adapters/storage/memory/memory-storage.ts"
import type { TenantId } from "../../domain/tenant.ts"
import { loadPlugin, loadPlugins } from "../../runtime/plugins/plugin-registry.ts"
import plugin from "../fixtures/example-plugin/index.ts"
import { call, makeTestApp, type TestApp } from "../support/app.ts"

const examplePath = "./test/fixtures/example-plugin"
const encoder = new TextEncoder()
const catalog = {
  shop: "S1",
  items: [
    { code: "A1", title: "Espresso", cents: 250, extras: ["X1", "X2"] },
    { code: "A2", title: "Croissant", cents: 320 }
  ],
  extras: [
    { code: "X1", title: "Oat milk", cents: 40 },
    { code: "X2", title: "Extra shot", cents: 60 }
  ],
  groups: [
    { title: "Coffee", items: ["A1"] },
    { title: "Bakery", items: ["A2"] }
  ]
}
const shops = { shops: [{ code: "S1", title: "Canal Street", currency: "EUR" }] }

// An outside author runs the same kit on their plugin.
conformanceSuite(plugin, {
  outlets: [{ name: "one shop", payload: shops, expectedExternalIds: ["S1"] }],
  catalogs: [
    {
      name: "two items with extras",
      payload: catalog,
      context: { externalOutletId: null, currency: null },
      expected: { outletIds: ["S1"], products: 2, modifierGroups: 1, modifierOptions: 2, menus: 1 }
    }
  ],
  foreignCatalogs: [{ name: "a Lightspeed-like menu", payload: { menuName: "x", menuEntryGroups: [] } }],
  webhooks: [
    {
      name: "sold out",
      request: {
        headers: { "content-type": "application/json", "x-tinypos-token": "tinypos-token-1" },
        body: encoder.encode(JSON.stringify({ shop: "S1", event: "sold-out", items: ["A1"] }))
      },
      credentials: { webhookToken: "tinypos-token-1" },
      expectedEvents: 1
    }
  ],
  credentials: { webhookToken: "tinypos-token-1" },
  webhookAuth: "token"
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
      ["no credentials Schema", "{ ...example, credentials: {} }", "plugin 'tinypos' has no credentials Schema"]
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
