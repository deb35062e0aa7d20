import { Duration, Effect, Semaphore } from "effect"
import {
  Catalog,
  type GroupRow,
  type ItemRow,
  type ItemStoreRow,
  type MenuV1Row,
  type OptionRow,
  Outlets,
  type StoreRow,
  SyncHistory,
  type SyncRecord
} from "../../../application/ports/catalog.ts"
import type { BusyMode } from "../../../application/ports/pos-inbox.ts"
import { SyncInProgress } from "../../../domain/errors.ts"
import { syncFinished, type TenantEvent } from "../../../domain/webhook-event.ts"

/** One tenant's outlets and catalog in memory: what its database's tables would hold. */
export interface CatalogTables {
  readonly stores: Map<string, StoreRow>
  /** store_status: what the POS last said of an outlet's kitchen. */
  readonly busyModes: Map<string, BusyMode>
  readonly items: Map<string, ItemRow>
  readonly groups: Map<string, GroupRow>
  readonly options: Map<string, OptionRow>
  /** storeId -> itemId -> link */
  readonly itemStores: Map<string, Map<string, ItemStoreRow>>
  /** storeId -> menuId -> menu */
  readonly menus: Map<string, Map<string, MenuV1Row>>
  readonly syncs: Map<string, SyncRecord>
  readonly locks: Map<string, Semaphore.Semaphore>
  /** The catalog generation (Catalog.catalogGeneration). */
  readonly generation: { value: number }
}

export const makeCatalogTables = (): CatalogTables => ({
  stores: new Map(),
  busyModes: new Map(),
  items: new Map(),
  groups: new Map(),
  options: new Map(),
  itemStores: new Map(),
  menus: new Map(),
  generation: { value: 0 },
  syncs: new Map(),
  locks: new Map()
})

