import { createServer, type Server } from "node:http"
import type { CatalogSnapshot } from "@pos-integration/sdk"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { productId } from "../../domain/ids.ts"
import type { TenantId } from "../../domain/tenant.ts"
import { fixtures as atlasFixtures } from "../../plugins/atlas-kitchen/fixtures/index.ts"
import atlas from "../../plugins/atlas-kitchen/index.ts"
import deliverectAsync from "../../plugins/deliverect/fixtures/menu-async.json" with { type: "json" }
import deliverectOutlets from "../../plugins/deliverect/fixtures/outlets-batch.json" with { type: "json" }
import { fixtures as lightspeedFixtures } from "../../plugins/lightspeed/fixtures/index.ts"
import lightspeed from "../../plugins/lightspeed/index.ts"
import { call, makeTestApp, type TestApp } from "../support/app.ts"
import { storageAdapters } from "../support/storage-adapters.ts"

const host = "acme.localhost"
const json = (body: unknown) => JSON.stringify(body)

interface ProductBody {
  productId: string
  posCode: string
  name: string
  price: { amount: number; currency: string } | null
  available: boolean | null
  modifierGroups: Array<{
    externalId: string
    min: number
    max: number
    maxPerOption: number
    options: Array<{ externalId: string; price: { amount: number } }>
  }>
}

const bundled = [
  { plugin: lightspeed, fixtures: lightspeedFixtures },
  { plugin: atlas, fixtures: atlasFixtures }
] as const

