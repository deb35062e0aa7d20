import { isDeepStrictEqual } from "node:util"
import { Effect } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Outlets } from "../../application/ports/catalog.ts"
import { Menus, type MenuVersionSummary, type StaleDraft } from "../../application/ports/menus.ts"
import type { TenantRepositories } from "../../application/ports/tenant-storage.ts"
import type { DayOfWeek } from "../../domain/catalog.ts"
import type {
  DisplayType,
  MenuContent,
  MenuDraft,
  MenuHours,
  MenuItem,
  MenuSection,
  PublishedMenu
} from "../../domain/menu.ts"
import type { TenantId } from "../../domain/tenant.ts"
import { arbText, storeRow } from "./catalog-arbitraries.ts"
import type { ContractHelpers } from "./catalog-contract.ts"

const at = (ms: number) => new Date(Date.UTC(2026, 5, 1, 9, 30) + ms)

export const menuHours: MenuHours = {
  timezone: "Europe/Amsterdam",
  // Monday evening into Tuesday night: a range across midnight.
  weekly: [
    { dayOfWeek: 1, opens: "17:00", closes: "02:00" },
    { dayOfWeek: 6, opens: "10:00", closes: "24:00" }
  ],
  exceptions: [
    { date: "2026-12-25", closed: true, ranges: [] },
    { date: "2026-12-31", closed: false, ranges: [{ opens: "10:00", closes: "16:00" }] }
  ]
}

/** A menu of every shape a document can take: nulls, a large price, text that trips up JSON. */
export const menuContent = (fields: Partial<MenuContent> = {}): MenuContent => ({
  name: "Lunch",
  description: 'Served "daily" \\ ☕',
  sections: [
    {
      sectionId: "sec_1",
      name: "Mains",
      displayType: "GRID",
      position: 0,
      items: [
        { productId: "prd_a", position: 0, basePrice: 1250, specialPrice: 990 },
        { productId: "prd_b", position: 1, basePrice: null, specialPrice: null }
      ]
    },
    {
      sectionId: "sec_2",
      name: "Drinks 🍹",
      displayType: "SWIMLANE",
      position: 1,
      items: [{ productId: "prd_c", position: 0, basePrice: 2 ** 40, specialPrice: null }]
    }
  ],
  hours: menuHours,
  storeIds: ["out_1"],
  ...fields
})

const menuDraft = (draftId: string, fields: Partial<MenuDraft> = {}): MenuDraft => ({
  draftId,
  menuId: null,
  version: 1,
  content: menuContent(),
  createdAt: at(0),
  updatedAt: at(0),
  ...fields
})

/** The same value with every object's keys written in reverse order: canonical equality must not care. */
const reordered = <T>(value: T): T => {
  if (Array.isArray(value)) return value.map(reordered) as T
  if (value === null || typeof value !== "object") return value
  return Object.fromEntries(
    Object.keys(value)
      .reverse()
      .map((key) => [key, reordered((value as Record<string, unknown>)[key])])
  ) as T
}

const withMenus = <A, E>(f: (menus: typeof Menus.Service) => Effect.Effect<A, E, TenantRepositories>) =>
  Effect.flatMap(Menus, f)

const seedStores = (...ids: ReadonlyArray<string>) =>
  Effect.flatMap(Outlets, (outlets) => outlets.save(ids.map((id) => storeRow(id))))