const byId = <T extends { readonly id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
const inner = <K, V>(map: Map<string, Map<K, V>>, key: string) => {
  let found = map.get(key)
  if (found === undefined) {
    found = new Map()
    map.set(key, found)
  }
  return found
}

/** Where the tenant-wide webhook events a change raises go (memory-webhook-deliveries.ts), in the change's step. */
export type TenantEventSink = (event: TenantEvent, at: Date) => void

export const makeMemoryOutlets = (t: CatalogTables) => {
  // A store as read: its busy mode is kept apart (a sync never writes it), as in store_status.
  const read = (s: StoreRow): StoreRow => ({ ...s, busyMode: t.busyModes.get(s.id) ?? "ONLINE" })
  return Outlets.of({
    findByExternalIds: (provider, externalIds) =>
      Effect.sync(() => {
        const wanted = new Set(externalIds)
        return [...t.stores.values()].filter((s) => s.provider === provider && wanted.has(s.externalId)).map(read)
      }),
    save: (rows) =>
      Effect.sync(() => {
        for (const row of rows) t.stores.set(row.id, row)
      }),
    get: (id) =>
      Effect.sync(() => {
        const store = t.stores.get(id)
        return store === undefined ? undefined : read(store)
      }),
    list: ({ cursor, limit, includeInactive }) =>
      Effect.sync(() =>
        [...t.stores.values()]
          .filter((s) => (includeInactive || s.active) && (cursor === null || s.id > cursor))
          .sort(byId)
          .slice(0, limit)
          .map(read)
      )
  })
}

const present = <T>(map: Map<string, T>, ids: ReadonlyArray<string>): Array<T> =>
  ids.flatMap((id) => {
    const row = map.get(id)
    return row === undefined ? [] : [row]
  })

export const makeMemoryCatalog = (t: CatalogTables) =>
  Catalog.of({
    withStoreLock: (storeId, waitMs) => (effect) =>
      Effect.suspend(() => {
        let lock = t.locks.get(storeId)
        if (lock === undefined) {
          lock = Semaphore.makeUnsafe(1)
          t.locks.set(storeId, lock)
        }
        const held = lock
        return Effect.acquireUseRelease(
          held.take(1).pipe(
            Effect.timeoutOrElse({
              duration: Duration.millis(waitMs),
              orElse: () => Effect.fail(new SyncInProgress({ outletId: storeId }))
            })
          ),
          () => effect,
          () => held.release(1)
        )
      }),
    loadState: (storeId, ids) =>
      Effect.sync(() => ({
        items: present(t.items, ids.items),
        groups: present(t.groups, ids.groups),
        options: present(t.options, ids.options),
        itemStores: [...(t.itemStores.get(storeId)?.values() ?? [])],
        menus: [...(t.menus.get(storeId)?.values() ?? [])]
      })),
    apply: (changes) =>
      Effect.sync(() => {
        t.generation.value += 1
        for (const row of changes.items) t.items.set(row.id, row)
        for (const row of changes.groups) t.groups.set(row.id, row)
        for (const row of changes.options) t.options.set(row.id, row)
        for (const row of changes.itemStores) inner(t.itemStores, row.storeId).set(row.itemId, row)
        for (const row of changes.menus) inner(t.menus, row.storeId).set(row.id, row)
      }),
    listItems: ({ storeId, updatedSince, includeInactive, cursor, limit }) =>
      Effect.sync(() => {
        const since = updatedSince?.getTime() ?? Number.NEGATIVE_INFINITY
        const after = (id: string) => cursor === null || id > cursor
        if (storeId !== null) {
          return [...(t.itemStores.get(storeId)?.values() ?? [])]
            .flatMap((link) => {
              const item = t.items.get(link.itemId)
              if (item === undefined || !after(item.id) || (!includeInactive && !link.active)) return []
              const updated = Math.max(item.updatedAt.getTime(), link.updatedAt.getTime())
              return updated >= since ? [{ item, link }] : []
            })
            .sort((a, b) => byId(a.item, b.item))
            .slice(0, limit)
        }
        const sold = new Set<string>()
        for (const links of t.itemStores.values())
          for (const link of links.values()) if (link.active) sold.add(link.itemId)
        return [...t.items.values()]
          .filter(
            (item) => after(item.id) && (includeInactive || sold.has(item.id)) && item.updatedAt.getTime() >= since
          )
          .sort(byId)
          .slice(0, limit)
          .map((item) => ({ item, link: null }))
      }),
    getItem: (id) => Effect.sync(() => t.items.get(id)),
    getItems: (ids) => Effect.sync(() => present(t.items, ids)),
    itemLinks: (itemIds) =>
      Effect.sync(() =>
        [...new Set(itemIds)].flatMap((itemId) =>
          [...t.itemStores.values()].flatMap((links) => present(links, [itemId]))
        )
      ),
    storeLinks: (storeId, itemIds) => Effect.sync(() => present(t.itemStores.get(storeId) ?? new Map(), itemIds)),
    catalogGeneration: () => Effect.sync(() => t.generation.value),
    getGroups: (ids) => Effect.sync(() => present(t.groups, ids)),
    getOptions: (ids) => Effect.sync(() => present(t.options, ids)),
    orderingRows: (storeId, itemIds) =>
      Effect.sync(() => {
        const items = present(t.items, itemIds)
        const groups = present(t.groups, [...new Set(items.flatMap((i) => i.modifierGroupIds))]).sort(byId)
        const options = present(t.options, [...new Set(groups.flatMap((g) => g.optionIds))]).sort(byId)
        return { links: present(t.itemStores.get(storeId) ?? new Map(), itemIds), items, groups, options }
      }),
    storeMenus: (storeId) =>
      Effect.sync(() => [...(t.menus.get(storeId)?.values() ?? [])].filter((m) => m.active).sort(byId))
  })

export const makeMemorySyncHistory = (t: CatalogTables, emit: TenantEventSink = () => {}) =>
  SyncHistory.of({
    record: (sync) =>
      Effect.sync(() => {
        t.syncs.set(sync.id, sync)
        emit(syncFinished(sync), sync.finishedAt)
      }),
    get: (id) => Effect.sync(() => t.syncs.get(id)),
    list: ({ storeId, cursor, limit }) =>
      Effect.sync(() =>
        [...t.syncs.values()]
          .filter((s) => (storeId === null || s.storeId === storeId) && (cursor === null || s.id < cursor))
          .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
          .slice(0, limit)
      ),
    withFingerprint: (fingerprint) =>
      Effect.sync(() =>
        [...t.syncs.values()]
          .filter((s) => s.fingerprint === fingerprint && s.kind === "products" && s.status === "succeeded")
          .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
          .slice(0, 100)
      )
  })
