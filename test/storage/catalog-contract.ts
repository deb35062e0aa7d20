import { Effect, Layer } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { isEmptyChange, planCatalogSync } from "../../application/catalog/plan-catalog-sync.ts"
import {
  Catalog,
  type ItemQuery,
  type ItemRow,
  Outlets,
  type StoreRow,
  SyncHistory,
  type SyncRecord
} from "../../application/ports/catalog.ts"
import { PosCredentialStore } from "../../application/ports/pos-credentials.ts"
import { PosInbox } from "../../application/ports/pos-inbox.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import { type TenantRepositories, TenantStorage } from "../../application/ports/tenant-storage.ts"
import { catalogIssues } from "../../application/pos-sdk/invariants.ts"
import type { CatalogSnapshot } from "../../domain/catalog.ts"
import { modifierGroupId, modifierOptionId, productId } from "../../domain/ids.ts"
import type { TenantId } from "../../domain/tenant.ts"
import {
  applicable,
  applyToModel,
  arbChanges,
  arbItemQuery,
  arbSnapshot,
  arbStoreRow,
  arbSyncRecord,
  byId,
  emptyModel,
  expectedFromSnapshot,
  instants,
  itemIdPool,
  modelLinksOf,
  modelListItems,
  modelMenusOf,
  present,
  sortLinks,
  storeIdPool,
  storeRow,
  withoutTime
} from "./catalog-arbitraries.ts"

type Storage = TenantDirectory | TenantStorage

export interface ContractHelpers {
  readonly name: string
  readonly run: <A, E>(effect: Effect.Effect<A, E, Storage>) => Promise<A>
  readonly inTenant: <A, E>(tenant: TenantId, effect: Effect.Effect<A, E, TenantRepositories>) => Promise<A>
  readonly newTenant: (prefix?: string) => Promise<TenantId>
}

const runs = { numRuns: 25 }

