import { Effect } from "effect"
import { isIndefinite } from "../../domain/catalog.ts"
import { InvalidInput, NotFound } from "../../domain/errors.ts"
import type { Tenant } from "../../domain/tenant.ts"
import {
  Catalog,
  type GroupRow,
  type ItemRow,
  type ItemStoreRow,
  type MenuV1Row,
  type OptionRow,
  Outlets,
  type SectionV1,
  type StoreRow
} from "../ports/catalog.ts"

export interface Money {
  readonly amount: number
  readonly currency: string
}

export interface OptionView {
  readonly optionId: string
  readonly externalId: string
  readonly posCode: string
  readonly name: string
  readonly price: Money
  readonly available: boolean
}

export interface GroupView {
  readonly modifierGroupId: string
  readonly externalId: string
  readonly name: string
  readonly min: number
  readonly max: number
  readonly maxPerOption: number
  readonly options: ReadonlyArray<OptionView>
}

export interface ProductView {
  readonly productId: string
  readonly provider: string
  readonly externalId: string
  readonly posCode: string
  readonly name: string
  readonly description: string | null
  readonly imageUrl: string | null
  /** The outlet's price, when the read names an outlet. */
  readonly price: Money | null
  readonly available: boolean | null
  /** Snoozed at the time of the read (until `snoozedUntil`, or until further notice when that is null). */
  readonly snoozed: boolean | null
  readonly snoozedUntil: string | null
  readonly modifierGroups: ReadonlyArray<GroupView>
  readonly outlets: ReadonlyArray<{
    readonly outletId: string
    readonly price: Money
    readonly active: boolean
    readonly snoozed: boolean
    readonly snoozedUntil: string | null
  }>
  readonly updatedAt: string
}

const isSnoozed = (until: Date | null, at: Date) => until !== null && until.getTime() > at.getTime()
/** An instant for the API: a snooze until further notice has none (null, with `snoozed` true). */
const iso = (d: Date | null) => (d === null || isIndefinite(d) ? null : d.toISOString())

/**
 * Assembles product views for a batch of items with one lookup per table: the modifier groups,
 * their options, and (without an outlet) every outlet's link. `onSnoozeEnd` is told each snooze
 * in force at `at` that ends later: the instants at which these views change with time alone.
 */
export const assemble = Effect.fnUntraced(function* (
  rows: ReadonlyArray<{ readonly item: ItemRow; readonly link: ItemStoreRow | null }>,
  store: StoreRow | null,
  currency: string,
  at: Date,
  onSnoozeEnd?: (until: Date) => void
) {
  const snoozed = (until: Date | null) => {
    const inForce = isSnoozed(until, at)
    if (inForce && onSnoozeEnd !== undefined) onSnoozeEnd(until!)
    return inForce
  }
  const catalog = yield* Catalog
  const outlets = yield* Outlets
  const groupIds = [...new Set(rows.flatMap((r) => r.item.modifierGroupIds))]
  const groups = new Map<string, GroupRow>((yield* catalog.getGroups(groupIds)).map((g) => [g.id, g]))
  const optionIds = [...new Set([...groups.values()].flatMap((g) => g.optionIds))]
  const options = new Map<string, OptionRow>((yield* catalog.getOptions(optionIds)).map((o) => [o.id, o]))
  const storeCurrency = new Map<string, string>()
  const linksByItem = new Map<string, Array<ItemStoreRow>>()
  if (store === null) {
    for (const link of yield* catalog.itemLinks(rows.map((r) => r.item.id))) {
      const links = linksByItem.get(link.itemId)
      if (links === undefined) linksByItem.set(link.itemId, [link])
      else links.push(link)
      if (!storeCurrency.has(link.storeId)) {
        storeCurrency.set(link.storeId, (yield* outlets.get(link.storeId))?.currency ?? currency)
      }
    }
  }
  const groupView = (id: string): ReadonlyArray<GroupView> => {
    const g = groups.get(id)
    if (g === undefined) return []
    return [
      {
        modifierGroupId: g.id,
        externalId: g.externalId,
        name: g.name,
        min: g.min,
        max: g.max,
        maxPerOption: g.maxPerOption,
        options: g.optionIds.flatMap((oid) => {
          const o = options.get(oid)
          return o === undefined
            ? []
            : [
                {
                  optionId: o.id,
                  externalId: o.externalId,
                  posCode: o.posCode,
                  name: o.name,
                  price: { amount: o.price, currency },
                  available: !snoozed(o.snoozedUntil)
                }
              ]
        })
      }
    ]
  }
  return rows.map(({ item, link }): ProductView => {
    const links = store === null ? (linksByItem.get(item.id) ?? []) : []
    const updated = Math.max(item.updatedAt.getTime(), link?.updatedAt.getTime() ?? 0)
    return {
      productId: item.id,
      provider: item.provider,
      externalId: item.externalId,
      posCode: item.posCode,
      name: item.name,
      description: item.description,
      imageUrl: item.imageUrl,
      price: link === null ? null : { amount: link.price, currency },
      available: link === null ? null : link.active && !snoozed(link.snoozedUntil),
      snoozed: link === null ? null : snoozed(link.snoozedUntil),
      snoozedUntil: iso(link?.snoozedUntil ?? null),
      modifierGroups: item.modifierGroupIds.flatMap(groupView),
      outlets: links.map((l) => ({
        outletId: l.storeId,
        price: { amount: l.price, currency: storeCurrency.get(l.storeId) ?? currency },
        active: l.active,
        snoozed: snoozed(l.snoozedUntil),
        snoozedUntil: iso(l.snoozedUntil)
      })),
      updatedAt: new Date(updated).toISOString()
    }
  })
})

