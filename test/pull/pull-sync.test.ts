import { Effect, type Layer, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { syncCatalog } from "../../application/catalog/sync-catalog.ts"
import { syncOutlets } from "../../application/catalog/sync-outlets.ts"
import { Catalog, type CatalogChanges, Outlets, SyncHistory, type SyncRecord } from "../../application/ports/catalog.ts"
import type { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import { type TenantRepositories, TenantStorage } from "../../application/ports/tenant-storage.ts"
import { MissingCredentials, PayloadRejected, PosRejected, PosUnavailable } from "../../application/pos-sdk/errors.ts"
import { type CallTarget, type PullTarget, runPull } from "../../application/pull/run-pull.ts"
import { createTenant } from "../../application/tenants/create-tenant.ts"
import type { CatalogSnapshot } from "../../domain/catalog.ts"
import { outletId } from "../../domain/ids.ts"
import type { Tenant, TenantId } from "../../domain/tenant.ts"
import { pullFingerprint } from "../../runtime/pull/pull-fingerprint.ts"
import { storageAdapters } from "../support/storage-adapters.ts"
import { catalog, contextWith, type FakePullPos, makeFakePullPos, outlet, product } from "./fake-pull-plugin.ts"

const options = { dryRun: false, force: false, lockWaitMs: 2000, maxDeactivationPercent: 30 }
let tenantCounter = 0

for (const adapter of storageAdapters()) {
  const suite = adapter.available ? describe : describe.skip
  suite(`a pulled catalog goes through the push's sync (${adapter.name})`, () => {
    let runtime: ManagedRuntime.ManagedRuntime<TenantDirectory | TenantStorage, unknown>
    beforeAll(() => {
      runtime = ManagedRuntime.make(adapter.layer() as Layer.Layer<TenantDirectory | TenantStorage, unknown>)
    })
    afterAll(() => runtime?.dispose())

    /** What the catalog was asked to write, and whether it even read the outlet's state. */
    const writes = { applies: [] as Array<CatalogChanges>, loads: 0 }

    const newTenant = () =>
      runtime.runPromise(createTenant({ id: `pull-${process.pid}-${++tenantCounter}` as TenantId }))

    const inTenant = <A, E>(tenant: Tenant, effect: Effect.Effect<A, E, TenantRepositories>) =>
      runtime.runPromise(
        Effect.flatMap(TenantStorage, (storage) =>
          Effect.provide(
            Effect.flatMap(Catalog, (real) =>
              effect.pipe(
                Effect.provideService(Catalog, {
                  ...real,
                  loadState: (storeId, ids) => {
                    writes.loads++
                    return real.loadState(storeId, ids)
                  },
                  apply: (changes) => {
                    writes.applies.push(changes)
                    return real.apply(changes)
                  }
                })
              )
            ),
            storage.open(tenant)
          )
        ) as Effect.Effect<A, E>
      )

    /** A pull through the use case, with a context builder that records whom it was asked for. */
    const pull = (pos: FakePullPos, tenant: Tenant, target: PullTarget, contexts: Array<CallTarget> = []) =>
      inTenant(
        tenant,
        runPull(
          {
            plugin: pos.plugin,
            tenant,
            contextFor: (call) => {
              contexts.push(call)
              return Effect.succeed(
                call._tag === "Outlet"
                  ? contextWith(
                      { externalId: call.store.externalId, identifiers: call.store.identifiers },
                      call.store.accountId
                    )
                  : contextWith(null, call.accountId)
              )
            },
            fingerprintOf: (externalOutletId, snapshot) =>
              pullFingerprint(pos.plugin.manifest, externalOutletId, snapshot),
            lockWaitMs: 2000,
            maxDeactivationPercent: 30
          },
          target
        )
      )
    const outletPull = (externalOutletId: string) => ({ externalOutletId, accountId: null })

    const history = (tenant: Tenant, storeId: string | null) =>
      inTenant(
        tenant,
        Effect.flatMap(SyncHistory, (h) => h.list({ storeId, cursor: null, limit: 100 }))
      )
    const stored = (tenant: Tenant, externalId: string, provider = "fakepull") =>
      inTenant(
        tenant,
        Effect.gen(function* () {
          const storeId = outletId(provider, externalId)
          const catalog = yield* Catalog
          const items = yield* catalog.listItems({
            storeId,
            updatedSince: null,
            includeInactive: true,
            cursor: null,
            limit: 500
          })
          const menus = yield* catalog.storeMenus(storeId)
          return {
            items: items.map(({ item, link }) => ({
              id: item.id,
              name: item.name,
              posCode: item.posCode,
              price: link?.price,
              tax: link?.taxRatePpm,
              active: link?.active
            })),
            menus: menus.map((m) => ({ id: m.id, name: m.name, sections: m.sections, active: m.active }))
          }
        })
      )
    const withOutlets = async (pos: FakePullPos, ...externalIds: Array<string>) => {
      const tenant = await newTenant()
      await inTenant(tenant, syncOutlets({ plugin: pos.plugin, tenant, payload: externalIds.map((id) => outlet(id)) }))
      return tenant
    }

    it("applies a pulled catalog exactly as a push of the same snapshot, and records it as a pull", async () => {
      const pos = makeFakePullPos()
      const snapshot: CatalogSnapshot = catalog(6)
      const pushed = await withOutlets(pos, "S1")
      const pushResult = await inTenant(
        pushed,
        syncCatalog({ plugin: pos.plugin, payload: snapshot, externalOutletId: "S1", options, fingerprint: null })
      )
      const pulled = await withOutlets(pos, "S1")
      pos.catalogs.set("S1", snapshot)
      const report = await pull(pos, pulled, outletPull("S1"))
      expect(report.problems).toEqual([])
      expect(report.syncIds).toHaveLength(1)

      const [pushRecord] = await history(pushed, outletId("fakepull", "S1"))
      const [pullRecord] = await history(pulled, outletId("fakepull", "S1"))
      expect(pushRecord).toMatchObject({ source: "push", status: "succeeded", kind: "products" })
      expect(pullRecord).toMatchObject({ id: report.syncIds[0], source: "pull", status: "succeeded", kind: "products" })
      expect(pullRecord!.counts).toEqual(pushRecord!.counts)
      expect(pullRecord!.counts).toEqual(pushResult.results[0]!.counts)
      expect(pullRecord!.counts["products"]).toEqual({ created: 6, updated: 0, unchanged: 0, deactivated: 0 })
      expect(await stored(pulled, "S1")).toEqual(await stored(pushed, "S1"))
      // The outlet's own context went to the plugin: its POS id and the identifiers the outlet sync kept.
      expect(pos.fetches.map((f) => [f.kind, f.target, f.context.outlet])).toEqual([
        ["catalog", "S1", { externalId: "S1", identifiers: { site: "site-S1" } }]
      ])
    })

    it("recognises an identical pull and writes nothing, then applies a changed one", async () => {
      const pos = makeFakePullPos()
      const tenant = await withOutlets(pos, "S1")
      pos.catalogs.set("S1", catalog(4))
      await pull(pos, tenant, outletPull("S1"))
      const before = await stored(tenant, "S1")

      writes.applies.length = 0
      writes.loads = 0
      // The same catalog, its fields in another order: the canonical JSON is the same.
      pos.catalogs.set("S1", Object.fromEntries(Object.entries(catalog(4)).reverse()) as unknown as CatalogSnapshot)
      const again = await pull(pos, tenant, outletPull("S1"))
      expect(again.problems).toEqual([])
      expect(writes).toEqual({ applies: [], loads: 0 })
      const [latest] = await history(tenant, outletId("fakepull", "S1"))
      expect(latest).toMatchObject({ id: again.syncIds[0], source: "pull", status: "succeeded" })
      expect(latest!.counts["products"]).toEqual({ created: 0, updated: 0, unchanged: 4, deactivated: 0 })
      expect(await stored(tenant, "S1")).toEqual(before)

      pos.catalogs.set(
        "S1",
        catalog(4, (i) => (i === 2 ? 999 : 100 + i))
      )
      const changed = await pull(pos, tenant, outletPull("S1"))
      expect(changed.problems).toEqual([])
      expect(writes.loads).toBe(1)
      expect(writes.applies.flatMap((c) => c.itemStores.map((l) => l.price))).toEqual([999])
      const [newest] = await history(tenant, outletId("fakepull", "S1"))
      expect(newest!.counts["products"]).toEqual({ created: 0, updated: 1, unchanged: 3, deactivated: 0 })
    })

    it("refuses a pull that would deactivate more than 30% of the outlet's products, as it refuses a push", async () => {
      const pos = makeFakePullPos()
      const tenant = await withOutlets(pos, "S1")
      pos.catalogs.set("S1", catalog(10))
      await pull(pos, tenant, outletPull("S1"))
      pos.catalogs.set("S1", catalog(6))
      const refused = await pull(pos, tenant, outletPull("S1"))
      expect(refused.problems).toEqual([
        expect.objectContaining({ error: "TooManyDeactivations", retryable: false, outlet: "S1" })
      ])
      expect(refused.problems[0]!.message).toContain("deactivate 4 of the outlet's 10 active products")
      const records = await history(tenant, outletId("fakepull", "S1"))
      // One record of the refusal (the sync's own), not a second one from the pull.
      expect(records.filter((r) => r.status === "failed")).toEqual([
        expect.objectContaining({ source: "pull", error: "TooManyDeactivations", counts: {} })
      ])
      expect((await stored(tenant, "S1")).items.filter((i) => i.active)).toHaveLength(10)
      // A push of the same snapshot is refused the same way.
      const push = await inTenant(
        tenant,
        syncCatalog({
          plugin: pos.plugin,
          payload: catalog(6),
          externalOutletId: "S1",
          options,
          fingerprint: null
        }).pipe(Effect.flip)
      )
      expect(push._tag).toBe("TooManyDeactivations")
    })

    it("records each failed step in the sync history, with its tag and a message without credentials", async () => {
      const pos = makeFakePullPos()
      const tenant = await withOutlets(pos, "S1")
      const failures: Array<[unknown, string, boolean]> = [
        [
          new PosUnavailable({ reason: "GET https://pos.example/menu?token=tok-outlet-5e3c9a answered 503" }),
          "PosUnavailable",
          true
        ],
        [new PosRejected({ reason: "location cs-account-71f0b2 unknown", status: 404 }), "PosRejected", false],
        [
          new MissingCredentials({ level: "account", reason: "no account credentials are set" }),
          "MissingCredentials",
          false
        ],
        [PayloadRejected.one("menus.0.price", "expected a number"), "PayloadRejected", false]
      ]
      for (const [failure, tag, retryable] of failures) {
        pos.catalogs.set("S1", failure as PosUnavailable)
        const report = await pull(pos, tenant, outletPull("S1"))
        expect(report.problems, tag).toEqual([expect.objectContaining({ error: tag, retryable, outlet: "S1" })])
        const [record] = await history(tenant, outletId("fakepull", "S1"))
        expect(record, tag).toMatchObject({
          id: report.syncIds[0],
          kind: "products",
          source: "pull",
          status: "failed",
          counts: {}
        })
        expect(record!.error?.startsWith(`${tag}: `), record!.error ?? "").toBe(true)
        expect(record!.error).not.toContain("tok-outlet-5e3c9a")
        expect(record!.error).not.toContain("cs-account-71f0b2")
      }
      expect((await history(tenant, outletId("fakepull", "S1")))[0]!.error).toBe(
        "PayloadRejected: the POS answered a catalog that breaks the rules: menus.0.price: expected a number"
      )
    })

    it("refuses a pulled catalog that breaks the invariants or names other outlets, writing nothing", async () => {
      const pos = makeFakePullPos()
      const tenant = await withOutlets(pos, "S1", "S2")
      const twice = catalog(2)
      pos.catalogs.set("S1", { ...twice, products: [...twice.products, product("p0", 5)] })
      const broken = await pull(pos, tenant, outletPull("S1"))
      expect(broken.problems).toEqual([expect.objectContaining({ error: "PayloadRejected", retryable: false })])
      expect(broken.problems[0]!.message).toContain("products.p0: this external id is used by two objects")
      pos.catalogs.set("S1", { ...catalog(2), outletIds: ["S1", "S2"] })
      const foreign = await pull(pos, tenant, outletPull("S1"))
      expect(foreign.problems[0]!.message).toContain("names other outlets (S2)")
      expect((await stored(tenant, "S1")).items).toEqual([])
      expect((await stored(tenant, "S2")).items).toEqual([])
      expect((await history(tenant, outletId("fakepull", "S1"))).map((r: SyncRecord) => r.status)).toEqual([
        "failed",
        "failed"
      ])
    })

    it("pulls an account: its outlets as an outlet sync from a pull, then each active outlet's catalog", async () => {
      const pos = makeFakePullPos()
      const tenant = await newTenant()
      pos.outlets.set("acct-1", [outlet("S2"), outlet("S3", { active: false }), outlet("S4", { accountId: "acct-1" })])
      pos.catalogs.set("S2", catalog(2))
      pos.catalogs.set("S4", catalog(3))
      const contexts: Array<CallTarget> = []
      const report = await pull(pos, tenant, { externalOutletId: null, accountId: "acct-1" }, contexts)
      expect(report.problems).toEqual([])
      expect(
        contexts.map((c) => (c._tag === "Account" ? `account ${c.accountId}` : `outlet ${c.store.externalId}`))
      ).toEqual(["account acct-1", "outlet S2", "outlet S4"])
      const outletsRecord = (await history(tenant, null)).find((r) => r.kind === "outlets")
      expect(outletsRecord).toMatchObject({ source: "pull", status: "succeeded", storeId: null })
      expect(outletsRecord!.counts["outlets"]).toEqual({ created: 3, updated: 0, unchanged: 0, deactivated: 0 })
      const stores = await inTenant(
        tenant,
        Effect.flatMap(Outlets, (o) => o.findByExternalIds("fakepull", ["S2", "S3", "S4"]))
      )
      // The vendor did not name the account: the outlets fetched for it belong to it.
      expect(stores.map((s) => [s.externalId, s.accountId, s.active]).sort()).toEqual([
        ["S2", "acct-1", true],
        ["S3", "acct-1", false],
        ["S4", "acct-1", true]
      ])
      expect((await stored(tenant, "S2")).items).toHaveLength(2)
      expect((await stored(tenant, "S4")).items).toHaveLength(3)
      expect(pos.fetches.filter((f) => f.kind === "catalog").map((f) => f.target)).toEqual(["S2", "S4"])
    })

    it("pulls every account of the tenant's outlets, and each outlet that names none, when no target is given", async () => {
      const pos = makeFakePullPos()
      const tenant = await newTenant()
      await inTenant(
        tenant,
        syncOutlets({
          plugin: pos.plugin,
          tenant,
          payload: [outlet("S5", { accountId: "acct-2" }), outlet("S6"), outlet("S7", { active: false })]
        })
      )
      pos.outlets.set("acct-2", [outlet("S5", { accountId: "acct-2" })])
      pos.catalogs.set("S5", catalog(1))
      pos.catalogs.set("S6", catalog(2))
      const report = await pull(pos, tenant, { externalOutletId: null, accountId: null })
      expect(report.problems).toEqual([])
      expect(pos.fetches.map((f) => `${f.kind} ${f.target}`)).toEqual(["outlets acct-2", "catalog S5", "catalog S6"])
    })

    it("tells a failed account step, an unknown outlet and a POS that cannot be pulled", async () => {
      const pos = makeFakePullPos()
      const tenant = await newTenant()
      pos.outlets.set("acct-3", new PosUnavailable({ reason: "connection refused" }))
      const account = await pull(pos, tenant, { externalOutletId: null, accountId: "acct-3" })
      expect(account.problems).toEqual([
        {
          error: "PosUnavailable",
          message: expect.stringContaining("connection refused"),
          retryable: true,
          outlet: null
        }
      ])
      expect((await history(tenant, null))[0]).toMatchObject({ kind: "outlets", source: "pull", status: "failed" })

      const unknown = await pull(pos, tenant, outletPull("nowhere"))
      expect(unknown.problems).toEqual([expect.objectContaining({ error: "NotFound", retryable: false })])
      expect(pos.fetches.filter((f) => f.kind === "catalog")).toEqual([])

      const pushing = makeFakePullPos("pushonly", ["outlets", "catalog"])
      const refused = await pull(pushing, tenant, outletPull("S1"))
      expect(refused.problems).toEqual([expect.objectContaining({ error: "PullNotSupported", retryable: false })])
    })
  })
}