/** Outlets, catalog and sync history: the same behaviour from every adapter. */
export const catalogContract = ({ name, run, inTenant, newTenant }: ContractHelpers) => {
  // PGlite is one session: an open transaction holds up every other client, so a lock on another
  // outlet waits for the first to finish (it still succeeds). The in-memory adapter has no
  // transactions, so a failed sync keeps what it wrote.
  const oneSession = name === "PGlite"
  const transactional = name !== "memory"

  describe("outlets", () => {
    const hours = [{ dayOfWeek: 1, opens: "08:00", closes: "22:00", fulfilment: "PICKUP" }] as const

    it("saves, finds, gets and lists outlets with every field", async () => {
      const tenant = await newTenant()
      const full = storeRow("out_B", {
        externalId: "ext-b",
        name: "Café 😀",
        currency: "SGD",
        timezone: "Asia/Singapore",
        country: "SG",
        address: "1 Road",
        postalCode: "123456",
        phone: "+65 1234",
        taxInclusive: true,
        serviceHours: hours,
        identifiers: { channelLinkId: "cl-1", locationId: "loc" },
        createdAt: instants[1]!,
        updatedAt: instants[2]!
      })
      const plain = storeRow("out_A", { externalId: "ext-a" })
      const closed = storeRow("out_a", { externalId: "ext-c", active: false, taxInclusive: false })
      const other = storeRow("out_0", { provider: "other", externalId: "ext-a" })
      const seen = await inTenant(
        tenant,
        Effect.gen(function* () {
          const outlets = yield* Outlets
          yield* outlets.save([full, plain, closed, other])
          return {
            got: yield* outlets.get("out_B"),
            missing: yield* outlets.get("out_none"),
            found: yield* outlets.findByExternalIds("prov", ["ext-a", "ext-c", "ext-zzz"]),
            none: yield* outlets.findByExternalIds("prov", []),
            active: yield* outlets.list({ cursor: null, limit: 10, includeInactive: false }),
            all: yield* outlets.list({ cursor: null, limit: 10, includeInactive: true }),
            page: yield* outlets.list({ cursor: "out_A", limit: 2, includeInactive: true })
          }
        })
      )
      expect(seen.got).toEqual(full)
      expect(seen.missing).toBeUndefined()
      expect([...seen.found].sort(byId)).toEqual([plain, closed])
      expect(seen.none).toEqual([])
      expect(seen.active).toEqual([other, plain, full])
      expect(seen.all).toEqual([other, plain, full, closed])
      expect(seen.page).toEqual([full, closed])
    })

    it("replaces an outlet and its identifiers on save, and leaves its credentials alone", async () => {
      const tenant = await newTenant()
      const first = storeRow("out_A", { identifiers: { a: "1" } })
      const second = { ...first, name: "Renamed", identifiers: { b: "2" }, updatedAt: instants[3]! }
      const seen = await inTenant(
        tenant,
        Effect.gen(function* () {
          const outlets = yield* Outlets
          const credentials = yield* PosCredentialStore
          yield* outlets.save([first])
          const before = yield* credentials.getOutlet("out_A")
          yield* credentials.setOutlet("out_A", '{"token":"s3cret"}')
          yield* outlets.save([second])
          const secrets = yield* credentials.getOutlet("out_A")
          yield* credentials.setOutlet("out_A", '{"token":"new"}')
          return { before, secrets, again: yield* credentials.getOutlet("out_A"), row: yield* outlets.get("out_A") }
        })
      )
      expect(seen.before).toBeUndefined()
      expect(seen.secrets).toBe('{"token":"s3cret"}')
      expect(seen.again).toBe('{"token":"new"}')
      expect(seen.row).toEqual(second)
    })

    it("behaves like a simple model under any sequence of saves and reads", async () => {
      const arbOp = fc.oneof(
        fc.record({ op: fc.constant("save" as const), rows: fc.array(arbStoreRow("prov"), { maxLength: 4 }) }),
        fc.record({ op: fc.constant("secrets" as const), index: fc.nat(4), secrets: fc.string({ maxLength: 12 }) }),
        fc.record({
          op: fc.constant("list" as const),
          limit: fc.integer({ min: 1, max: 3 }),
          includeInactive: fc.boolean()
        }),
        fc.record({
          op: fc.constant("find" as const),
          ids: fc.subarray([...storeIdPool.map((i) => `ext${i}`), "nope"])
        })
      )
      await fc.assert(
        fc.asyncProperty(fc.array(arbOp, { maxLength: 12 }), async (ops) => {
          const tenant = await newTenant("o")
          const model = new Map<string, StoreRow>()
          const secrets = new Map<string, string>()
          await inTenant(
            tenant,
            Effect.gen(function* () {
              const outlets = yield* Outlets
              const credentials = yield* PosCredentialStore
              for (const op of ops) {
                switch (op.op) {
                  case "save":
                    yield* outlets.save(op.rows)
                    for (const row of op.rows) model.set(row.id, row)
                    break
                  case "secrets": {
                    // Only for outlets that exist: the SQL tables refuse secrets of no outlet.
                    const id = [...model.keys()].sort()[op.index % Math.max(1, model.size)]
                    if (id === undefined) break
                    yield* credentials.setOutlet(id, op.secrets)
                    secrets.set(id, op.secrets)
                    break
                  }
                  case "list": {
                    const pages: Array<StoreRow> = []
                    let cursor: string | null = null
                    for (;;) {
                      const page: ReadonlyArray<StoreRow> = yield* outlets.list({
                        cursor,
                        limit: op.limit,
                        includeInactive: op.includeInactive
                      })
                      expect(page.length).toBeLessThanOrEqual(op.limit)
                      pages.push(...page)
                      if (page.length < op.limit) break
                      cursor = page.at(-1)!.id
                    }
                    const expected = [...model.values()].filter((s) => op.includeInactive || s.active).sort(byId)
                    expect(pages).toEqual(expected)
                    break
                  }
                  case "find": {
                    const found = yield* outlets.findByExternalIds("prov", op.ids)
                    const wanted = new Set(op.ids)
                    expect([...found].sort(byId)).toEqual(
                      [...model.values()].filter((s) => wanted.has(s.externalId)).sort(byId)
                    )
                    break
                  }
                }
              }
              for (const id of storeIdPool) {
                expect(yield* outlets.get(id)).toEqual(model.get(id))
                expect(yield* credentials.getOutlet(id)).toEqual(secrets.get(id))
              }
            })
          )
        }),
        { numRuns: 15 }
      )
    })
  })

  describe("catalog", () => {
    const stores = ["out_A", "out_b"]
    const saveStores = Effect.flatMap(Outlets, (o) => o.save(stores.map((id) => storeRow(id))))

    it("reads back exactly what was applied, as a simple model does (apply, loadState, listItems, menus)", async () => {
      const arbQueries = fc.array(arbItemQuery(stores), { minLength: 3, maxLength: 6 })
      const arbAsk = fc.shuffledSubarray([...itemIdPool, "prd_none"]).map((ids) => [...ids, ...ids.slice(0, 1)])
      await fc.assert(
        fc.asyncProperty(
          fc.array(arbChanges(stores), { minLength: 1, maxLength: 3 }),
          arbQueries,
          arbAsk,
          async (batches, queries, ask) => {
            const tenant = await newTenant("c")
            const model = emptyModel()
            await inTenant(
              tenant,
              Effect.gen(function* () {
                yield* saveStores
                const catalog = yield* Catalog
                for (const batch of batches) {
                  const changes = applicable(model, batch)
                  yield* catalog.apply(changes)
                  applyToModel(model, changes)
                }
                const groupIds = ["mgr_a", "mgr_0", "mgr_B", "mgr_none"]
                const optionIds = ["opt_c", "opt_0", "opt_a", "opt_B", "opt_none"]
                for (const store of stores) {
                  const state = yield* catalog.loadState(store, { items: ask, groups: groupIds, options: optionIds })
                  expect(state.items).toEqual(present(model.items, ask))
                  expect(state.groups).toEqual(present(model.groups, groupIds))
                  expect(state.options).toEqual(present(model.options, optionIds))
                  expect(sortLinks(state.itemStores)).toEqual(modelLinksOf(model, store))
                  expect([...state.menus].sort(byId)).toEqual(modelMenusOf(model, store))
                  expect(yield* catalog.storeMenus(store)).toEqual(modelMenusOf(model, store).filter((m) => m.active))
                  expect(yield* catalog.storeLinks(store, ask)).toEqual(
                    ask.flatMap((id) => {
                      const link = model.links.get(`${store}|${id}`)
                      return link === undefined ? [] : [link]
                    })
                  )
                  // What an order needs, in one read: the same rows as the four reads above.
                  const distinct = [...new Set(ask)]
                  const orderedItems = present(model.items, distinct)
                  const orderedGroups = present(model.groups, [
                    ...new Set(orderedItems.flatMap((i) => i.modifierGroupIds))
                  ]).sort(byId)
                  expect(yield* catalog.orderingRows(store, distinct)).toEqual({
                    links: distinct.flatMap((id) => {
                      const link = model.links.get(`${store}|${id}`)
                      return link === undefined ? [] : [link]
                    }),
                    items: orderedItems,
                    groups: orderedGroups,
                    options: present(model.options, [...new Set(orderedGroups.flatMap((g) => g.optionIds))]).sort(byId)
                  })
                }
                for (const id of [...itemIdPool, "prd_none"]) {
                  expect(yield* catalog.getItem(id)).toEqual(model.items.get(id))
                  expect(sortLinks(yield* catalog.itemLinks([id]))).toEqual(
                    sortLinks([...model.links.values()].filter((l) => l.itemId === id))
                  )
                }
                // Several products in one read, an id asked twice counted once.
                const asked = [...itemIdPool, itemIdPool[0]!, "prd_none"]
                expect(sortLinks(yield* catalog.itemLinks(asked))).toEqual(
                  sortLinks([...model.links.values()].filter((l) => asked.includes(l.itemId)))
                )
                expect(yield* catalog.getItems(ask)).toEqual(present(model.items, ask))
                expect(yield* catalog.getGroups(groupIds)).toEqual(present(model.groups, groupIds))
                expect(yield* catalog.getOptions(optionIds)).toEqual(present(model.options, optionIds))
                for (const query of queries) {
                  expect(yield* catalog.listItems(query)).toEqual(modelListItems(model, query))
                }
              })
            )
          }
        ),
        runs
      )
    })

    it("pages items by id with cursor, limit, includeInactive and updatedSince", async () => {
      const tenant = await newTenant()
      const item = (id: string, at: Date) => ({
        id,
        provider: "prov",
        externalId: id,
        posCode: id,
        name: id,
        description: null,
        imageUrl: null,
        modifierGroupIds: [],
        updatedAt: at
      })
      const link = (itemId: string, storeId: string, active: boolean, at: Date) => ({
        itemId,
        storeId,
        price: 100,
        taxRatePpm: null,
        taxRatesPpm: {},
        snoozedUntil: null,
        active,
        updatedAt: at
      })
      const [t0, t1, t2] = instants as [Date, Date, Date]
      const ids = (rows: ReadonlyArray<{ readonly item: { readonly id: string } }>) => rows.map((r) => r.item.id)
      const seen = await inTenant(
        tenant,
        Effect.gen(function* () {
          yield* saveStores
          const catalog = yield* Catalog
          yield* catalog.apply({
            items: [item("prd_b", t0), item("prd_A", t0), item("prd_c", t2), item("prd_0", t0), item("prd_z", t0)],
            groups: [],
            options: [],
            itemStores: [
              link("prd_b", "out_A", true, t0),
              link("prd_A", "out_A", false, t0),
              link("prd_c", "out_A", true, t0),
              link("prd_0", "out_A", true, t2),
              link("prd_0", "out_b", false, t0)
            ],
            menus: []
          })
          const list = (q: Partial<ItemQuery>) =>
            catalog.listItems({
              storeId: null,
              cursor: null,
              limit: 50,
              includeInactive: false,
              updatedSince: null,
              ...q
            })
          return {
            sold: ids(yield* list({})),
            all: ids(yield* list({ includeInactive: true })),
            storeActive: ids(yield* list({ storeId: "out_A" })),
            storeAll: ids(yield* list({ storeId: "out_A", includeInactive: true })),
            firstTwo: ids(yield* list({ storeId: "out_A", includeInactive: true, limit: 2 })),
            nextTwo: ids(yield* list({ storeId: "out_A", includeInactive: true, limit: 2, cursor: "prd_A" })),
            // An outlet's list counts the link's time too; the tenant's list only the product's.
            storeSince: ids(yield* list({ storeId: "out_A", updatedSince: t1 })),
            since: ids(yield* list({ updatedSince: t1 })),
            otherStore: yield* list({ storeId: "out_b", includeInactive: true }),
            noStore: ids(yield* list({ storeId: "out_none", includeInactive: true }))
          }
        })
      )
      expect(seen.sold).toEqual(["prd_0", "prd_b", "prd_c"])
      expect(seen.all).toEqual(["prd_0", "prd_A", "prd_b", "prd_c", "prd_z"])
      expect(seen.storeActive).toEqual(["prd_0", "prd_b", "prd_c"])
      expect(seen.storeAll).toEqual(["prd_0", "prd_A", "prd_b", "prd_c"])
      expect(seen.firstTwo).toEqual(["prd_0", "prd_A"])
      expect(seen.nextTwo).toEqual(["prd_b", "prd_c"])
      expect(seen.storeSince).toEqual(["prd_0", "prd_c"])
      expect(seen.since).toEqual(["prd_c"])
      expect(seen.otherStore).toEqual([{ item: item("prd_0", t0), link: link("prd_0", "out_b", false, t0) }])
      expect(seen.noStore).toEqual([])
    })

    it("moves the catalog generation on every apply and on a delivery that changes a snooze, never on reads or on a delivery that changes none", async () => {
      const tenant = await newTenant()
      const [t0, t1] = instants as [Date, Date]
      const item = (id: string, groups: ReadonlyArray<string>): ItemRow => ({
        id,
        provider: "prov",
        externalId: id,
        posCode: id,
        name: id,
        description: null,
        imageUrl: null,
        modifierGroupIds: groups,
        updatedAt: t0
      })
      const group = {
        id: "mgr_g",
        provider: "prov",
        externalId: "g",
        posCode: null,
        name: "g",
        min: 0,
        max: 1,
        maxPerOption: 1,
        optionIds: ["opt_o"],
        updatedAt: t0
      }
      const option = {
        id: "opt_o",
        provider: "prov",
        externalId: "o",
        posCode: "o",
        name: "o",
        price: 50,
        snoozedUntil: null,
        updatedAt: t0
      }
      const link = (itemId: string, storeId: string, price: number, snoozedUntil: Date | null = null) => ({
        itemId,
        storeId,
        price,
        taxRatePpm: null,
        taxRatesPpm: {},
        snoozedUntil,
        active: true,
        updatedAt: t0
      })
      const end = new Date(t1.getTime() + 60_000)
      const seen = await inTenant(
        tenant,
        Effect.gen(function* () {
          yield* saveStores
          const catalog = yield* Catalog
          const inbox = yield* PosInbox
          const generation = () => catalog.catalogGeneration()
          const write = (changes: Partial<Parameters<typeof catalog.apply>[0]>) =>
            catalog.apply({ items: [], groups: [], options: [], itemStores: [], menus: [], ...changes })
          const deliver = (dedupeKey: string, snoozes: ReadonlyArray<{ posCode: string; until: Date | null }>) =>
            inbox.accept({
              provider: "prov",
              dedupeKey,
              receivedAt: t1,
              snoozes: [{ storeId: "out_A", items: snoozes }],
              busyModes: [],
              orderEvents: [],
              jobs: []
            })
          const initial = yield* generation()
          yield* write({
            items: [item("prd_a", ["mgr_g"]), item("prd_b", [])],
            groups: [group],
            options: [option],
            itemStores: [link("prd_a", "out_A", 100), link("prd_b", "out_A", 200)]
          })
          const written = yield* generation()
          yield* catalog.getItems(["prd_a", "prd_b"])
          yield* catalog.storeLinks("out_A", ["prd_a", "prd_b"])
          yield* catalog.getOptions(["opt_o"])
          const afterReads = yield* generation()
          yield* write({ groups: [{ ...group, max: 2 }] })
          const groupChanged = yield* generation()
          yield* deliver("d1", [{ posCode: "prd_b", until: end }])
          const itemSnoozed = yield* generation()
          yield* deliver("d2", [{ posCode: "o", until: end }])
          const optionSnoozed = yield* generation()
          // The same snoozes again (new deliveries, nothing to change), then the first delivered twice.
          yield* deliver("d3", [
            { posCode: "prd_b", until: end },
            { posCode: "o", until: end }
          ])
          const unchanged = yield* generation()
          yield* deliver("d1", [{ posCode: "prd_b", until: null }])
          const duplicate = yield* generation()
          yield* deliver("d4", [{ posCode: "unknown", until: end }])
          const unknown = yield* generation()
          yield* deliver("d5", [{ posCode: "prd_b", until: null }])
          const unsnoozed = yield* generation()
          return {
            initial,
            written,
            afterReads,
            groupChanged,
            itemSnoozed,
            optionSnoozed,
            unchanged,
            duplicate,
            unknown,
            unsnoozed,
            link: (yield* catalog.storeLinks("out_A", ["prd_b"]))[0]?.snoozedUntil
          }
        })
      )
      expect(seen.written).toBeGreaterThan(seen.initial)
      expect(seen.afterReads).toBe(seen.written)
      expect(seen.groupChanged).toBeGreaterThan(seen.afterReads)
      expect(seen.itemSnoozed).toBeGreaterThan(seen.groupChanged)
      expect(seen.optionSnoozed).toBeGreaterThan(seen.itemSnoozed)
      expect(seen.unchanged).toBe(seen.optionSnoozed)
      expect(seen.duplicate).toBe(seen.optionSnoozed)
      expect(seen.unknown).toBe(seen.optionSnoozed)
      expect(seen.unsnoozed).toBeGreaterThan(seen.unknown)
      expect(seen.link).toBeNull()
    })

    it("reads products by id in one call: in the order asked, a repeated id twice, unknown ids left out", async () => {
      const tenant = await newTenant()
      const at = instants[0]!
      const item = (id: string): ItemRow => ({
        id,
        provider: "prov",
        externalId: id,
        posCode: id,
        name: `name ${id}`,
        description: id.endsWith("1") ? "described" : null,
        imageUrl: null,
        modifierGroupIds: id.endsWith("2") ? ["mgr_x", "mgr_y"] : [],
        updatedAt: at
      })
      const many = Array.from({ length: 40 }, (_, i) => item(`prd_${String(i).padStart(5, "0")}`))
      const seen = await inTenant(
        tenant,
        Effect.gen(function* () {
          const catalog = yield* Catalog
          const none = yield* catalog.getItems(["prd_00001"])
          yield* catalog.apply({ items: many, groups: [], options: [], itemStores: [], menus: [] })
          return {
            none,
            empty: yield* catalog.getItems([]),
            some: yield* catalog.getItems(["prd_00012", "prd_nope", "prd_00001", "prd_00012"]),
            all: yield* catalog.getItems([...many.map((i) => i.id)].reverse())
          }
        })
      )
      expect(seen.none).toEqual([])
      expect(seen.empty).toEqual([])
      expect(seen.some).toEqual([item("prd_00012"), item("prd_00001"), item("prd_00012")])
      expect(seen.all).toEqual([...many].reverse())
    })
  })

  describe("catalog sync", () => {
    const provider = "prov"
    const storeId = "out_S"

    /** What sync-catalog does for one outlet, without the guard: lock, load, plan, apply. */
    const syncOnce = (snapshot: CatalogSnapshot, now: Date) =>
      Effect.gen(function* () {
        const catalog = yield* Catalog
        return yield* catalog.withStoreLock(
          storeId,
          5000
        )(
          Effect.gen(function* () {
            const state = yield* loadFor(snapshot)
            const plan = planCatalogSync({ provider, storeId, snapshot, state, now })
            yield* catalog.apply(plan.changes)
            return plan
          })
        )
      })
    const loadFor = (snapshot: CatalogSnapshot) =>
      Effect.flatMap(Catalog, (catalog) =>
        catalog.loadState(storeId, {
          items: snapshot.products.map((p) => productId(provider, p.externalId)),
          groups: snapshot.modifierGroups.map((g) => modifierGroupId(provider, g.externalId)),
          options: snapshot.modifierOptions.map((o) => modifierOptionId(provider, o.externalId))
        })
      )

    it("reads back each synced snapshot, re-plans nothing for it, and deactivates exactly what it left out", async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(arbSnapshot, { minLength: 1, maxLength: 3 }), async (snapshots) => {
          for (const s of snapshots) expect(catalogIssues(s)).toEqual([])
          const tenant = await newTenant("s")
          await inTenant(
            tenant,
            Effect.gen(function* () {
              yield* Effect.flatMap(Outlets, (o) => o.save([storeRow(storeId)]))
              const catalog = yield* Catalog
              const everSold = new Set<string>()
              let activeBefore = new Set<string>()
              for (const [index, snapshot] of snapshots.entries()) {
                const plan = yield* syncOnce(snapshot, instants[index]!)
                const expected = expectedFromSnapshot(provider, storeId, snapshot)
                const current = new Set(expected.products.map((p) => p.item.id))
                for (const id of current) everSold.add(id)

                // (b) the outlet's products, prices, groups, options and menus are the snapshot's.
                const all = { storeId, cursor: null, limit: 100, includeInactive: false, updatedSince: null }
                const listed = yield* catalog.listItems(all)
                expect(listed.map((r) => ({ item: withoutTime(r.item), link: withoutTime(r.link!) }))).toEqual(
                  expected.products
                )
                expect((yield* catalog.getGroups(expected.groups.map((g) => g.id))).map(withoutTime)).toEqual(
                  expected.groups
                )
                expect((yield* catalog.getOptions(expected.options.map((o) => o.id))).map(withoutTime)).toEqual(
                  expected.options
                )
                expect((yield* catalog.storeMenus(storeId)).map(withoutTime)).toEqual(expected.menus)

                // (d) everything sold before and left out now is kept, inactive; nothing else is.
                const withInactive = yield* catalog.listItems({ ...all, includeInactive: true })
                expect(withInactive.map((r) => r.item.id)).toEqual([...everSold].sort())
                expect(withInactive.filter((r) => !r.link!.active).map((r) => r.item.id)).toEqual(
                  [...everSold].filter((id) => !current.has(id)).sort()
                )
                expect(plan.counts.products.deactivated).toBe([...activeBefore].filter((id) => !current.has(id)).length)
                activeBefore = current

                // (c) the rows round-trip exactly: the same snapshot again plans no write at all.
                const again = planCatalogSync({
                  provider,
                  storeId,
                  snapshot,
                  state: yield* loadFor(snapshot),
                  now: instants[3]!
                })
                expect(isEmptyChange(again.changes)).toBe(true)
                expect(again.counts.products.unchanged).toBe(snapshot.products.length)
              }
            })
          )
        }),
        runs
      )
    })

    it("keeps each tenant's catalog, outlets and syncs apart", async () => {
      const a = await newTenant("a")
      const b = await newTenant("b")
      const snapshot = fc.sample(
        arbSnapshot.filter((s) => s.products.length > 0 && s.menus.length > 0),
        {
          numRuns: 1,
          seed: 42
        }
      )[0]!
      const record: SyncRecord = {
        id: "syn_1",
        kind: "products",
        provider,
        source: "pull",
        storeId,
        status: "succeeded",
        counts: {},
        error: null,
        fingerprint: null,
        callbackUrl: null,
        pushedOutlets: null,
        startedAt: instants[0]!,
        finishedAt: instants[1]!
      }
      await inTenant(
        a,
        Effect.gen(function* () {
          yield* Effect.flatMap(Outlets, (o) => o.save([storeRow(storeId)]))
          yield* syncOnce(snapshot, instants[0]!)
          yield* Effect.flatMap(SyncHistory, (h) => h.record(record))
        })
      )
      const id = productId(provider, snapshot.products[0]!.externalId)
      const seen = await inTenant(
        b,
        Effect.gen(function* () {
          const catalog = yield* Catalog
          const all = { cursor: null, limit: 100, includeInactive: true, updatedSince: null }
          return {
            items: yield* catalog.listItems({ ...all, storeId: null }),
            storeItems: yield* catalog.listItems({ ...all, storeId }),
            item: yield* catalog.getItem(id),
            links: yield* catalog.itemLinks([id]),
            menus: yield* catalog.storeMenus(storeId),
            state: yield* loadFor(snapshot),
            outlets: yield* Effect.flatMap(Outlets, (o) => o.list({ cursor: null, limit: 10, includeInactive: true })),
            syncs: yield* Effect.flatMap(SyncHistory, (h) => h.list({ storeId: null, cursor: null, limit: 10 })),
            sync: yield* Effect.flatMap(SyncHistory, (h) => h.get("syn_1"))
          }
        })
      )
      expect(seen).toEqual({
        items: [],
        storeItems: [],
        item: undefined,
        links: [],
        menus: [],
        state: { items: [], groups: [], options: [], itemStores: [], menus: [] },
        outlets: [],
        syncs: [],
        sync: undefined
      })
    })

    it("keeps tenants' catalogs apart when both are opened in one memo map", async () => {
      const a = await newTenant("a")
      const b = await newTenant("b")
      const counts = await run(
        Effect.scoped(
          Effect.gen(function* () {
            const directory = yield* TenantDirectory
            const storage = yield* TenantStorage
            const memoMap = yield* Layer.makeMemoMap
            const scope = yield* Effect.scope
            const open = (id: TenantId) =>
              Effect.flatMap(directory.find(id), (tenant) =>
                Layer.buildWithMemoMap(storage.open(tenant!), memoMap, scope)
              )
            const inA = yield* open(a)
            const inB = yield* open(b)
            yield* Effect.flatMap(Outlets, (o) => o.save([storeRow("out_A")])).pipe(Effect.provideContext(inA))
            const writeA = Effect.flatMap(Catalog, (c) =>
              c.apply({
                items: [sampleItem],
                groups: [],
                options: [],
                itemStores: [],
                menus: []
              })
            )
            yield* writeA.pipe(Effect.provideContext(inA))
            yield* Effect.flatMap(SyncHistory, (h) => h.record({ ...sampleSync, id: "syn_a" })).pipe(
              Effect.provideContext(inA)
            )
            const count = (context: typeof inA) =>
              Effect.gen(function* () {
                const outlets = yield* Effect.flatMap(Outlets, (o) =>
                  o.list({ cursor: null, limit: 10, includeInactive: true })
                )
                const items = yield* Effect.flatMap(Catalog, (c) =>
                  c.listItems({ storeId: null, cursor: null, limit: 10, includeInactive: true, updatedSince: null })
                )
                const syncs = yield* Effect.flatMap(SyncHistory, (h) =>
                  h.list({ storeId: null, cursor: null, limit: 10 })
                )
                return [outlets.length, items.length, syncs.length]
              }).pipe(Effect.provideContext(context))
            return [yield* count(inA), yield* count(inB)]
          })
        )
      )
      expect(counts).toEqual([
        [1, 1, 1],
        [0, 0, 0]
      ])
    })
  })

  describe("outlet lock", () => {
    const sleep = (ms: number) => Effect.sleep(`${ms} millis`)
    const locked = (store: string, waitMs: number, hold: number) =>
      Effect.flatMap(Catalog, (c) => c.withStoreLock(store, waitMs)(Effect.as(sleep(hold), "done")))
    const timed =
      <A, E>(promise: () => Promise<A>) =>
      async () => {
        const started = performance.now()
        const result = await promise().then(
          (value) => ({ ok: true as const, value }),
          (error: E) => ({ ok: false as const, error })
        )
        return { ...result, ms: performance.now() - started }
      }
    const failure = (effect: Effect.Effect<unknown, { readonly _tag: string }, TenantRepositories>) =>
      Effect.match(effect, { onFailure: (e) => e._tag, onSuccess: () => "success" })
    /**
     * Opens of the tenant as separate requests would make them, with the tenant looked up first:
     * on PGlite a lookup would itself wait for the permit an open transaction holds.
     */
    const opener = async (tenant: TenantId) => {
      const found = await run(Effect.flatMap(TenantDirectory, (d) => d.find(tenant)))
      return <A, E>(effect: Effect.Effect<A, E, TenantRepositories>) =>
        run(Effect.flatMap(TenantStorage, (storage) => Effect.provide(effect, storage.open(found!))))
    }

    it("makes a second sync of the same outlet wait, then fail with SyncInProgress", async () => {
      // Two opens of the tenant, as two requests would have: the lock is the outlet's, not the open's.
      const open = await opener(await newTenant())
      const holder = open(locked("out_A", 200, 700))
      await new Promise((r) => setTimeout(r, 50))
      const second = await timed(() => open(failure(locked("out_A", 200, 0))))()
      expect(second).toMatchObject({ ok: true, value: "SyncInProgress" })
      expect(second.ms).toBeGreaterThanOrEqual(180)
      expect(second.ms).toBeLessThan(650)
      expect(await holder).toBe("done")
      // Released: the next sync gets the lock at once.
      expect(await open(locked("out_A", 200, 0))).toBe("done")
    })

    it("makes a second sync of the same outlet in the same open wait, then fail with SyncInProgress", async () => {
      const tenant = await newTenant()
      const [first, second] = await inTenant(
        tenant,
        Effect.all([failure(locked("out_A", 200, 500)), Effect.andThen(sleep(50), failure(locked("out_A", 200, 0)))], {
          concurrency: 2
        })
      )
      expect([first, second]).toEqual(["success", "SyncInProgress"])
    })

    it("does not make a sync of another outlet fail (nor wait, where sessions run side by side)", async () => {
      const open = await opener(await newTenant())
      const holder = open(locked("out_A", 200, 600))
      await new Promise((r) => setTimeout(r, 50))
      const other = await timed(() => open(locked("out_B", 200, 0)))()
      expect(other).toMatchObject({ ok: true, value: "done" })
      if (!oneSession) expect(other.ms).toBeLessThan(400)
      expect(await holder).toBe("done")
    })

    it("releases the lock when the sync fails", async () => {
      const tenant = await newTenant()
      const failing = Effect.flatMap(Catalog, (c) => c.withStoreLock("out_A", 200)(Effect.fail({ _tag: "Boom" })))
      expect(await inTenant(tenant, failure(failing))).toBe("Boom")
      expect(await inTenant(tenant, locked("out_A", 200, 0))).toBe("done")
    })

    it.runIf(transactional)("rolls back what a failed sync wrote", async () => {
      const tenant = await newTenant()
      const store = storeRow("out_A")
      const seen = await inTenant(
        tenant,
        Effect.gen(function* () {
          yield* Effect.flatMap(Outlets, (o) => o.save([store]))
          const catalog = yield* Catalog
          const history = yield* SyncHistory
          const attempt = catalog.withStoreLock(
            "out_A",
            200
          )(
            Effect.gen(function* () {
              yield* catalog.apply({
                items: [sampleItem],
                groups: [],
                options: [],
                itemStores: [],
                menus: []
              })
              yield* history.record(sampleSync)
              return yield* Effect.fail({ _tag: "TooManyDeactivations" })
            })
          )
          return {
            outcome: yield* failure(attempt),
            item: yield* catalog.getItem("prd_a"),
            sync: yield* history.get(sampleSync.id)
          }
        })
      )
      expect(seen).toEqual({ outcome: "TooManyDeactivations", item: undefined, sync: undefined })
    })
  })

  describe("sync history", () => {
    it("behaves like a simple model: replaces by id, lists newest first by id, pages by cursor", async () => {
      const stores = ["out_A", "out_b"]
      await fc.assert(
        fc.asyncProperty(
          fc.array(arbSyncRecord(stores), { maxLength: 10 }),
          fc.option(fc.constantFrom(...stores), { nil: null }),
          fc.integer({ min: 1, max: 4 }),
          async (records, storeFilter, limit) => {
            const tenant = await newTenant("h")
            const model = new Map<string, SyncRecord>()
            await inTenant(
              tenant,
              Effect.gen(function* () {
                const history = yield* SyncHistory
                for (const r of records) {
                  yield* history.record(r)
                  model.set(r.id, r)
                }
                for (const id of ["syn_0001", "syn_000a", "syn_1", "syn_none"]) {
                  expect(yield* history.get(id)).toEqual(model.get(id))
                }
                const pages: Array<SyncRecord> = []
                let cursor: string | null = null
                for (;;) {
                  const page: ReadonlyArray<SyncRecord> = yield* history.list({ storeId: storeFilter, cursor, limit })
                  expect(page.length).toBeLessThanOrEqual(limit)
                  pages.push(...page)
                  if (page.length < limit) break
                  cursor = page.at(-1)!.id
                }
                expect(pages).toEqual(
                  [...model.values()]
                    .filter((r) => storeFilter === null || r.storeId === storeFilter)
                    .sort((x, y) => byId(y, x))
                )
                // An identical push is found by its fingerprint: succeeded products syncs only, newest first.
                for (const fingerprint of ["fp-1", "fp-2", "fp-none"]) {
                  expect(yield* history.withFingerprint(fingerprint)).toEqual(
                    [...model.values()]
                      .filter((r) => r.fingerprint === fingerprint && r.kind === "products" && r.status === "succeeded")
                      .sort((x, y) => byId(y, x))
                  )
                }
              })
            )
          }
        ),
        { numRuns: 15 }
      )
    })
  })
}

const sampleItem: ItemRow = {
  id: "prd_a",
  provider: "prov",
  externalId: "a",
  posCode: "a",
  name: "a",
  description: null,
  imageUrl: null,
  modifierGroupIds: [],
  updatedAt: instants[0]!
}

const sampleSync: SyncRecord = {
  id: "syn_0001",
  kind: "products",
  provider: "prov",
  source: "push",
  storeId: "out_A",
  status: "succeeded",
  counts: { products: { created: 1, updated: 0, unchanged: 0, deactivated: 0 } },
  error: null,
  fingerprint: null,
  callbackUrl: null,
  pushedOutlets: null,
  startedAt: instants[0]!,
  finishedAt: instants[1]!
}
