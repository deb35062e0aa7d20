/**
 * The effective menu of an outlet at an instant (SPEC section 9): what a partner shows and what an
 * order is checked against. An outlet with published Menu V2 menus assigned answers every one of them
 * (`source: "menu-v2"`, most recently published first); any other outlet answers the menus its POS
 * synced (`source: "pos"`), as it always has.
 *
 * A V2 item's price is the menu's special price, else its base price, else the POS's price at this
 * outlet. Every item of the menu is listed; one that cannot be ordered at that instant says why, the
 * first that applies of: `not-sold-here` (this outlet's POS has no link to the product), `inactive`
 * (its POS deactivated it here), `snoozed` (until `snoozedUntil`, or until further notice when that
 * is null), `paused` (the outlet's kitchen is in busy mode PAUSED), `closed` (the menu is closed).
 */
import { Effect } from "effect"
import { isIndefinite } from "../../domain/catalog.ts"
import { menuOpenAt } from "../../domain/menu-hours.ts"
import type { DisplayType, MenuHours, PublishedMenu } from "../../domain/menu.ts"
import {
  assemble,
  type GroupView,
  type Money,
  outletOrNotFound,
  posMenus,
  type ProductView
} from "../catalog/read-catalog.ts"
import { Catalog, type ItemStoreRow, type StoreRow } from "../ports/catalog.ts"
import { Menus, type StoreMenuVersion } from "../ports/menus.ts"

export type UnavailableReason = "not-sold-here" | "inactive" | "snoozed" | "paused" | "closed"

export interface MenuItemView {
  readonly productId: string
  readonly provider: string
  readonly externalId: string
  readonly posCode: string
  readonly name: string
  readonly description: string | null
  readonly imageUrl: string | null
  readonly position: number
  /** What an order pays: the special price, else the base price; null when neither is known here. */
  readonly price: Money | null
  /** The menu's base price, else the POS's price at this outlet. */
  readonly basePrice: Money | null
  readonly specialPrice: Money | null
  readonly available: boolean
  readonly reason: UnavailableReason | null
  /** With `reason: "snoozed"`: until when; null until further notice (and for any other reason). */
  readonly snoozedUntil: string | null
  readonly modifierGroups: ReadonlyArray<GroupView>
}

export interface MenuSectionView {
  readonly sectionId: string
  readonly name: string
  readonly displayType: DisplayType
  readonly position: number
  readonly items: ReadonlyArray<MenuItemView>
}

export interface MenuV2View {
  readonly menuId: string
  readonly version: number
  readonly name: string
  readonly description: string | null
  readonly publishedAt: string
  readonly open: boolean
  /** When the menu next closes (open) or opens (closed); null when that is more than 8 days away or never. */
  readonly nextChange: string | null
  readonly hours: MenuHours | null
  readonly sections: ReadonlyArray<MenuSectionView>
}

const snoozedAt = (link: ItemStoreRow, at: Date) => link.snoozedUntil !== null && link.snoozedUntil > at

export const unavailableReason = (
  link: ItemStoreRow | undefined,
  at: Date,
  paused: boolean,
  open: boolean
): UnavailableReason | null =>
  link === undefined
    ? "not-sold-here"
    : !link.active
      ? "inactive"
      : snoozedAt(link, at)
        ? "snoozed"
        : paused
          ? "paused"
          : !open
            ? "closed"
            : null

const productIdsOf = (published: ReadonlyArray<PublishedMenu>): ReadonlyArray<string> => [
  ...new Set(published.flatMap((m) => m.content.sections.flatMap((s) => s.items.map((i) => i.productId))))
]

/** What the effective menu's key is read from, first: the outlet and its published V2 menus' versions. */
export interface EffectiveMenuBasis {
  readonly store: StoreRow
  readonly menus: ReadonlyArray<StoreMenuVersion>
  /**
   * For an outlet with V2 menus: a text that is equal for two reads (of any instants, through any
   * service instance) only when their answers are equal, as long as no snooze of the rows used
   * starts or stops counting between the two instants (`EffectiveMenuRendering.validFrom` and
   * `validUntil` bound that). It holds the outlet's currency and busy mode, each menu's id and
   * version (a version's content never changes), whether each menu is open at `at` and its next
   * change, and the tenant's catalog generation (moved by every write to a product, link, group or
   * option, in the writing transaction). Null for an outlet answering its POS's menus (not keyed).
   */
  readonly key: string | null
}

export const effectiveMenuBasis = Effect.fnUntraced(function* (outletId: string, at: Date) {
  const store = yield* outletOrNotFound(outletId)
  const menus = yield* (yield* Menus).storeMenuVersions(store.id)
  return { store, menus, key: yield* effectiveMenuKey(store, menus, at) } satisfies EffectiveMenuBasis
})

/** The key of `EffectiveMenuBasis` for these menus. */
export const effectiveMenuKey = Effect.fnUntraced(function* (
  store: StoreRow,
  menus: ReadonlyArray<StoreMenuVersion>,
  at: Date
) {
  if (menus.length === 0) return null
  const generation = yield* (yield* Catalog).catalogGeneration()
  const keyed = menus.map((m) => {
    const { open, nextChange } = menuOpenAt(m.hours, at)
    return [m.menuId, m.version, open, nextChange?.getTime() ?? null]
  })
  return JSON.stringify([store.id, store.currency, store.busyMode, keyed, generation])
})

