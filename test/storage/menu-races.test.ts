import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Redacted } from "effect"
import { Reactivity } from "effect/reactivity"
import { describe, expect, it } from "vitest"
import { layerPostgresStorage } from "../../adapters/storage/postgres/postgres-storage.ts"
import { Outlets } from "../../application/ports/catalog.ts"
import { Menus } from "../../application/ports/menus.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import type { MenuContent, MenuDraft, MenuSection, PublishedMenu } from "../../domain/menu.ts"
import type { TenantId } from "../../domain/tenant.ts"
import { storeRow } from "./catalog-arbitraries.ts"
import { storageHelpers } from "./contract.ts"
import { menuContent } from "./menus-contract.ts"

/**
 * Menu V2 under real concurrency: PostgreSQL with eight connections per tenant, where publishes and
 * reads run side by side (the contract suites run with one). Its own scratch database, so that the
 * failure injected here (a trigger in one tenant's schema) can be created beside the service.
 */
const serverUrl = process.env["DATABASE_URL"]

const at = (ms: number) => new Date(Date.UTC(2026, 5, 1, 9, 30) + ms)

const withClient = <A, E>(url: string, use: (sql: PgClient.PgClient) => Effect.Effect<A, E>) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.flatMap(
        PgClient.make({ url: Redacted.make(url), maxConnections: 1 }).pipe(Effect.provide(Reactivity.layer)),
        use
      )
    )
  )

/** Version k of a 40-item menu: every item priced 100 * k, so a reader can tell a mix of versions. */
const versionContent = (k: number): MenuContent => {
  const section = (n: number): MenuSection => ({
    sectionId: `sec_${n}`,
    name: `Section ${n}`,
    displayType: "LIST",
    position: n,
    items: Array.from({ length: 20 }, (_, i) => ({
      productId: `prd_${n}_${i}`,
      position: i,
      basePrice: 100 * k,
      specialPrice: k % 2 === 0 ? 50 * k : null
    }))
  })
  return { name: `Menu v${k}`, description: null, sections: [section(0), section(1)], hours: null, storeIds: ["out_1"] }
}

/** The version a menu's items say they belong to; throws on a mix. */
const wholeVersion = (menu: PublishedMenu) => {
  const prices = new Set(menu.content.sections.flatMap((s) => s.items.map((i) => i.basePrice)))
  const specials = new Set(menu.content.sections.flatMap((s) => s.items.map((i) => i.specialPrice)))
  const k = menu.version
  if (
    menu.content.name !== `Menu v${k}` ||
    prices.size !== 1 ||
    !prices.has(100 * k) ||
    specials.size !== 1 ||
    !specials.has(k % 2 === 0 ? 50 * k : null) ||
    menu.content.sections.reduce((n, s) => n + s.items.length, 0) !== 40
  )
    throw new Error(`version ${k} read as a mix: ${menu.content.name}, prices ${[...prices].join(",")}`)
  return k
}

const draft = (draftId: string, content: MenuContent): MenuDraft => ({
  draftId,
  menuId: null,
  version: 1,
  content,
  createdAt: at(0),
  updatedAt: at(0)
})