for (const adapter of storageAdapters()) {
  const suite = adapter.available ? describe : describe.skip
  suite(`catalog sync over HTTP (${adapter.name})`, () => {
    let app: TestApp
    let posKey: string
    let partnerKey: string
    const tenant = "acme" as TenantId
    beforeAll(async () => {
      app = await makeTestApp(adapter.layer(), {
        settings: {
          posPlugins: [
            "@pos-integration/plugin-lightspeed",
            "@pos-integration/plugin-atlas-kitchen",
            "@pos-integration/plugin-deliverect"
          ],
          syncLockWaitMs: 10_000,
          syncCallbackHosts: ["127.0.0.1"]
        }
      })
      await app.createTenant({ id: tenant })
      posKey = (await app.issueKey(tenant, { kind: "pos" })).plaintext
      partnerKey = (await app.issueKey(tenant, { kind: "partner" })).plaintext
    }, 60_000)
    afterAll(() => app?.close())

    const post = (path: string, provider: string | undefined, body: string, key = posKey) =>
      call(app, path, {
        method: "POST",
        host,
        key,
        headers: { "content-type": "application/json", ...(provider === undefined ? {} : { "x-provider": provider }) },
        body
      })
    const get = (path: string, key = partnerKey) => call(app, path, { host, key })

    /** Every product of an outlet, following the cursor. */
    const allProducts = async (outletId: string) => {
      const out: Array<ProductBody> = []
      let cursor: string | null = null
      do {
        const response = await get(
          `/api/v1/products?outletId=${outletId}&limit=3${cursor === null ? "" : `&cursor=${cursor}`}`
        )
        expect(response.status).toBe(200)
        const page = (await response.json()) as { data: Array<ProductBody>; nextCursor: string | null }
        out.push(...page.data)
        cursor = page.nextCursor
      } while (cursor !== null)
      return out
    }

    const expectReadsEqual = (provider: string, snapshot: CatalogSnapshot, products: Array<ProductBody>) => {
      const byId = new Map(products.map((p) => [p.productId, p]))
      expect(products.length).toBe(snapshot.products.length)
      for (const p of snapshot.products) {
        const read = byId.get(productId(provider, p.externalId))!
        expect(read).toBeDefined()
        expect({ name: read.name, posCode: read.posCode, amount: read.price?.amount }).toEqual({
          name: p.name,
          posCode: p.posCode,
          amount: p.price
        })
        expect(read.modifierGroups.map((g) => g.externalId)).toEqual(p.modifierGroupIds)
        for (const group of read.modifierGroups) {
          const g = snapshot.modifierGroups.find((x) => x.externalId === group.externalId)!
          expect({ min: group.min, max: group.max, maxPerOption: group.maxPerOption }).toEqual({
            min: g.min,
            max: g.max,
            maxPerOption: g.maxPerOption
          })
          expect(group.options.map((o) => [o.externalId, o.price.amount])).toEqual(
            g.optionIds.map((id) => [id, snapshot.modifierOptions.find((o) => o.externalId === id)!.price])
          )
        }
      }
    }

    for (const { plugin, fixtures } of bundled) {
      const provider = plugin.manifest.id
      const catalog = fixtures.catalogs[0]!
      const externalOutletId = catalog.context.externalOutletId!

      it(`${provider}: outlets and a catalog go in, partner reads give the same products and prices`, async () => {
        const outlets = fixtures.outlets.find((o) => o.expectedExternalIds.includes(externalOutletId))!
        const synced = await post("/api/v1/outlets/sync", provider, json(outlets.payload))
        expect(synced.status).toBe(200)
        const outletBody = (await synced.json()) as {
          counts: { created: number }
          outlets: Array<{ outletId: string; externalId: string }>
        }
        expect(outletBody.counts.created).toBe(new Set(outlets.expectedExternalIds).size)
        const outletId = outletBody.outlets.find((o) => o.externalId === externalOutletId)!.outletId

        const again = await post("/api/v1/outlets/sync", provider, json(outlets.payload))
        expect(((await again.json()) as { counts: { unchanged: number } }).counts.unchanged).toBe(
          new Set(outlets.expectedExternalIds).size
        )

        const first = await post(
          `/api/v1/products/sync?externalOutletId=${externalOutletId}`,
          provider,
          json(catalog.payload)
        )
        expect(first.status).toBe(200)
        const firstBody = (await first.json()) as { data: Array<{ counts: { products: { created: number } } }> }
        expect(firstBody.data[0]!.counts.products.created).toBe(catalog.expected.products)

        const outlet = (await (await get(`/api/v1/outlets/${outletId}`)).json()) as { currency: string }
        const snapshot = await Effect.runPromise(
          plugin.decodeCatalog(catalog.payload, { externalOutletId, currency: outlet.currency })
        )
        expectReadsEqual(provider, snapshot, await allProducts(outletId))

        const resync = await post(
          `/api/v1/products/sync?externalOutletId=${externalOutletId}`,
          provider,
          json(catalog.payload)
        )
        const counts = ((await resync.json()) as { data: Array<{ counts: Record<string, Record<string, number>> }> })
          .data[0]!.counts
        for (const kind of Object.values(counts)) {
          expect([kind["created"], kind["updated"], kind["deactivated"]]).toEqual([0, 0, 0])
        }

        const menu = await get(`/api/v1/outlets/${outletId}/menu`)
        expect(menu.status).toBe(200)
        const menuBody = (await menu.json()) as { menus: Array<{ sections: Array<unknown> }> }
        expect(menuBody.menus.length).toBe(snapshot.menus.length)
      })
    }

    describe("Deliverect's asynchronous push", () => {
      let callbacks: Array<{ path: string; body: unknown }>
      let server: Server
      let port: number
      beforeAll(async () => {
        callbacks = []
        server = createServer((req, res) => {
          let text = ""
          req.on("data", (chunk: Buffer) => {
            text += chunk.toString("utf8")
          })
          req.on("end", () => {
            callbacks.push({ path: req.url ?? "", body: JSON.parse(text) as unknown })
            res.writeHead(200).end("{}")
          })
        })
        await new Promise<void>((done) => server.listen(0, "127.0.0.1", done))
        port = (server.address() as { port: number }).port
        expect((await post("/api/v1/outlets/sync", "deliverect", json(deliverectOutlets))).status).toBe(200)
      })
      afterAll(() => new Promise<void>((done) => server.close(() => done())))

      const withCallback = (url: string) => {
        const payload = structuredClone(deliverectAsync) as { body: { callback: string } }
        payload.body.callback = url
        return payload
      }

      it("applies the snapshot to each store it names and answers the callback ONLINE after the commit", async () => {
        const response = await post(
          "/api/v1/products/sync",
          "deliverect",
          json(withCallback(`http://127.0.0.1:${port}/menuStatus/abc`))
        )
        expect(response.status).toBe(200)
        const body = (await response.json()) as { data: Array<{ externalOutletId: string }> }
        expect(body.data.map((d) => d.externalOutletId).sort()).toEqual([
          "65ddbe003110fd505a9e7be4",
          "65ddbe003110fd505a9e7c11"
        ])
        for (let i = 0; i < 50 && callbacks.length === 0; i++) await new Promise((r) => setTimeout(r, 20))
        expect(callbacks).toEqual([{ path: "/menuStatus/abc", body: expect.objectContaining({ status: "ONLINE" }) }])
      })

      it("never calls a callback host outside SYNC_CALLBACK_HOSTS, but still applies the sync", async () => {
        callbacks.length = 0
        const response = await post(
          "/api/v1/products/sync",
          "deliverect",
          json(withCallback(`http://localhost:${port}/evil`))
        )
        expect(response.status).toBe(200)
        await new Promise((r) => setTimeout(r, 200))
        expect(callbacks).toEqual([])
      })
    })

    describe("errors and guards (lightspeed)", () => {
      const provider = "lightspeed"
      const catalog = lightspeedFixtures.catalogs[0]!
      const outletExternal = catalog.context.externalOutletId!
      const path = `/api/v1/products/sync?externalOutletId=${outletExternal}`
      let outletId: string
      beforeAll(async () => {
        const outlets = lightspeedFixtures.outlets[0]!
        const body = (await (await post("/api/v1/outlets/sync", provider, json(outlets.payload))).json()) as {
          outlets: Array<{ outletId: string; externalId: string }>
        }
        outletId = body.outlets.find((o) => o.externalId === outletExternal)!.outletId
        expect((await post(path, provider, json(catalog.payload))).status).toBe(200)
      })

      const state = async () => json((await allProducts(outletId)).map((p) => [p.productId, p.price, p.available]))

      it("a missing or unknown X-Provider is a 400 naming the loaded providers", async () => {
        for (const header of [undefined, "square"]) {
          const response = await post(path, header, json(catalog.payload))
          expect(response.status).toBe(400)
          const text = await response.text()
          expect(text).toContain("lightspeed")
          expect(text).toContain("atlas-kitchen")
          expect(text).toContain("deliverect")
        }
      })

      it("garbage, another provider's payload, truncated JSON and 10 MB of junk are 400s; 40 MB is a 413; nothing changes", async () => {
        const before = await state()
        const bodies = [
          json({ hello: "world" }),
          json(atlasFixtures.catalogs[0]!.payload),
          json(catalog.payload).slice(0, 200),
          json({ junk: "x".repeat(10 * 1024 * 1024) })
        ]
        for (const body of bodies) {
          const response = await post(path, provider, body)
          expect(response.status).toBe(400)
          expect(((await response.json()) as { error: { code: number } }).error.code).toBe(400)
        }
        const huge = await post(path, provider, "[" + "1,".repeat(20 * 1024 * 1024) + "1]")
        expect(huge.status).toBe(413)
        expect(await state()).toBe(before)
      })

      it("a sync that would deactivate more than 30% is a 409 unless forced; dryRun writes nothing", async () => {
        const payload = structuredClone(catalog.payload) as { menuEntryGroups: Array<{ menuEntry: Array<unknown> }> }
        for (const group of payload.menuEntryGroups) group.menuEntry = group.menuEntry.slice(0, 1)
        const before = await state()
        const refused = await post(path, provider, json(payload))
        expect(refused.status).toBe(409)
        expect(((await refused.json()) as { error: { message: string } }).error.message).toBe("too many deactivations")
        const dry = await post(`${path}&dryRun=true&force=true`, provider, json(payload))
        expect(dry.status).toBe(200)
        const dryCounts = (
          (await dry.json()) as { data: Array<{ dryRun: boolean; counts: { products: { deactivated: number } } }> }
        ).data[0]!
        expect(dryCounts.dryRun).toBe(true)
        expect(dryCounts.counts.products.deactivated).toBeGreaterThan(0)
        expect(await state()).toBe(before)
        const forced = await post(`${path}&force=true`, provider, json(payload))
        expect(forced.status).toBe(200)
        const active = await allProducts(outletId)
        expect(active.length).toBeLessThan(catalog.expected.products)
        // The deactivated ones are still there, inactive.
        const all = await get(`/api/v1/products?outletId=${outletId}&includeInactive=true&limit=500`)
        expect(((await all.json()) as { data: Array<unknown> }).data.length).toBe(catalog.expected.products)
        expect((await post(path, provider, json(catalog.payload))).status).toBe(200)
      })

      it("5 concurrent syncs of one outlet end in exactly one snapshot's state, with no 500", async () => {
        // Five snapshots that differ in every price (whole amounts, the same for every listing of a sku).
        const reprice = (value: unknown, n: number): unknown => {
          if (Array.isArray(value)) return value.map((v) => reprice(v, n))
          if (value === null || typeof value !== "object") return value
          const entries = Object.entries(value).map(([k, v]) => [k, reprice(v, n)] as const)
          const record = Object.fromEntries(entries) as Record<string, unknown>
          if ("productPrice" in record && typeof record["sku"] === "string")
            record["productPrice"] = 10 + n + record["sku"].length
          return record
        }
        const variants = [0, 1, 2, 3, 4].map((n) => reprice(catalog.payload, n))
        const responses = await Promise.all(variants.map((v) => post(path, provider, json(v))))
        for (const r of responses) {
          if (![200, 409].includes(r.status)) expect.fail(`${r.status}: ${await r.text()}`)
        }
        const states = await Promise.all(
          variants.map(async (v) => {
            const snapshot = await Effect.runPromise(
              lightspeed.decodeCatalog(v, { externalOutletId: outletExternal, currency: "SGD" })
            )
            return json(
              snapshot.products
                .map((p) => [productId(provider, p.externalId), p.price] as const)
                .sort((a, b) => (a[0] < b[0] ? -1 : 1))
            )
          })
        )
        const now = json((await allProducts(outletId)).map((p) => [p.productId, p.price?.amount]))
        expect(states).toContain(now)
      })

      it("an identical push is recognised without rewriting anything; a push after another one is applied", async () => {
        const rename = (value: unknown, suffix: string): unknown => {
          if (Array.isArray(value)) return value.map((v) => rename(v, suffix))
          if (value === null || typeof value !== "object") return value
          const record = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rename(v, suffix)]))
          if (typeof record["productName"] === "string") record["productName"] = `${record["productName"]}${suffix}`
          return record
        }
        const names = async () => json((await allProducts(outletId)).map((p) => [p.productId, p.name]).sort())
        const original = catalog.payload
        expect((await post(path, provider, json(original))).status).toBe(200)
        const before = await names()
        // The same push again: every count "unchanged", nothing written.
        const again = (await (await post(path, provider, json(original))).json()) as {
          data: Array<{
            syncId: string
            counts: Record<string, { created: number; updated: number; unchanged: number }>
          }>
        }
        expect(again.data[0]!.counts["products"]).toEqual({
          created: 0,
          updated: 0,
          unchanged: catalog.expected.products,
          deactivated: 0
        })
        expect(await names()).toBe(before)
        // Another outlet's push renames the shared products; this outlet's identical push must
        // then be applied again (not recognised), restoring its names.
        const other = "45454565682201"
        expect(
          (await post(`/api/v1/products/sync?externalOutletId=${other}`, provider, json(rename(original, " (B)"))))
            .status
        ).toBe(200)
        expect(await names()).not.toBe(before)
        const restored = (await (await post(path, provider, json(original))).json()) as {
          data: Array<{ counts: Record<string, { updated: number }> }>
        }
        expect(restored.data[0]!.counts["products"]!.updated).toBeGreaterThan(0)
        expect(await names()).toBe(before)
        // A different push of this outlet, then the original again: applied, not recognised.
        expect((await post(path, provider, json(rename(original, " (A2)")))).status).toBe(200)
        expect(await names()).not.toBe(before)
        expect((await post(path, provider, json(original))).status).toBe(200)
        expect(await names()).toBe(before)
      })

      it("sync history lists each sync with its counts, newest first", async () => {
        const list = await get(`/api/v1/syncs?outletId=${outletId}&limit=2`, posKey)
        expect(list.status).toBe(200)
        const body = (await list.json()) as { data: Array<{ syncId: string; kind: string }>; nextCursor: string | null }
        expect(body.data.length).toBe(2)
        expect(body.nextCursor).not.toBeNull()
        const one = await get(`/api/v1/syncs/${body.data[0]!.syncId}`, posKey)
        expect(one.status).toBe(200)
        expect((await get("/api/v1/syncs/syn_nope", posKey)).status).toBe(404)
      })

      it("scopes: a partner key cannot sync, a pos key cannot read menus", async () => {
        expect((await post(path, provider, json(catalog.payload), partnerKey)).status).toBe(403)
        expect((await get(`/api/v1/outlets/${outletId}/menu`, posKey)).status).toBe(403)
        expect((await get(`/api/v1/outlets/${outletId}/menu`, partnerKey)).status).toBe(200)
      })

      it("unknown outlets and products are 404s; bad query values are 400s", async () => {
        expect(
          (await post("/api/v1/products/sync?externalOutletId=nope", provider, json(catalog.payload))).status
        ).toBe(404)
        expect((await get("/api/v1/outlets/out_nope")).status).toBe(404)
        expect((await get("/api/v1/products/prd_nope")).status).toBe(404)
        expect((await get("/api/v1/products?limit=0")).status).toBe(400)
        expect((await get("/api/v1/products?limit=501")).status).toBe(400)
        expect((await get("/api/v1/products?updatedSince=yesterday")).status).toBe(400)
        expect((await get(`/api/v1/outlets/${outletId}/menu?at=2026-13-01T00:00:00Z`)).status).toBe(400)
      })

      it("GET /providers lists the loaded plugins", async () => {
        const body = (await (await get("/api/v1/providers")).json()) as { data: Array<{ id: string }> }
        expect(body.data.map((p) => p.id).sort()).toEqual(["atlas-kitchen", "deliverect", "lightspeed"])
      })
    })
  })
}