/**
 * A rendered effective menu and the instants between which it holds for the same key: from the last
 * end of a snooze of the rows used at or before `at` (null: none) to the first one after it (null:
 * none). Snoozes end at their instant without any write, so the key cannot see them.
 */
export interface EffectiveMenuRendering {
  readonly menu: Effect.Success<ReturnType<typeof renderEffectiveMenu>>
  readonly validFrom: Date | null
  readonly validUntil: Date | null
}

/** The outlet's V2 effective menu read whole (its menus' content only now), with its validity. */
export const renderEffectiveMenuWithValidity = Effect.fnUntraced(function* (store: StoreRow, at: Date) {
  const published = yield* (yield* Menus).menusOfStore(store.id)
  const menu = yield* renderEffectiveMenu(store, published, at)
  const catalog = yield* Catalog
  const wanted = productIdsOf(published)
  const links = yield* catalog.storeLinks(store.id, wanted)
  const items = yield* catalog.getItems(wanted)
  const groups = yield* catalog.getGroups([...new Set(items.flatMap((i) => i.modifierGroupIds))])
  const options = yield* catalog.getOptions([...new Set(groups.flatMap((g) => g.optionIds))])
  let validFrom: Date | null = null
  let validUntil: Date | null = null
  for (const { snoozedUntil } of [...links, ...options]) {
    if (snoozedUntil === null) continue
    if (snoozedUntil.getTime() <= at.getTime()) {
      if (validFrom === null || snoozedUntil > validFrom) validFrom = snoozedUntil
    } else if (validUntil === null || snoozedUntil < validUntil) validUntil = snoozedUntil
  }
  return { menu, validFrom, validUntil } satisfies EffectiveMenuRendering
})

/** The outlet's effective menu at `at`: its V2 menus when it has any, else its POS's menus. */
export const effectiveMenu = Effect.fnUntraced(function* (outletId: string, at: Date) {
  const store = yield* outletOrNotFound(outletId)
  return yield* renderEffectiveMenu(store, yield* (yield* Menus).menusOfStore(store.id), at)
})

/** The effective menu from its basis already read. */
export const renderEffectiveMenu = Effect.fnUntraced(function* (
  store: StoreRow,
  published: ReadonlyArray<PublishedMenu>,
  at: Date
) {
  if (published.length === 0) return yield* posMenus(store, at)
  const catalog = yield* Catalog
  const wanted = productIdsOf(published)
  // Only the menus' products and this outlet's links to them; one the outlet has no link to is not sold here.
  const links = new Map((yield* catalog.storeLinks(store.id, wanted)).map((link) => [link.itemId, link] as const))
  const rows = (yield* catalog.getItems(wanted)).map((item) => ({ item, link: links.get(item.id) ?? null }))
  const views = new Map<string, ProductView>(
    (yield* assemble(rows, store, store.currency, at)).map((v) => [v.productId, v])
  )
  const paused = store.busyMode === "PAUSED"
  const money = (amount: number | null): Money | null => (amount === null ? null : { amount, currency: store.currency })

  const menuView = (menu: PublishedMenu): MenuV2View => {
    const { open, nextChange } = menuOpenAt(menu.content.hours, at)
    return {
      menuId: menu.menuId,
      version: menu.version,
      name: menu.content.name,
      description: menu.content.description,
      publishedAt: menu.publishedAt.toISOString(),
      open,
      nextChange: nextChange?.toISOString() ?? null,
      hours: menu.content.hours,
      sections: menu.content.sections.map((section) => ({
        sectionId: section.sectionId,
        name: section.name,
        displayType: section.displayType,
        position: section.position,
        items: section.items.flatMap((item): ReadonlyArray<MenuItemView> => {
          const product = views.get(item.productId)
          // Products are never deleted (syncs deactivate them), so one the catalog lacks cannot be shown.
          if (product === undefined) return []
          const link = links.get(item.productId)
          const reason = unavailableReason(link, at, paused, open)
          const base = item.basePrice ?? link?.price ?? null
          const snoozedUntil =
            reason === "snoozed" && link !== undefined && link.snoozedUntil !== null && !isIndefinite(link.snoozedUntil)
              ? link.snoozedUntil.toISOString()
              : null
          return [
            {
              productId: product.productId,
              provider: product.provider,
              externalId: product.externalId,
              posCode: product.posCode,
              name: product.name,
              description: product.description,
              imageUrl: product.imageUrl,
              position: item.position,
              price: money(item.specialPrice ?? base),
              basePrice: money(base),
              specialPrice: money(item.specialPrice),
              available: reason === null,
              reason,
              snoozedUntil,
              modifierGroups: product.modifierGroups
            }
          ]
        })
      }))
    }
  }

  return {
    outletId: store.id,
    source: "menu-v2" as const,
    currency: store.currency,
    busyMode: store.busyMode,
    menus: published.map(menuView)
  }
})