/** The failure's tag, or "success": what a refused write answers. */
const outcome = <A, E extends { readonly _tag: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.match(effect, { onFailure: (e) => e._tag, onSuccess: () => "success" })

/** A publish's answer that is no StaleDraft nor missing draft; anything else fails the test. */
const answered = <T extends { readonly created: boolean }>(answer: T | StaleDraft | undefined): T => {
  if (answer === undefined || !("created" in answer)) throw new Error(`not published: ${JSON.stringify(answer)}`)
  return answer
}

const itemCount = (content: MenuContent) => content.sections.reduce((sum, s) => sum + s.items.length, 0)

/** Menu V2 storage: drafts, publish with versions, and the menus assigned to an outlet. */
export const menusContract = ({ name, inTenant, newTenant }: ContractHelpers) => {
  describe("menus", () => {
    describe("drafts", () => {
      it("creates, gets and lists drafts with every field, by id in byte order, after a cursor", async () => {
        const tenant = await newTenant()
        // Byte order: "A" < "_" < "a"; a linguistic collation would put them otherwise.
        const ids = ["drf_a", "drf_A", "drf__", "drf_0"]
        const drafts = ids.map((id, i) =>
          menuDraft(id, {
            menuId: i === 1 ? "menu_1" : null,
            version: i + 1,
            content: menuContent({ name: `Menu ${id}`, hours: i === 2 ? null : menuHours, description: null }),
            createdAt: at(i),
            updatedAt: at(10 + i)
          })
        )
        const seen = await inTenant(
          tenant,
          withMenus((menus) =>
            Effect.gen(function* () {
              for (const draft of drafts) yield* menus.createDraft(draft)
              const pages: Array<ReadonlyArray<string>> = []
              let cursor: string | null = null
              for (;;) {
                const page: ReadonlyArray<MenuDraft> = yield* menus.listDrafts({ cursor, limit: 3 })
                pages.push(page.map((d) => d.draftId))
                if (page.length < 3) break
                cursor = page.at(-1)!.draftId
              }
              return {
                got: yield* Effect.forEach(ids, (id) => menus.getDraft(id)),
                unknown: yield* menus.getDraft("drf_none"),
                all: yield* menus.listDrafts({ cursor: null, limit: 10 }),
                pages,
                ofMenu: yield* menus.draftOfMenu("menu_1"),
                ofOther: yield* menus.draftOfMenu("menu_none")
              }
            })
          )
        )
        expect(seen.got).toEqual(drafts)
        expect(seen.unknown).toBeUndefined()
        expect(seen.all.map((d) => d.draftId)).toEqual(["drf_0", "drf_A", "drf__", "drf_a"])
        expect(seen.all).toEqual([drafts[3], drafts[1], drafts[2], drafts[0]])
        expect(seen.pages).toEqual([["drf_0", "drf_A", "drf__"], ["drf_a"]])
        expect(seen.ofMenu).toEqual(drafts[1])
        expect(seen.ofOther).toBeUndefined()
      })

      it("refuses a second draft with the same id, or a second draft of one menu", async () => {
        const tenant = await newTenant()
        const seen = await inTenant(
          tenant,
          withMenus((menus) =>
            Effect.gen(function* () {
              yield* menus.createDraft(menuDraft("drf_1", { menuId: "menu_1" }))
              return {
                sameId: yield* outcome(menus.createDraft(menuDraft("drf_1", { content: menuContent({ name: "x" }) }))),
                sameMenu: yield* outcome(menus.createDraft(menuDraft("drf_2", { menuId: "menu_1" }))),
                kept: yield* menus.getDraft("drf_1"),
                second: yield* menus.getDraft("drf_2")
              }
            })
          )
        )
        expect(seen).toEqual({
          sameId: "StorageError",
          sameMenu: "StorageError",
          kept: menuDraft("drf_1", { menuId: "menu_1" }),
          second: undefined
        })
      })

      it("updates a draft at its version only: stale writes answer the current version, unknown ones nothing", async () => {
        const tenant = await newTenant()
        const changed = menuContent({ name: "Dinner", storeIds: ["out_1", "out_2"], hours: null })
        const seen = await inTenant(
          tenant,
          withMenus((menus) =>
            Effect.gen(function* () {
              yield* menus.createDraft(menuDraft("drf_1", { version: 3 }))
              const updated = yield* menus.updateDraft("drf_1", 3, changed, at(5_000))
              const stale = yield* menus.updateDraft("drf_1", 3, menuContent({ name: "lost" }), at(6_000))
              const ahead = yield* menus.updateDraft("drf_1", 5, menuContent({ name: "lost" }), at(6_000))
              const unknown = yield* menus.updateDraft("drf_none", 1, changed, at(6_000))
              return { updated, stale, ahead, unknown, stored: yield* menus.getDraft("drf_1") }
            })
          )
        )
        const expected = menuDraft("drf_1", { version: 4, content: changed, updatedAt: at(5_000) })
        expect(seen.updated).toEqual(expected)
        expect(seen.stale).toEqual({ _tag: "StaleDraft", current: 4 })
        expect(seen.ahead).toEqual({ _tag: "StaleDraft", current: 4 })
        expect(seen.unknown).toBeUndefined()
        expect(seen.stored).toEqual(expected)
      })

      it("deletes a draft at its version only", async () => {
        const tenant = await newTenant()
        const seen = await inTenant(
          tenant,
          withMenus((menus) =>
            Effect.gen(function* () {
              yield* menus.createDraft(menuDraft("drf_1", { version: 2 }))
              yield* menus.createDraft(menuDraft("drf_2"))
              const stale = yield* menus.deleteDraft("drf_1", 1)
              const keptAfterStale = yield* menus.getDraft("drf_1")
              const deleted = yield* menus.deleteDraft("drf_1", 2)
              return {
                stale,
                keptAfterStale: keptAfterStale !== undefined,
                deleted,
                again: yield* menus.deleteDraft("drf_1", 2),
                unknown: yield* menus.deleteDraft("drf_none", 1),
                gone: yield* menus.getDraft("drf_1"),
                left: (yield* menus.listDrafts({ cursor: null, limit: 10 })).map((d) => d.draftId)
              }
            })
          )
        )
        expect(seen).toEqual({
          stale: { _tag: "StaleDraft", current: 2 },
          keptAfterStale: true,
          deleted: true,
          again: false,
          unknown: false,
          gone: undefined,
          left: ["drf_2"]
        })
      })
    })

    describe("publish", () => {
      it("publishes version 1, answers an unchanged re-publish with it, and a change as version 2", async () => {
        const tenant = await newTenant()
        const first = menuContent()
        const second = menuContent({
          name: "Lunch (spring)",
          sections: [{ ...first.sections[0]!, items: first.sections[0]!.items.slice(0, 1) }],
          storeIds: ["out_1", "out_2"]
        })
        const seen = await inTenant(
          tenant,
          Effect.gen(function* () {
            yield* seedStores("out_1", "out_2")
            const menus = yield* Menus
            yield* menus.createDraft(menuDraft("drf_1"))
            const v1 = yield* menus.publish("drf_1", 1, "menu_1", at(1_000))
            const unchanged = yield* menus.publish("drf_1", 2, "menu_other", at(2_000))
            const staleAfter = yield* menus.publish("drf_1", 1, "menu_1", at(2_000))
            const versionsAfterUnchanged = yield* menus.versions("menu_1")
            // The same content written with its fields in another order is still no change.
            yield* menus.updateDraft("drf_1", 2, reordered(first), at(2_500))
            const reorderedAnswer = yield* menus.publish("drf_1", 3, "menu_1", at(2_600))
            yield* menus.updateDraft("drf_1", 3, second, at(3_000))
            // A draft linked to a menu publishes that menu, whatever new menu id the caller names.
            const v2 = yield* menus.publish("drf_1", 4, "menu_other", at(4_000))
            return {
              v1,
              unchanged,
              staleAfter,
              versionsAfterUnchanged,
              reorderedAnswer,
              v2,
              menu: yield* menus.getMenu("menu_1"),
              other: yield* menus.getMenu("menu_other"),
              versions: yield* menus.versions("menu_1"),
              version1: yield* menus.getVersion("menu_1", 1),
              version2: yield* menus.getVersion("menu_1", 2),
              version3: yield* menus.getVersion("menu_1", 3),
              versionOfNone: yield* menus.getVersion("menu_none", 1),
              versionsOfNone: yield* menus.versions("menu_none"),
              draft: yield* menus.getDraft("drf_1"),
              ofMenu: yield* menus.draftOfMenu("menu_1"),
              unknownDraft: yield* menus.publish("drf_none", 1, "menu_2", at(5_000))
            }
          })
        )
        const published1: PublishedMenu = { menuId: "menu_1", version: 1, content: first, publishedAt: at(1_000) }
        const published2: PublishedMenu = { menuId: "menu_1", version: 2, content: second, publishedAt: at(4_000) }
        expect(seen.v1).toEqual({
          menu: published1,
          created: true,
          draft: menuDraft("drf_1", { menuId: "menu_1", version: 2, updatedAt: at(1_000) })
        })
        expect(seen.unchanged).toEqual({
          menu: published1,
          created: false,
          draft: menuDraft("drf_1", { menuId: "menu_1", version: 2, updatedAt: at(1_000) })
        })
        expect(seen.staleAfter).toEqual({ _tag: "StaleDraft", current: 2 })
        expect(seen.versionsAfterUnchanged).toHaveLength(1)
        expect(seen.reorderedAnswer).toMatchObject({ menu: published1, created: false, draft: { version: 3 } })
        expect(seen.v2).toEqual({
          menu: published2,
          created: true,
          draft: menuDraft("drf_1", { menuId: "menu_1", version: 5, content: second, updatedAt: at(4_000) })
        })
        expect(seen.menu).toEqual(published2)
        expect(seen.other).toBeUndefined()
        const summary = (menu: PublishedMenu): MenuVersionSummary => ({
          menuId: menu.menuId,
          version: menu.version,
          name: menu.content.name,
          publishedAt: menu.publishedAt,
          items: itemCount(menu.content),
          stores: menu.content.storeIds.length
        })
        expect(seen.versions).toEqual([summary(published2), summary(published1)])
        expect(seen.versions.map((v) => [v.items, v.stores])).toEqual([
          [1, 2],
          [3, 1]
        ])
        expect(seen.version1).toEqual(published1)
        expect(seen.version2).toEqual(published2)
        expect(seen.version3).toBeUndefined()
        expect(seen.versionOfNone).toBeUndefined()
        expect(seen.versionsOfNone).toEqual([])
        expect(seen.draft).toEqual(answered(seen.v2).draft)
        expect(seen.ofMenu).toEqual(answered(seen.v2).draft)
        expect(seen.unknownDraft).toBeUndefined()
      })

      it("publishes a restored older version as the next version, and an unlinked draft into an existing menu", async () => {
        const tenant = await newTenant()
        const first = menuContent()
        const second = menuContent({ name: "Dinner" })
        const seen = await inTenant(
          tenant,
          Effect.gen(function* () {
            yield* seedStores("out_1")
            const menus = yield* Menus
            yield* menus.createDraft(menuDraft("drf_1"))
            yield* menus.publish("drf_1", 1, "menu_1", at(1_000))
            yield* menus.updateDraft("drf_1", 2, second, at(2_000))
            yield* menus.publish("drf_1", 3, "menu_1", at(3_000))
            // Restoring: version 1's content becomes the draft again, then is published.
            const restored = (yield* menus.getVersion("menu_1", 1))!
            yield* menus.updateDraft("drf_1", 4, restored.content, at(4_000))
            const v3 = yield* menus.publish("drf_1", 5, "menu_1", at(5_000))
            // The draft is gone; a new one, created for the menu, publishes into it.
            yield* menus.deleteDraft("drf_1", 6)
            yield* menus.createDraft(menuDraft("drf_2", { content: second, createdAt: at(6_000) }))
            const v4 = yield* menus.publish("drf_2", 1, "menu_1", at(7_000))
            return {
              v3,
              v4,
              versions: yield* menus.versions("menu_1"),
              list: yield* menus.listMenus({ cursor: null, limit: 5 })
            }
          })
        )
        expect(seen.v3).toMatchObject({ created: true, menu: { version: 3, content: first, publishedAt: at(5_000) } })
        expect(seen.v4).toMatchObject({
          created: true,
          menu: { version: 4, content: second },
          draft: { menuId: "menu_1", version: 2 }
        })
        expect(seen.versions.map((v) => [v.version, v.name])).toEqual([
          [4, "Dinner"],
          [3, "Lunch"],
          [2, "Dinner"],
          [1, "Lunch"]
        ])
        expect(seen.list).toEqual([answered(seen.v4).menu])
      })

      it("lists published menus by id in byte order, after a cursor, each at its current version", async () => {
        const tenant = await newTenant()
        const ids = ["menu_b", "menu_B", "menu__", "menu_0"]
        const seen = await inTenant(
          tenant,
          Effect.gen(function* () {
            yield* seedStores("out_1")
            const menus = yield* Menus
            for (const [i, id] of ids.entries()) {
              yield* menus.createDraft(menuDraft(`drf_${i}`, { content: menuContent({ name: id }) }))
              yield* menus.publish(`drf_${i}`, 1, id, at(i))
            }
            yield* menus.updateDraft("drf_0", 2, menuContent({ name: "menu_b, again" }), at(100))
            yield* menus.publish("drf_0", 3, "menu_b", at(200))
            // A draft never published is no menu.
            yield* menus.createDraft(menuDraft("drf_unpublished", { menuId: "menu_A" }))
            return {
              first: yield* menus.listMenus({ cursor: null, limit: 2 }),
              second: yield* menus.listMenus({ cursor: "menu_B", limit: 2 }),
              last: yield* menus.listMenus({ cursor: "menu_b", limit: 2 }),
              unpublished: yield* menus.getMenu("menu_A")
            }
          })
        )
        expect(seen.first.map((m) => m.menuId)).toEqual(["menu_0", "menu_B"])
        expect(seen.second.map((m) => [m.menuId, m.version, m.content.name])).toEqual([
          ["menu__", 1, "menu__"],
          ["menu_b", 2, "menu_b, again"]
        ])
        expect(seen.last).toEqual([])
        expect(seen.unpublished).toBeUndefined()
      })

      it("lets exactly one of two publishes of one draft at the same version win", async () => {
        const tenant = await newTenant()
        const seen = await inTenant(
          tenant,
          Effect.gen(function* () {
            yield* seedStores("out_1")
            const menus = yield* Menus
            yield* menus.createDraft(menuDraft("drf_1"))
            const racing = yield* Effect.all(
              [menus.publish("drf_1", 1, "menu_1", at(1_000)), menus.publish("drf_1", 1, "menu_2", at(1_000))],
              { concurrency: "unbounded" }
            )
            return { racing, versions: yield* menus.versions("menu_1"), other: yield* menus.getMenu("menu_2") }
          })
        )
        const [a, b] = seen.racing
        expect([a, b].filter((r) => r !== undefined && "created" in r && r.created)).toHaveLength(1)
        expect([a, b].filter((r) => r !== undefined && "_tag" in r)).toEqual([{ _tag: "StaleDraft", current: 2 }])
        expect(seen.versions).toHaveLength(1)
        expect(seen.other).toBeUndefined()
      })
    })

    describe("the menus of an outlet", () => {
      it("follows the current version's assignments, most recently published first, in its own tenant only", async () => {
        const tenant = await newTenant()
        const other = await newTenant("other")
        const seen = await inTenant(
          tenant,
          Effect.gen(function* () {
            yield* seedStores("out_1", "out_2", "out_3")
            const menus = yield* Menus
            const create = (draftId: string, content: MenuContent) => menus.createDraft(menuDraft(draftId, { content }))
            yield* create("drf_a", menuContent({ name: "A", storeIds: ["out_1", "out_2"] }))
            yield* create("drf_b", menuContent({ name: "B", storeIds: ["out_1"] }))
            yield* create("drf_c", menuContent({ name: "C", storeIds: ["out_1", "out_3"] }))
            yield* menus.publish("drf_a", 1, "menu_a", at(1_000))
            yield* menus.publish("drf_b", 1, "menu_b", at(2_000))
            // Published at the same instant as menu_b: ties go by menu id.
            yield* menus.publish("drf_c", 1, "menu_0", at(2_000))
            const before = {
              out1: yield* menus.menusOfStore("out_1"),
              out2: yield* menus.menusOfStore("out_2"),
              none: yield* menus.menusOfStore("out_none")
            }
            // A draft's assignments are not the menu's until published.
            yield* menus.updateDraft("drf_b", 2, menuContent({ name: "B2", storeIds: ["out_2", "out_3"] }), at(2_500))
            const draftOnly = yield* menus.menusOfStore("out_3")
            yield* menus.updateDraft("drf_a", 2, menuContent({ name: "A2", storeIds: ["out_2"] }), at(3_000))
            yield* menus.publish("drf_a", 3, "menu_a", at(4_000))
            return {
              before,
              draftOnly,
              after: {
                out1: yield* menus.menusOfStore("out_1"),
                out2: yield* menus.menusOfStore("out_2"),
                out3: yield* menus.menusOfStore("out_3")
              }
            }
          })
        )
        const names = (list: ReadonlyArray<PublishedMenu>) =>
          list.map((m) => `${m.menuId}@${m.version}:${m.content.name}`)
        expect(names(seen.before.out1)).toEqual(["menu_0@1:C", "menu_b@1:B", "menu_a@1:A"])
        expect(names(seen.before.out2)).toEqual(["menu_a@1:A"])
        expect(seen.before.none).toEqual([])
        expect(names(seen.draftOnly)).toEqual(["menu_0@1:C"])
        expect(names(seen.after.out1)).toEqual(["menu_0@1:C", "menu_b@1:B"])
        expect(names(seen.after.out2)).toEqual(["menu_a@2:A2"])
        expect(names(seen.after.out3)).toEqual(["menu_0@1:C"])
        expect(seen.after.out2[0]).toEqual({
          menuId: "menu_a",
          version: 2,
          content: menuContent({ name: "A2", storeIds: ["out_2"] }),
          publishedAt: at(4_000)
        })
        const fromOther = await inTenant(
          other,
          Effect.gen(function* () {
            yield* seedStores("out_1", "out_2")
            const menus = yield* Menus
            return {
              out1: yield* menus.menusOfStore("out_1"),
              menu: yield* menus.getMenu("menu_a"),
              list: yield* menus.listMenus({ cursor: null, limit: 10 }),
              versions: yield* menus.versions("menu_a"),
              version: yield* menus.getVersion("menu_a", 1),
              drafts: yield* menus.listDrafts({ cursor: null, limit: 10 }),
              draft: yield* menus.getDraft("drf_a")
            }
          })
        )
        expect(fromOther).toEqual({
          out1: [],
          menu: undefined,
          list: [],
          versions: [],
          version: undefined,
          drafts: [],
          draft: undefined
        })
      })
    })

    /**
     * The injected failure: a menu assigned to an outlet the tenant does not have. Nothing before
     * the assignments refuses it (the draft is written, the version row and the menu's pointer are
     * written first); the assignments reference the outlets, so the database refuses the fourth write
     * of the publish, and the transaction must take the first three back. The in-memory adapter
     * refuses it too, before it changes anything.
     */
    describe("a publish that fails midway", () => {
      it("leaves the previous version served whole and the draft intact", async () => {
        const tenant = await newTenant()
        const first = menuContent()
        const broken = menuContent({ name: "Broken", storeIds: ["out_1", "out_missing"] })
        const seen = await inTenant(
          tenant,
          Effect.gen(function* () {
            yield* seedStores("out_1")
            const menus = yield* Menus
            yield* menus.createDraft(menuDraft("drf_1"))
            const v1 = yield* menus.publish("drf_1", 1, "menu_1", at(1_000))
            const draft = yield* menus.updateDraft("drf_1", 2, broken, at(2_000))
            const failed = yield* outcome(menus.publish("drf_1", 3, "menu_1", at(3_000)))
            const state = {
              menu: yield* menus.getMenu("menu_1"),
              versions: (yield* menus.versions("menu_1")).map((v) => v.version),
              version2: yield* menus.getVersion("menu_1", 2),
              out1: yield* menus.menusOfStore("out_1"),
              list: yield* menus.listMenus({ cursor: null, limit: 5 }),
              draft: yield* menus.getDraft("drf_1"),
              ofMenu: yield* menus.draftOfMenu("menu_1")
            }
            // The outlet appears: the same publish now goes through, as the next version.
            yield* seedStores("out_missing")
            const retried = yield* menus.publish("drf_1", 3, "menu_1", at(4_000))
            return { v1, draft, failed, state, retried, missing: yield* menus.menusOfStore("out_missing") }
          })
        )
        const v1 = (seen.v1 as { readonly menu: PublishedMenu }).menu
        expect(v1).toMatchObject({ version: 1, content: first })
        expect(seen.failed).toBe("StorageError")
        expect(seen.state).toEqual({
          menu: v1,
          versions: [1],
          version2: undefined,
          out1: [v1],
          list: [v1],
          draft: seen.draft,
          ofMenu: seen.draft
        })
        expect(seen.retried).toMatchObject({ created: true, menu: { version: 2, content: broken } })
        expect(seen.missing.map((m) => m.version)).toEqual([2])
      })

      it("leaves a menu never published unpublished, and its draft unlinked", async () => {
        const tenant = await newTenant()
        const broken = menuContent({ storeIds: ["out_missing"] })
        const seen = await inTenant(
          tenant,
          Effect.gen(function* () {
            yield* seedStores("out_1")
            const menus = yield* Menus
            yield* menus.createDraft(menuDraft("drf_1", { content: broken }))
            const failed = yield* outcome(menus.publish("drf_1", 1, "menu_1", at(1_000)))
            const state = {
              menu: yield* menus.getMenu("menu_1"),
              versions: yield* menus.versions("menu_1"),
              list: yield* menus.listMenus({ cursor: null, limit: 5 }),
              draft: yield* menus.getDraft("drf_1"),
              ofMenu: yield* menus.draftOfMenu("menu_1")
            }
            yield* menus.updateDraft("drf_1", 1, menuContent(), at(2_000))
            const published = yield* menus.publish("drf_1", 2, "menu_1", at(3_000))
            return { failed, state, published }
          })
        )
        expect(seen.failed).toBe("StorageError")
        expect(seen.state).toEqual({
          menu: undefined,
          versions: [],
          list: [],
          draft: menuDraft("drf_1", { content: broken }),
          ofMenu: undefined
        })
        // No version number was used up by the failed attempt.
        expect(seen.published).toMatchObject({ created: true, menu: { menuId: "menu_1", version: 1 } })
      })
    })

    it("behaves like a simple model under any sequence of draft writes and publishes", async () => {
      const stores = ["out_1", "out_2", "out_3"]
      const draftIds = ["drf_a", "drf_B", "drf_0"]
      const menuIds = ["menu_a", "menu_A", "menu_1"]
      const arbItem: fc.Arbitrary<MenuItem> = fc.record({
        productId: fc.constantFrom("prd_a", "prd_b", "prd_c"),
        position: fc.nat(5),
        basePrice: fc.option(fc.constantFrom(0, 450, 990, 2 ** 40), { nil: null }),
        specialPrice: fc.option(fc.constantFrom(0, 399), { nil: null })
      })
      const arbSection: fc.Arbitrary<MenuSection> = fc.record({
        sectionId: fc.constantFrom("sec_1", "sec_2"),
        name: arbText,
        displayType: fc.constantFrom<DisplayType>("LIST", "GRID", "HIGHLIGHT", "SWIMLANE"),
        position: fc.nat(3),
        items: fc.array(arbItem, { maxLength: 3 })
      })
      const arbHours: fc.Arbitrary<MenuHours | null> = fc.option(
        fc.record({
          timezone: fc.constantFrom("Europe/Amsterdam", "America/New_York"),
          weekly: fc.array(
            fc.record({
              dayOfWeek: fc.constantFrom<DayOfWeek>(1, 2, 3, 4, 5, 6, 7),
              opens: fc.constantFrom("08:00", "17:00"),
              closes: fc.constantFrom("02:00", "24:00")
            }),
            { maxLength: 2 }
          ),
          exceptions: fc.constant([])
        }),
        { nil: null }
      )
      const arbContent: fc.Arbitrary<MenuContent> = fc.record({
        name: arbText,
        description: fc.option(arbText, { nil: null }),
        sections: fc.array(arbSection, { maxLength: 2 }),
        hours: arbHours,
        // Now and then an outlet the tenant does not have: that publish is refused whole.
        storeIds: fc.oneof(
          { weight: 6, arbitrary: fc.subarray(stores) },
          { weight: 1, arbitrary: fc.constant(["out_1", "out_none"]) }
        )
      })
      const index = fc.nat(2)
      const delta = fc.constantFrom(0, 0, 0, -1, 1)
      const arbOp = fc.oneof(
        fc.record({
          op: fc.constant("create" as const),
          draft: index,
          content: fc.nat(3),
          menu: fc.option(index, { nil: null })
        }),
        fc.record({ op: fc.constant("update" as const), draft: index, delta, content: fc.nat(3) }),
        fc.record({ op: fc.constant("delete" as const), draft: index, delta }),
        fc.record({ op: fc.constant("publish" as const), draft: index, delta, menu: index }),
        fc.record({ op: fc.constant("publish" as const), draft: index, delta, menu: index })
      )

      await fc.assert(
        fc.asyncProperty(
          fc.array(arbContent, { minLength: 3, maxLength: 3 }),
          fc.array(arbOp, { maxLength: 20 }),
          async (generated, ops) => {
            // The fourth content is the first written in another key order: equal, canonically.
            const contents = [...generated, reordered(generated[0]!)]
            const tenant: TenantId = await newTenant("m")
            const drafts = new Map<string, MenuDraft>()
            const versions = new Map<string, Array<PublishedMenu>>()
            const same = (a: MenuContent, b: MenuContent) => isDeepStrictEqual(a, b)
            await inTenant(
              tenant,
              Effect.gen(function* () {
                yield* seedStores(...stores)
                const menus = yield* Menus
                for (const [step, op] of ops.entries()) {
                  const now = at(step * 1_000)
                  const draftId = draftIds[op.draft]!
                  const stored = drafts.get(draftId)
                  switch (op.op) {
                    case "create": {
                      const menuId = op.menu === null ? null : menuIds[op.menu]!
                      const draft = menuDraft(draftId, {
                        menuId,
                        content: contents[op.content]!,
                        createdAt: now,
                        updatedAt: now
                      })
                      const taken = menuId !== null && [...drafts.values()].some((d) => d.menuId === menuId)
                      const result = yield* outcome(menus.createDraft(draft))
                      if (stored !== undefined || taken) expect(result).toBe("StorageError")
                      else {
                        expect(result).toBe("success")
                        drafts.set(draftId, draft)
                      }
                      break
                    }
                    case "update": {
                      const expected = (stored?.version ?? 1) + op.delta
                      const content = contents[op.content]!
                      const result = yield* menus.updateDraft(draftId, expected, content, now)
                      if (stored === undefined) expect(result).toBeUndefined()
                      else if (stored.version !== expected)
                        expect(result).toEqual({ _tag: "StaleDraft", current: stored.version })
                      else {
                        const updated = { ...stored, content, version: expected + 1, updatedAt: now }
                        drafts.set(draftId, updated)
                        expect(result).toEqual(updated)
                      }
                      break
                    }
                    case "delete": {
                      const expected = (stored?.version ?? 1) + op.delta
                      const result = yield* menus.deleteDraft(draftId, expected)
                      if (stored === undefined) expect(result).toBe(false)
                      else if (stored.version !== expected)
                        expect(result).toEqual({ _tag: "StaleDraft", current: stored.version })
                      else {
                        drafts.delete(draftId)
                        expect(result).toBe(true)
                      }
                      break
                    }
                    case "publish": {
                      const expected = (stored?.version ?? 1) + op.delta
                      const result = yield* Effect.match(menus.publish(draftId, expected, menuIds[op.menu]!, now), {
                        onFailure: (error) => ({ failed: error._tag }),
                        onSuccess: (answer) => ({ answer })
                      })
                      if (stored === undefined) {
                        expect(result).toEqual({ answer: undefined })
                        break
                      }
                      if (stored.version !== expected) {
                        expect(result).toEqual({ answer: { _tag: "StaleDraft", current: stored.version } })
                        break
                      }
                      const target = stored.menuId ?? menuIds[op.menu]!
                      const history = versions.get(target) ?? []
                      const latest = history.at(-1)
                      if (latest !== undefined && same(latest.content, stored.content)) {
                        expect(result).toEqual({ answer: { menu: latest, created: false, draft: stored } })
                        break
                      }
                      const linkedElsewhere = [...drafts.values()].some(
                        (d) => d.menuId === target && d.draftId !== draftId
                      )
                      const unknownStore = stored.content.storeIds.some((s) => !stores.includes(s))
                      if (linkedElsewhere || unknownStore) {
                        expect(result).toMatchObject({ failed: "StorageError" })
                        break
                      }
                      const menu: PublishedMenu = {
                        menuId: target,
                        version: history.length + 1,
                        content: stored.content,
                        publishedAt: now
                      }
                      const draft = { ...stored, menuId: target, version: expected + 1, updatedAt: now }
                      versions.set(target, [...history, menu])
                      drafts.set(draftId, draft)
                      expect(result).toEqual({ answer: { menu, created: true, draft } })
                      break
                    }
                  }
                  expect(yield* menus.getDraft(draftId)).toEqual(drafts.get(draftId))
                }
                // Everything, read back every way.
                const byId =
                  <T>(key: (t: T) => string) =>
                  (a: T, b: T) =>
                    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0
                const allDrafts = [...drafts.values()].sort(byId((d) => d.draftId))
                expect(yield* menus.listDrafts({ cursor: null, limit: 10 })).toEqual(allDrafts)
                expect(yield* menus.listDrafts({ cursor: allDrafts[0]?.draftId ?? null, limit: 1 })).toEqual(
                  allDrafts.length === 0 ? [] : allDrafts.slice(1, 2)
                )
                const current = [...versions.values()].map((h) => h.at(-1)!).sort(byId((m) => m.menuId))
                expect(yield* menus.listMenus({ cursor: null, limit: 10 })).toEqual(current)
                for (const menuId of menuIds) {
                  const history = versions.get(menuId) ?? []
                  expect(yield* menus.getMenu(menuId)).toEqual(history.at(-1))
                  expect(yield* menus.draftOfMenu(menuId)).toEqual(
                    [...drafts.values()].find((d) => d.menuId === menuId)
                  )
                  expect((yield* menus.versions(menuId)).map((v) => [v.version, v.name, v.items, v.stores])).toEqual(
                    history
                      .map((m) => [m.version, m.content.name, itemCount(m.content), new Set(m.content.storeIds).size])
                      .reverse()
                  )
                  for (const menu of history) expect(yield* menus.getVersion(menuId, menu.version)).toEqual(menu)
                }
                for (const storeId of [...stores, "out_none"]) {
                  const expected = current
                    .filter((m) => m.content.storeIds.includes(storeId))
                    .sort(
                      (a, b) =>
                        b.publishedAt.getTime() - a.publishedAt.getTime() || byId((m: PublishedMenu) => m.menuId)(a, b)
                    )
                  expect(yield* menus.menusOfStore(storeId)).toEqual(expected)
                  // The same menus in the same order, without their sections.
                  expect(yield* menus.storeMenuVersions(storeId)).toEqual(
                    expected.map((m) => ({
                      menuId: m.menuId,
                      version: m.version,
                      publishedAt: m.publishedAt,
                      hours: m.content.hours
                    }))
                  )
                }
              })
            )
          }
        ),
        { numRuns: name === "memory" ? 60 : 15 }
      )
    })
  })
}