export const outletOrNotFound = Effect.fnUntraced(function* (outletId: string) {
  const store = yield* (yield* Outlets).get(outletId)
  if (store === undefined) return yield* new NotFound({ resource: "outlet", id: outletId })
  return store
})

export interface ProductListQuery {
  readonly outletId: string | null
  readonly updatedSince: Date | null
  readonly includeInactive: boolean
  readonly cursor: string | null
  readonly limit: number
}

/** A page of products; with an outlet, that outlet's products at its prices. */
export const listProducts = Effect.fnUntraced(function* (tenant: Tenant, query: ProductListQuery, at: Date) {
  const store = query.outletId === null ? null : yield* outletOrNotFound(query.outletId)
  const catalog = yield* Catalog
  const rows = yield* catalog.listItems({
    storeId: store?.id ?? null,
    updatedSince: query.updatedSince,
    includeInactive: query.includeInactive,
    cursor: query.cursor,
    limit: query.limit + 1
  })
  const page = rows.slice(0, query.limit)
  let changesAt: Date | null = null
  const data = yield* assemble(page, store, store?.currency ?? tenant.currency, at, (until) => {
    if (changesAt === null || until.getTime() < changesAt.getTime()) changesAt = until
  })
  return {
    data,
    nextCursor: rows.length > query.limit ? (page.at(-1)?.item.id ?? null) : null,
    /** The first instant after `at` at which this page would read differently with no write (a snooze ending). */
    changesAt: changesAt as Date | null
  }
})

export const getProduct = Effect.fnUntraced(function* (
  tenant: Tenant,
  productId: string,
  outletId: string | null,
  at: Date
) {
  const catalog = yield* Catalog
  const item = yield* catalog.getItem(productId)
  if (item === undefined) return yield* new NotFound({ resource: "product", id: productId })
  const store = outletId === null ? null : yield* outletOrNotFound(outletId)
  const link = store === null ? null : ((yield* catalog.storeLinks(store.id, [item.id]))[0] ?? null)
  if (store !== null && link === null) {
    return yield* new NotFound({ resource: "product", id: `${productId}' at outlet '${store.id}` })
  }
  const [view] = yield* assemble([{ item, link }], store, store?.currency ?? tenant.currency, at)
  return view!
})

export interface SectionView {
  readonly sectionId: string
  readonly externalId: string
  readonly name: string
  readonly position: number
  readonly products: ReadonlyArray<ProductView>
  readonly subSections: ReadonlyArray<SectionView>
}

export interface MenuView {
  readonly menuId: string
  readonly externalId: string
  readonly name: string
  readonly availabilities: MenuV1Row["availabilities"]
  readonly sections: ReadonlyArray<SectionView>
}

/**
 * The outlet's menu tree as its POS pushed it (Menu V1). Products inactive at the outlet or
 * snoozed at `at` stay on the menu, marked unavailable; all of them while the kitchen is PAUSED.
 */
export const outletMenuV1 = Effect.fnUntraced(function* (outletId: string, at: Date) {
  return yield* posMenus(yield* outletOrNotFound(outletId), at)
})

/** An outlet's V1 menus, for an outlet already read. */
export const posMenus = Effect.fnUntraced(function* (store: StoreRow, at: Date) {
  const catalog = yield* Catalog
  const menus = yield* catalog.storeMenus(store.id)
  const sectionItems = (s: SectionV1): ReadonlyArray<string> => [...s.itemIds, ...s.subSections.flatMap(sectionItems)]
  const itemIds = [...new Set(menus.flatMap((m) => m.sections.flatMap(sectionItems)))]
  // Every product the outlet has a link to, in one read; the menu shows those its sections name.
  const wanted = new Set(itemIds)
  const sold = yield* catalog.listItems({
    storeId: store.id,
    updatedSince: null,
    includeInactive: true,
    cursor: null,
    limit: Number.MAX_SAFE_INTEGER
  })
  const items = sold.filter((row) => wanted.has(row.item.id))
  const assembled = yield* assemble(items, store, store.currency, at)
  // A paused kitchen takes no orders: every product is unavailable until the POS resumes it.
  const paused = store.busyMode === "PAUSED"
  const views = new Map(assembled.map((v) => [v.productId, paused ? { ...v, available: false } : v]))
  const section = (s: SectionV1): SectionView => ({
    sectionId: s.id,
    externalId: s.externalId,
    name: s.name,
    position: s.position,
    products: s.itemIds.flatMap((id) => views.get(id) ?? []),
    subSections: s.subSections.map(section)
  })
  return {
    outletId: store.id,
    source: "pos" as const,
    currency: store.currency,
    busyMode: store.busyMode,
    menus: menus.map(
      (m): MenuView => ({
        menuId: m.id,
        externalId: m.externalId,
        name: m.name,
        availabilities: m.availabilities,
        sections: m.sections.map(section)
      })
    )
  }
})

export const parseLimit = (raw: number | undefined): Effect.Effect<number, InvalidInput> =>
  raw === undefined
    ? Effect.succeed(50)
    : Number.isInteger(raw) && raw >= 1 && raw <= 500
      ? Effect.succeed(raw)
      : Effect.fail(new InvalidInput({ details: `query.limit: expected an integer from 1 to 500, got ${raw}` }))
