/**
 * The outlet's effective menu at an instant, as an order is checked against it (SPEC sections 9 and
 * 10): the same rules as the effective menu partners read (application/menus/effective-menu.ts),
 * read only for the products the order names. An outlet with published V2 menus sells what they
 * list, at their prices (special, else base, else the POS's); any other outlet sells what its POS
 * links to it, at the POS's prices.
 */
import { Effect } from "effect"
import type { NotOrderableReason, OrderableGroup, OrderableMenu, OrderableProduct } from "../../domain/order.ts"
import { menuOpenAt } from "../../domain/menu-hours.ts"
import type { PublishedMenu } from "../../domain/menu.ts"
import { unavailableReason } from "../menus/effective-menu.ts"
import { Catalog, type ItemRow, type ItemStoreRow, type StoreRow } from "../ports/catalog.ts"
import { Menus } from "../ports/menus.ts"

/** A product's place on the V2 menus: the menu (its prices come from it), and whether that menu is open. */
interface MenuPlacement {
  readonly menu: PublishedMenu
  readonly basePrice: number | null
  readonly specialPrice: number | null
  readonly open: boolean
}

/** The first open menu listing each product, else the first listing it (most recently published first). */
const placements = (published: ReadonlyArray<PublishedMenu>, wanted: ReadonlySet<string>, at: Date) => {
  const found = new Map<string, MenuPlacement>()
  for (const menu of published) {
    const { open } = menuOpenAt(menu.content.hours, at)
    for (const section of menu.content.sections) {
      for (const item of section.items) {
        if (!wanted.has(item.productId)) continue
        const known = found.get(item.productId)
        if (known !== undefined && (known.open || !open)) continue
        found.set(item.productId, { menu, basePrice: item.basePrice, specialPrice: item.specialPrice, open })
      }
    }
  }
  return found
}

/** The effective menu of `store` at `at`, for the products `productIds` (others are simply absent). */
export const orderableMenu = Effect.fnUntraced(function* (
  store: StoreRow,
  productIds: ReadonlyArray<string>,
  at: Date
) {
  const catalog = yield* Catalog
  const published = yield* (yield* Menus).menusOfStore(store.id)
  const wanted = [...new Set(productIds)]
  const onMenus = published.length === 0 ? null : placements(published, new Set(wanted), at)
  const candidates = onMenus === null ? wanted : wanted.filter((id) => onMenus.has(id))
  const rows = yield* catalog.orderingRows(store.id, candidates)
  const links = new Map(rows.links.map((link) => [link.itemId, link] as const))
  // Without V2 menus, the outlet sells what its POS links to it; a product it has no link to is not on its menu.
  const items: ReadonlyArray<ItemRow> = rows.items.filter((item) => onMenus !== null || links.has(item.id))
  const groups = new Map(rows.groups.map((g) => [g.id, g] as const))
  const options = new Map(rows.options.map((o) => [o.id, o] as const))
  const paused = store.busyMode === "PAUSED"

  const groupsOf = (item: ItemRow): ReadonlyArray<OrderableGroup> =>
    item.modifierGroupIds.flatMap((groupId) => {
      const group = groups.get(groupId)
      if (group === undefined) return []
      return [
        {
          modifierGroupId: group.id,
          name: group.name,
          min: group.min,
          max: group.max,
          maxPerOption: group.maxPerOption,
          options: group.optionIds.flatMap((optionId) => {
            const option = options.get(optionId)
            if (option === undefined) return []
            return [
              {
                optionId: option.id,
                posCode: option.posCode,
                name: option.name,
                price: option.price,
                available: option.snoozedUntil === null || option.snoozedUntil <= at
              }
            ]
          })
        }
      ]
    })

  const productOf = (item: ItemRow): OrderableProduct => {
    const link: ItemStoreRow | undefined = links.get(item.id)
    const placement = onMenus?.get(item.id)
    const open = placement?.open ?? true
    const posPrice = link?.price ?? null
    const price = placement === undefined ? posPrice : (placement.specialPrice ?? placement.basePrice ?? posPrice)
    const reason: NotOrderableReason | null =
      unavailableReason(link, at, paused, open) ?? (price === null ? "no-price" : null)
    return {
      productId: item.id,
      posCode: item.posCode,
      name: item.name,
      price,
      posPrice,
      unavailable: reason,
      taxRatesPpm: link?.taxRatesPpm ?? {},
      taxRatePpm: link?.taxRatePpm ?? null,
      modifierGroups: groupsOf(item)
    }
  }

  return {
    outletId: store.id,
    outletExternalId: store.externalId,
    provider: store.provider,
    currency: store.currency,
    outletActive: store.active,
    source: onMenus === null ? "pos" : "menu-v2",
    // The menus the ordered products are taken from, in the order they were published (newest first).
    menus: published
      .filter((m) => onMenus !== null && [...onMenus.values()].some((placement) => placement.menu === m))
      .map((m) => ({ menuId: m.menuId, version: m.version })),
    products: new Map(items.map((item) => [item.id, productOf(item)] as const))
  } satisfies OrderableMenu
})
