import { Effect } from "effect"
import { Menus, type MenuVersionSummary, type StaleDraft } from "../../../application/ports/menus.ts"
import { canonicalJson } from "../../../domain/canonical-json.ts"
import { StorageError } from "../../../domain/errors.ts"
import type { MenuContent, MenuDraft, PublishedMenu } from "../../../domain/menu.ts"
import { menuPublished } from "../../../domain/webhook-event.ts"
import type { CatalogTables, TenantEventSink } from "./memory-catalog.ts"

/** One tenant's Menu V2 tables in memory: what its database's menu tables would hold. */
export interface MenuTables {
  readonly drafts: Map<string, MenuDraft>
  /** menuId -> its versions, oldest first; the last is the current one. */
  readonly versions: Map<string, ReadonlyArray<PublishedMenu>>
}

export const makeMenuTables = (): MenuTables => ({ drafts: new Map(), versions: new Map() })

type PublishAnswer = Effect.Success<ReturnType<(typeof Menus.Service)["publish"]>>

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
const stale = (current: number): StaleDraft => ({ _tag: "StaleDraft", current })
const itemCount = (content: MenuContent) => content.sections.reduce((sum, section) => sum + section.items.length, 0)

/** A refusal the database would give (a unique key, a reference), as a storage failure. */
const refused = (operation: string, reason: string) =>
  Effect.fail(new StorageError({ operation, cause: new Error(reason) }))

/**
 * Menu V2 in memory. Each operation runs synchronously as one step, and a publish checks everything
 * before it changes anything, so a refused publish leaves the previous version and the draft as
 * they were, as the database's transaction does. Assignments follow the current version's content.
 * An assignment to an outlet the tenant does not have is refused, as the database's reference is.
 */
export const makeMemoryMenus = (t: MenuTables, catalog: CatalogTables, emit: TenantEventSink = () => {}) => {
  const current = (menuId: string) => t.versions.get(menuId)?.at(-1)
  const draftOf = (menuId: string) => [...t.drafts.values()].find((draft) => draft.menuId === menuId)
  const currentMenus = () => [...t.versions.keys()].map((menuId) => current(menuId)!)

  return Menus.of({
    createDraft: (draft) =>
      Effect.suspend(() => {
        if (t.drafts.has(draft.draftId)) return refused("create menu draft", `draft ${draft.draftId} exists`)
        if (draft.menuId !== null && draftOf(draft.menuId) !== undefined)
          return refused("create menu draft", `menu ${draft.menuId} has a draft`)
        t.drafts.set(draft.draftId, draft)
        return Effect.void
      }),
    getDraft: (draftId) => Effect.sync(() => t.drafts.get(draftId)),
    listDrafts: ({ cursor, limit }) =>
      Effect.sync(() =>
        [...t.drafts.values()]
          .filter((draft) => cursor === null || draft.draftId > cursor)
          .sort((a, b) => compare(a.draftId, b.draftId))
          .slice(0, limit)
      ),
    draftOfMenu: (menuId) => Effect.sync(() => draftOf(menuId)),
    updateDraft: (draftId, expected, content, at) =>
      Effect.sync(() => {
        const draft = t.drafts.get(draftId)
        if (draft === undefined) return undefined
        if (draft.version !== expected) return stale(draft.version)
        const updated: MenuDraft = { ...draft, content, version: draft.version + 1, updatedAt: at }
        t.drafts.set(draftId, updated)
        return updated
      }),
    deleteDraft: (draftId, expected) =>
      Effect.sync(() => {
        const draft = t.drafts.get(draftId)
        if (draft === undefined) return false
        if (draft.version !== expected) return stale(draft.version)
        t.drafts.delete(draftId)
        return true
      }),
    publish: (draftId, expected, menuId, at) =>
      Effect.suspend((): Effect.Effect<PublishAnswer, StorageError> => {
        const draft = t.drafts.get(draftId)
        if (draft === undefined) return Effect.succeed(undefined)
        if (draft.version !== expected) return Effect.succeed(stale(draft.version))
        // A draft already linked to a menu publishes that menu; `menuId` names a new one's.
        const target = draft.menuId ?? menuId
        const versions = t.versions.get(target) ?? []
        const latest = versions.at(-1)
        if (latest !== undefined && canonicalJson(latest.content) === canonicalJson(draft.content))
          return Effect.succeed({ menu: latest, created: false, draft })
        // The new state is built and checked whole, then swapped in.
        const other = draftOf(target)
        if (other !== undefined && other.draftId !== draftId)
          return refused("publish menu", `menu ${target} has another draft`)
        const unknown = draft.content.storeIds.find((storeId) => !catalog.stores.has(storeId))
        if (unknown !== undefined) return refused("publish menu", `no outlet ${unknown}`)
        const menu: PublishedMenu = {
          menuId: target,
          version: versions.length + 1,
          content: draft.content,
          publishedAt: at
        }
        const linked: MenuDraft = { ...draft, menuId: target, version: draft.version + 1, updatedAt: at }
        t.versions.set(target, [...versions, menu])
        t.drafts.set(draftId, linked)
        emit(
          menuPublished({
            menuId: target,
            version: menu.version,
            name: menu.content.name,
            items: itemCount(menu.content),
            publishedAt: at,
            outletIds: menu.content.storeIds
          }),
          at
        )
        return Effect.succeed({ menu, created: true, draft: linked })
      }),
    getMenu: (menuId) => Effect.sync(() => current(menuId)),
    listMenus: ({ cursor, limit }) =>
      Effect.sync(() =>
        currentMenus()
          .filter((menu) => cursor === null || menu.menuId > cursor)
          .sort((a, b) => compare(a.menuId, b.menuId))
          .slice(0, limit)
      ),
    versions: (menuId) =>
      Effect.sync(() =>
        (t.versions.get(menuId) ?? [])
          .map(
            (menu): MenuVersionSummary => ({
              menuId: menu.menuId,
              version: menu.version,
              name: menu.content.name,
              publishedAt: menu.publishedAt,
              items: itemCount(menu.content),
              stores: new Set(menu.content.storeIds).size
            })
          )
          .reverse()
      ),
    getVersion: (menuId, version) =>
      Effect.sync(() => t.versions.get(menuId)?.find((menu) => menu.version === version)),
    menusOfStore: (storeId) =>
      Effect.sync(() =>
        currentMenus()
          .filter((menu) => menu.content.storeIds.includes(storeId))
          .sort((a, b) => b.publishedAt.getTime() - a.publishedAt.getTime() || compare(a.menuId, b.menuId))
      ),
    storeMenuVersions: (storeId) =>
      Effect.sync(() =>
        currentMenus()
          .filter((menu) => menu.content.storeIds.includes(storeId))
          .sort((a, b) => b.publishedAt.getTime() - a.publishedAt.getTime() || compare(a.menuId, b.menuId))
          .map((menu) => ({
            menuId: menu.menuId,
            version: menu.version,
            publishedAt: menu.publishedAt,
            hours: menu.content.hours
          }))
      )
  })
}