if (serverUrl !== undefined && serverUrl !== "") {
  let scratchUrl = ""
  let scratchCounter = 0
  const layer = () =>
    Layer.unwrap(
      Effect.gen(function* () {
        const admin = yield* PgClient.make({ url: Redacted.make(serverUrl), maxConnections: 1 }).pipe(
          Effect.provide(Reactivity.layer)
        )
        const name = `pos_test_menus_${process.pid}_${Date.now().toString(36)}_${scratchCounter++}`
        yield* admin.unsafe(`CREATE DATABASE ${name}`)
        yield* Effect.addFinalizer(() => Effect.ignore(admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)))
        const url = new URL(serverUrl)
        url.pathname = `/${name}`
        scratchUrl = url.toString()
        return layerPostgresStorage({ url: Redacted.make(scratchUrl), tenantPoolSize: 8 })
      }).pipe(Effect.orDie)
    )

  describe("menu races on PostgreSQL with a pool of 8", () => {
    const { run, inTenant, newTenant } = storageHelpers("PostgreSQL (pool 8)", layer)
    const seeded = async () => {
      const tenant = await newTenant("race")
      await inTenant(
        tenant,
        Effect.flatMap(Outlets, (o) => o.save([storeRow("out_1"), storeRow("out_2")]))
      )
      return tenant
    }

    it("lets exactly one of eight publishes of one draft at the same version win", async () => {
      const tenant = await seeded()
      const results = await inTenant(
        tenant,
        Effect.gen(function* () {
          const menus = yield* Menus
          yield* menus.createDraft(draft("drf_1", menuContent()))
          return yield* Effect.all(
            Array.from({ length: 8 }, (_, i) => menus.publish("drf_1", 1, `menu_${i}`, at(i))),
            { concurrency: "unbounded" }
          )
        })
      )
      const won = results.filter((r) => r !== undefined && "created" in r)
      expect(won).toHaveLength(1)
      expect(results.filter((r) => r !== undefined && "_tag" in r)).toEqual(
        Array.from({ length: 7 }, () => ({ _tag: "StaleDraft", current: 2 }))
      )
      const menuId = (won[0] as { readonly menu: PublishedMenu }).menu.menuId
      const listed = await inTenant(
        tenant,
        Effect.flatMap(Menus, (m) => m.listMenus({ cursor: null, limit: 10 }))
      )
      expect(listed.map((m) => [m.menuId, m.version])).toEqual([[menuId, 1]])
    })

    it("lets exactly one of a publish and a draft write at the same version win", async () => {
      const tenant = await seeded()
      for (let round = 0; round < 5; round++) {
        const [published, updated, stored] = await inTenant(
          tenant,
          Effect.gen(function* () {
            const menus = yield* Menus
            const id = `drf_${round}`
            yield* menus.createDraft(draft(id, versionContent(1)))
            const [p, u] = yield* Effect.all(
              [
                menus.publish(id, 1, `menu_${round}`, at(round)),
                menus.updateDraft(id, 1, versionContent(2), at(round))
              ],
              { concurrency: "unbounded" }
            )
            return [p, u, yield* menus.getDraft(id)] as const
          })
        )
        const publishWon = published !== undefined && "created" in published
        const updateWon = updated !== undefined && !("_tag" in updated)
        expect([publishWon, updateWon].filter(Boolean)).toHaveLength(1)
        expect(stored?.version).toBe(2)
        expect(publishWon ? updated : published).toEqual({ _tag: "StaleDraft", current: 2 })
        // The winner's write is the one stored.
        expect(stored?.menuId).toBe(publishWon ? `menu_${round}` : null)
        expect(stored?.content.name).toBe(publishWon ? "Menu v1" : "Menu v2")
      }
    })

    it("serves every reader one whole version while a menu is re-published 20 times", async () => {
      const tenant = await seeded()
      const seen = await inTenant(
        tenant,
        Effect.gen(function* () {
          const menus = yield* Menus
          yield* menus.createDraft(draft("drf_1", versionContent(1)))
          yield* menus.publish("drf_1", 1, "menu_1", at(0))
          let done = false
          const publisher = Effect.gen(function* () {
            for (let k = 2; k <= 21; k++) {
              yield* menus.updateDraft("drf_1", 2 * (k - 1), versionContent(k), at(k))
              const answer = yield* menus.publish("drf_1", 2 * k - 1, "menu_1", at(k))
              expect(answer).toMatchObject({ created: true, menu: { version: k } })
            }
            done = true
          })
          const reader = (n: number) =>
            Effect.gen(function* () {
              const versions: Array<number> = []
              while (!done) {
                const read = n % 2 === 0 ? yield* menus.menusOfStore("out_1") : [(yield* menus.getMenu("menu_1"))!]
                expect(read).toHaveLength(1)
                versions.push(wholeVersion(read[0]!))
              }
              return versions
            })
          const [, ...readers] = yield* Effect.all([publisher, ...Array.from({ length: 8 }, (_, n) => reader(n))], {
            concurrency: "unbounded"
          })
          return { readers, final: yield* menus.menusOfStore("out_1"), versions: yield* menus.versions("menu_1") }
        })
      )
      for (const versions of seen.readers) {
        expect(versions.length).toBeGreaterThan(0)
        // Commits are ordered: a reader never goes back to an older version.
        expect(versions).toEqual([...versions].sort((a, b) => a - b))
      }
      // The reads did interleave with the publishes.
      expect(new Set(seen.readers.flat()).size).toBeGreaterThan(2)
      expect(seen.final.map(wholeVersion)).toEqual([21])
      expect(seen.versions.map((v) => v.version)).toEqual(Array.from({ length: 21 }, (_, i) => 21 - i))
    })

    /**
     * The failure injected at each write of a publish in turn: a trigger in this tenant's schema that
     * refuses the write. Each failed publish must leave version 1 served whole and the draft as it
     * was; once the trigger is dropped, the same publish goes through as version 2.
     */
    it("rolls a publish back whole whichever of its writes fails", async () => {
      const tenant: TenantId = await seeded()
      const schema = (await run(Effect.flatMap(TenantDirectory, (d) => d.find(tenant))))!.locator.schema
      const first = { ...versionContent(1), storeIds: ["out_1"] }
      const second = { ...versionContent(2), storeIds: ["out_2"] }
      const before = await inTenant(
        tenant,
        Effect.gen(function* () {
          const menus = yield* Menus
          yield* menus.createDraft(draft("drf_1", first))
          const v1 = yield* menus.publish("drf_1", 1, "menu_1", at(1))
          const edited = yield* menus.updateDraft("drf_1", 2, second, at(2))
          return { v1: (v1 as { readonly menu: PublishedMenu }).menu, edited }
        })
      )
      const state = Effect.gen(function* () {
        const menus = yield* Menus
        return {
          menu: yield* menus.getMenu("menu_1"),
          versions: (yield* menus.versions("menu_1")).map((v) => v.version),
          out1: yield* menus.menusOfStore("out_1"),
          out2: yield* menus.menusOfStore("out_2"),
          draft: yield* menus.getDraft("drf_1")
        }
      })
      const quoted = `"${schema}"`
      await withClient(scratchUrl, (sql) =>
        sql.unsafe(
          `CREATE FUNCTION ${quoted}.refuse_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$`
        )
      )
      const writes = [
        ["menus", "UPDATE"],
        ["menu_versions", "INSERT"],
        ["menu_stores", "DELETE"],
        ["menu_stores", "INSERT"],
        ["menu_drafts", "UPDATE"]
      ] as const
      for (const [table, operation] of writes) {
        await withClient(scratchUrl, (sql) =>
          sql.unsafe(
            `CREATE TRIGGER refuse BEFORE ${operation} ON ${quoted}.${table} FOR EACH ROW EXECUTE FUNCTION ${quoted}.refuse_write()`
          )
        )
        const failed = await inTenant(
          tenant,
          Effect.match(
            Effect.flatMap(Menus, (m) => m.publish("drf_1", 3, "menu_1", at(3))),
            { onFailure: (e) => e._tag, onSuccess: () => "success" }
          )
        )
        expect([table, operation, failed]).toEqual([table, operation, "StorageError"])
        expect(await inTenant(tenant, state)).toEqual({
          menu: before.v1,
          versions: [1],
          out1: [before.v1],
          out2: [],
          draft: before.edited
        })
        await withClient(scratchUrl, (sql) => sql.unsafe(`DROP TRIGGER refuse ON ${quoted}.${table}`))
      }
      const retried = await inTenant(
        tenant,
        Effect.flatMap(Menus, (m) => m.publish("drf_1", 3, "menu_1", at(4)))
      )
      expect(retried).toMatchObject({ created: true, menu: { version: 2, content: second } })
      const after = await inTenant(tenant, state)
      expect(after.versions).toEqual([2, 1])
      expect(after.out1).toEqual([])
      expect(after.out2.map(wholeVersion)).toEqual([2])
    })
  })
} else {
  describe("menu races on PostgreSQL with a pool of 8", () => {
    it.skip("SKIPPED: DATABASE_URL is not set", () => {})
  })
}
