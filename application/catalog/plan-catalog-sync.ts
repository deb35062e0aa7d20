import { type CatalogSnapshot, type SectionSnapshot, snoozeInstant } from "../../domain/catalog.ts"
import { menuV1Id, modifierGroupId, modifierOptionId, productId, sectionV1Id } from "../../domain/ids.ts"
import type {
  CatalogChanges,
  CatalogState,
  GroupRow,
  ItemRow,
  ItemStoreRow,
  MenuV1Row,
  OptionRow,
  SectionV1,
  SyncCounts
} from "../ports/catalog.ts"
import { sameRow } from "./row-equality.ts"

export interface CatalogPlan {
  readonly changes: CatalogChanges
  readonly counts: {
    readonly products: SyncCounts
    readonly modifierGroups: SyncCounts
    readonly modifierOptions: SyncCounts
    readonly menus: SyncCounts
  }
  /** Active products of the outlet before the sync, and how many of them the sync deactivates. */
  readonly activeBefore: number
  readonly deactivating: number
}

const zero = (): { created: number; updated: number; unchanged: number; deactivated: number } => ({
  created: 0,
  updated: 0,
  unchanged: 0,
  deactivated: 0
})

/** Our ids for a snapshot's objects, each derived once (a large sync has hundreds of thousands). */
export interface CatalogIds {
  readonly product: (externalId: string) => string
  readonly group: (externalId: string) => string
  readonly option: (externalId: string) => string
  readonly products: ReadonlyArray<string>
  readonly groups: ReadonlyArray<string>
  readonly options: ReadonlyArray<string>
}

const memo = (derive: (externalId: string) => string, externalIds: ReadonlyArray<string>) => {
  const cache = new Map<string, string>()
  for (const id of externalIds) cache.set(id, derive(id))
  const lookup = (externalId: string) => {
    let id = cache.get(externalId)
    if (id === undefined) {
      id = derive(externalId)
      cache.set(externalId, id)
    }
    return id
  }
  return { lookup, all: [...cache.values()] }
}

export const catalogIds = (provider: string, snapshot: CatalogSnapshot): CatalogIds => {
  const products = memo(
    (id) => productId(provider, id),
    snapshot.products.map((p) => p.externalId)
  )
  const groups = memo(
    (id) => modifierGroupId(provider, id),
    snapshot.modifierGroups.map((g) => g.externalId)
  )
  const options = memo(
    (id) => modifierOptionId(provider, id),
    snapshot.modifierOptions.map((o) => o.externalId)
  )
  return {
    product: products.lookup,
    group: groups.lookup,
    option: options.lookup,
    products: products.all,
    groups: groups.all,
    options: options.all
  }
}

/**
 * The rows a full snapshot of one outlet's catalog means, compared with what is stored: only rows
 * that differ are written; products and menus of the outlet that the snapshot leaves out are
 * deactivated (never deleted). Pure: the caller holds the outlet's lock and applies the result.
 */
