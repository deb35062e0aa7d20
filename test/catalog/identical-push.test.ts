import { Effect, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { layerMemoryStorage } from "../../adapters/storage/memory/memory-storage.ts"
import { syncCatalog } from "../../application/catalog/sync-catalog.ts"
import { syncOutlets } from "../../application/catalog/sync-outlets.ts"
import { Catalog, Outlets, SyncHistory } from "../../application/ports/catalog.ts"
import type { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import { TenantStorage } from "../../application/ports/tenant-storage.ts"
import { manifestFrom } from "../../application/pos-sdk/manifest.ts"
import type { PosPlugin } from "../../application/pos-sdk/plugin.ts"
import { createTenant } from "../../application/tenants/create-tenant.ts"
import type { CatalogSnapshot, OutletSnapshot } from "../../domain/catalog.ts"
import { productId } from "../../domain/ids.ts"
import type { Tenant, TenantId } from "../../domain/tenant.ts"

/** A POS whose payload is the price of product "p" and the outlets it goes to; it counts its decodes. */
let decodes = 0
const outlet = (id: string): OutletSnapshot => ({
  externalId: id,
  name: id,
  active: true,
  currency: "SGD",
  timezone: null,
  country: null,
  address: null,
  postalCode: null,
  phone: null,
  taxInclusive: null,
  serviceHours: [],
  identifiers: {},
  accountId: null
})
const plugin = {
  manifest: manifestFrom({ id: "fake", displayName: "Fake", version: "1.0.0", sdkVersion: 2, capabilities: [] }),
  decodeOutlets: (payload: unknown) => Effect.succeed((payload as Array<string>).map(outlet)),
  decodeCatalog: (payload: unknown) =>
    Effect.sync((): CatalogSnapshot => {
      decodes++
      const { outlets, price } = payload as { outlets: Array<string>; price: number }
      return {
        outletIds: outlets,
        products: [
          {
            externalId: "p",
            posCode: "P",
            name: "P",
            description: null,
            imageUrl: null,
            price,
            taxRatePpm: null,
            modifierGroupIds: [],
            snoozedUntil: null
          }
        ],
        modifierGroups: [],
        modifierOptions: [],
        menus: [],
        callback: null
      }
    })
} as unknown as PosPlugin<unknown>

const options = { dryRun: false, force: false, lockWaitMs: 1000, maxDeactivationPercent: 30 }

describe("an identical push", () => {
  let runtime: ManagedRuntime.ManagedRuntime<TenantDirectory | TenantStorage, unknown>
  let tenant: Tenant
  beforeAll(async () => {
    runtime = ManagedRuntime.make(layerMemoryStorage)
    tenant = await runtime.runPromise(createTenant({ id: "acme" as TenantId }))
    await run(syncOutlets({ plugin, tenant, payload: ["A", "B"] }))
  })
  afterAll(() => runtime.dispose())

  const run = <A, E>(effect: Effect.Effect<A, E, Outlets | Catalog | SyncHistory>) =>
    runtime.runPromise(
      Effect.flatMap(TenantStorage, (storage) => Effect.provide(effect, storage.open(tenant))) as Effect.Effect<A, E>
    )
  const push = (payload: { outlets: Array<string>; price: number }, fingerprint: string) =>
    run(syncCatalog({ plugin, payload, externalOutletId: null, options, fingerprint }))
  const priceAt = (store: string) =>
    run(
      Effect.gen(function* () {
        const [row] = yield* (yield* Outlets).findByExternalIds("fake", [store])
        const links = yield* (yield* Catalog).storeLinks(row!.id, [productId("fake", "p")])
        return links[0]?.price
      })
    )

  it("is recognised without decoding when it was the last sync of every outlet it named", async () => {
    await push({ outlets: ["A", "B"], price: 100 }, "fp-100")
    decodes = 0
    const again = await push({ outlets: ["A", "B"], price: 100 }, "fp-100")
    expect(decodes).toBe(0)
    expect(again.results.map((r) => r.counts.products)).toEqual([
      { created: 0, updated: 0, unchanged: 1, deactivated: 0 },
      { created: 0, updated: 0, unchanged: 1, deactivated: 0 }
    ])
  })

  it("is applied again once another push changed one of its outlets", async () => {
    await push({ outlets: ["B"], price: 200 }, "fp-200-b")
    expect(await priceAt("B")).toBe(200)
    decodes = 0
    await push({ outlets: ["A", "B"], price: 100 }, "fp-100")
    expect(decodes).toBe(1)
    expect(await priceAt("B")).toBe(100)
  })

  it("is applied again when an earlier application reached only some of its outlets", async () => {
    // A record of the push for A alone, as a push interrupted after its first outlet leaves.
    await run(
      Effect.gen(function* () {
        const h = yield* SyncHistory
        const [a] = yield* (yield* Outlets).findByExternalIds("fake", ["A"])
        const latest = (yield* h.list({ storeId: a!.id, cursor: null, limit: 1 }))[0]!
        // The newest record of all, and one that changed nothing, so only the outlet count can tell.
        yield* h.record({
          ...latest,
          id: "syn_zzzzzzzzz",
          fingerprint: "fp-partial",
          pushedOutlets: 2,
          counts: { products: { created: 0, updated: 0, unchanged: 1, deactivated: 0 } }
        })
      })
    )
    decodes = 0
    await push({ outlets: ["A", "B"], price: 100 }, "fp-partial")
    expect(decodes).toBe(1)
  })

  it("is decoded when a dry run asks, whatever its fingerprint", async () => {
    decodes = 0
    await run(
      syncCatalog({
        plugin,
        payload: { outlets: ["A", "B"], price: 100 },
        externalOutletId: null,
        options: { ...options, dryRun: true },
        fingerprint: "fp-100"
      })
    )
    expect(decodes).toBe(1)
  })
})
