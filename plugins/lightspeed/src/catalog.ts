import type { CatalogContext, CatalogSnapshot, SectionSnapshot } from "@pos-integration/sdk"
import { currencyDecimals, decodePayload, PayloadRejected } from "@pos-integration/sdk"
import { Effect } from "effect"
import { CatalogParts, decodeItem } from "./catalog-items.ts"
import { guardDecoder } from "./guard.ts"
import { Menu, type MenuEntry, type MenuGroupEntry } from "./menu-schema.ts"
import { sameSnapshot } from "./same-snapshot.ts"
import { idText } from "./vendor-id.ts"

interface Walk {
  readonly parts: CatalogParts
  readonly decimals: number
}

const pushOnce = (ids: Array<string>, id: string): void => {
  if (!ids.includes(id)) ids.push(id)
}

/**
 * The sections of one list, once each: a screen listed twice stands there once (its position is the
 * first one's); a different screen under an id already taken is refused, naming both places.
 */
class SectionList {
  readonly sections: Array<SectionSnapshot> = []
  private readonly seen = new Map<string, { readonly section: SectionSnapshot; readonly path: string }>()

  add(section: SectionSnapshot, path: string): Effect.Effect<void, PayloadRejected> {
    const first = this.seen.get(section.externalId)
    if (first === undefined) {
      this.seen.set(section.externalId, { section, path })
      this.sections.push(section)
      return Effect.void
    }
    return sameSnapshot({ ...first.section, position: 0 }, { ...section, position: 0 })
      ? Effect.void
      : Effect.fail(
          PayloadRejected.one(
            path,
            `menu screen ${section.externalId} is also at ${first.path}, differently: one id, two screens`
          )
        )
  }
}

/**
 * Adds the products of `entries` to `productIds` in display order. Screens nested deeper than the
 * two levels a menu has are flattened into their level-two ancestor, keeping the order.
 */
const collectItems = Effect.fnUntraced(function* (
  entries: ReadonlyArray<MenuEntry>,
  path: string,
  productIds: Array<string>,
  walk: Walk
): Effect.fn.Return<void, PayloadRejected> {
  for (const [index, entry] of entries.entries()) {
    const at = `${path}.menuEntry[${index}]`
    if (entry["@type"] === "menuItem" && entry.asSubItem !== true) {
      pushOnce(productIds, yield* decodeItem(entry, at, walk.decimals, walk.parts))
    } else if (entry["@type"] === "group") {
      yield* collectItems(entry.menuEntry ?? [], at, productIds, walk)
    }
    // menuDeal / menuProductModifier entries and sub-items are not products of their own (see menu-schema.ts).
  }
})

/** A menu screen becomes a section; its sub-screens become sub-sections. */
const decodeSection = Effect.fnUntraced(function* (
  group: MenuGroupEntry,
  path: string,
  position: number,
  topLevel: boolean,
  walk: Walk
): Effect.fn.Return<SectionSnapshot, PayloadRejected> {
  const productIds: Array<string> = []
  const subSections = new SectionList()
  for (const [index, entry] of (group.menuEntry ?? []).entries()) {
    const at = `${path}.menuEntry[${index}]`
    if (entry["@type"] === "group") {
      if (topLevel) {
        yield* subSections.add(yield* decodeSection(entry, at, subSections.sections.length, false, walk), at)
      } else yield* collectItems(entry.menuEntry ?? [], at, productIds, walk)
    } else if (entry["@type"] === "menuItem" && entry.asSubItem !== true) {
      pushOnce(productIds, yield* decodeItem(entry, at, walk.decimals, walk.parts))
    }
  }
  return {
    // Older answers carry no group id: the group's place in the menu is then its (stable) id.
    externalId: group.id === undefined ? path : String(group.id),
    name: group.name,
    position,
    productIds,
    subSections: subSections.sections
  }
})

/**
 * The answer of a menu load becomes one menu with its products, production instruction groups and
 * instructions. Prices are decimals in the outlet's currency (CatalogContext.currency, 2 decimals
 * when unknown) and become exact minor units. A menu load names no outlet: the core applies it to
 * the outlet of the request (`?externalOutletId=`), so `outletIds` is empty.
 */
export const decodeCatalog = (
  payload: unknown,
  context: CatalogContext
): Effect.Effect<CatalogSnapshot, PayloadRejected> =>
  guardDecoder(
    Effect.gen(function* () {
      const menu = yield* decodePayload(Menu)(payload)
      const walk: Walk = {
        parts: new CatalogParts(),
        decimals: context.currency === null ? 2 : (currencyDecimals(context.currency) ?? 2)
      }
      const sections = new SectionList()
      for (const [index, group] of menu.menuEntryGroups.entries()) {
        const path = `menuEntryGroups[${index}]`
        yield* sections.add(yield* decodeSection(group, path, sections.sections.length, true, walk), path)
      }
      return {
        outletIds: [],
        products: walk.parts.products.values(),
        modifierGroups: walk.parts.modifierGroups.values(),
        modifierOptions: walk.parts.modifierOptions.values(),
        menus: [
          {
            externalId: idText(menu.ikentooMenuId),
            name: menu.menuName,
            // Menus are scheduled on the POS itself; the menu load carries no opening hours.
            availabilities: [],
            sections: sections.sections
          }
        ],
        callback: null
      }
    })
  )