export const planCatalogSync = (input: {
  readonly provider: string
  readonly storeId: string
  readonly snapshot: CatalogSnapshot
  readonly state: CatalogState
  readonly now: Date
  /** The snapshot's ids, when the caller derived them already (to load the state). */
  readonly ids?: CatalogIds
}): CatalogPlan => {
  const { provider, storeId, snapshot, state, now } = input
  const ids = input.ids ?? catalogIds(provider, snapshot)
  const counts = { products: zero(), modifierGroups: zero(), modifierOptions: zero(), menus: zero() }

  const currentItems = new Map(state.items.map((r) => [r.id, r]))
  const currentGroups = new Map(state.groups.map((r) => [r.id, r]))
  const currentOptions = new Map(state.options.map((r) => [r.id, r]))
  const currentLinks = new Map(state.itemStores.map((r) => [r.itemId, r]))
  const currentMenus = new Map(state.menus.map((r) => [r.id, r]))

  const options: Array<OptionRow> = []
  for (const o of snapshot.modifierOptions) {
    const row: OptionRow = {
      id: ids.option(o.externalId),
      provider,
      externalId: o.externalId,
      posCode: o.posCode,
      name: o.name,
      price: o.price,
      snoozedUntil: snoozeInstant(o.snoozedUntil),
      updatedAt: now
    }
    const current = currentOptions.get(row.id)
    if (current === undefined) counts.modifierOptions.created++
    else if (sameRow(current, row)) {
      counts.modifierOptions.unchanged++
      continue
    } else counts.modifierOptions.updated++
    options.push(row)
  }

  const groups: Array<GroupRow> = []
  for (const g of snapshot.modifierGroups) {
    const row: GroupRow = {
      id: ids.group(g.externalId),
      provider,
      externalId: g.externalId,
      posCode: g.posCode,
      name: g.name,
      min: g.min,
      max: g.max,
      maxPerOption: g.maxPerOption,
      optionIds: g.optionIds.map(ids.option),
      updatedAt: now
    }
    const current = currentGroups.get(row.id)
    if (current === undefined) counts.modifierGroups.created++
    else if (sameRow(current, row)) {
      counts.modifierGroups.unchanged++
      continue
    } else counts.modifierGroups.updated++
    groups.push(row)
  }

  const items: Array<ItemRow> = []
  const itemStores: Array<ItemStoreRow> = []
  const inSnapshot = new Set<string>()
  for (const p of snapshot.products) {
    const item: ItemRow = {
      id: ids.product(p.externalId),
      provider,
      externalId: p.externalId,
      posCode: p.posCode,
      name: p.name,
      description: p.description,
      imageUrl: p.imageUrl,
      modifierGroupIds: p.modifierGroupIds.map(ids.group),
      updatedAt: now
    }
    const link: ItemStoreRow = {
      itemId: item.id,
      storeId,
      price: p.price,
      taxRatePpm: p.taxRatePpm,
      taxRatesPpm: p.taxRatesPpm ?? {},
      snoozedUntil: snoozeInstant(p.snoozedUntil),
      active: true,
      updatedAt: now
    }
    inSnapshot.add(item.id)
    const currentItem = currentItems.get(item.id)
    const currentLink = currentLinks.get(item.id)
    const itemChanged = currentItem === undefined || !sameRow(currentItem, item)
    const linkChanged = currentLink === undefined || !sameRow(currentLink, link)
    if (itemChanged) items.push(item)
    if (linkChanged) itemStores.push(link)
    if (currentLink === undefined) counts.products.created++
    else if (itemChanged || linkChanged) counts.products.updated++
    else counts.products.unchanged++
  }

  let activeBefore = 0
  let deactivating = 0
  for (const link of state.itemStores) {
    if (!link.active) continue
    activeBefore++
    if (inSnapshot.has(link.itemId)) continue
    deactivating++
    counts.products.deactivated++
    itemStores.push({ ...link, active: false, updatedAt: now })
  }

  const menus: Array<MenuV1Row> = []
  const menusInSnapshot = new Set<string>()
  for (const m of snapshot.menus) {
    const id = menuV1Id(storeId, m.externalId)
    const row: MenuV1Row = {
      id,
      storeId,
      provider,
      externalId: m.externalId,
      name: m.name,
      availabilities: m.availabilities,
      sections: m.sections.map((s) => toSection(ids, id, s)),
      active: true,
      updatedAt: now
    }
    menusInSnapshot.add(id)
    const current = currentMenus.get(id)
    if (current === undefined) counts.menus.created++
    else if (sameRow(current, row)) {
      counts.menus.unchanged++
      continue
    } else counts.menus.updated++
    menus.push(row)
  }
  for (const menu of state.menus) {
    if (!menu.active || menusInSnapshot.has(menu.id)) continue
    counts.menus.deactivated++
    menus.push({ ...menu, active: false, updatedAt: now })
  }

  return { changes: { items, groups, options, itemStores, menus }, counts, activeBefore, deactivating }
}

// A section's id comes from its place in the tree: a sub-section may reuse a top-level section's
// external id (ids are unique among siblings only) and still gets an id of its own.
const toSection = (ids: CatalogIds, menuId: string, s: SectionSnapshot, parent?: string): SectionV1 => {
  const id = parent === undefined ? sectionV1Id(menuId, s.externalId) : sectionV1Id(parent, s.externalId)
  return {
    id,
    externalId: s.externalId,
    name: s.name,
    position: s.position,
    itemIds: s.productIds.map(ids.product),
    subSections: s.subSections.map((sub) => toSection(ids, menuId, sub, id))
  }
}

export const isEmptyChange = (changes: CatalogChanges): boolean =>
  changes.items.length +
    changes.groups.length +
    changes.options.length +
    changes.itemStores.length +
    changes.menus.length ===
  0
