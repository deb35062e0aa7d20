import type { CatalogContext, CatalogSnapshot, MenuSnapshot, SectionSnapshot } from "@pos-integration/sdk"
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
  /** Where the menu stands, before every path of a problem: "" for a pushed menu, `menus.<id>` for a pulled one. */
  readonly root: string
}

/** A path inside a menu, behind the menu's root. */
const within = (root: string, path: string): string =>
  root === "" ? path : path === "(root)" ? root : `${root}.${path}`

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
    // Older answers carry no group id: the group's place in its menu is then its (stable) id.
    externalId: group.id === undefined ? path.slice(walk.root === "" ? 0 : walk.root.length + 1) : String(group.id),
    name: group.name,
    position,
    productIds,
    subSections: subSections.sections
  }
})

/** One menu load becomes one menu; its products, groups and instructions join the walk's parts. */
const decodeMenu = Effect.fnUntraced(function* (
  payload: unknown,
  walk: Walk
): Effect.fn.Return<MenuSnapshot, PayloadRejected> {
  const menu = yield* decodePayload(Menu)(payload).pipe(
    Effect.mapError(
      (error) =>
        new PayloadRejected({
          issues: error.issues.map((issue) => ({ ...issue, path: within(walk.root, issue.path) }))
        })
    )
  )
  const sections = new SectionList()
  for (const [index, group] of menu.menuEntryGroups.entries()) {
    const path = within(walk.root, `menuEntryGroups[${index}]`)
    yield* sections.add(yield* decodeSection(group, path, sections.sections.length, true, walk), path)
  }
  return {
    externalId: idText(menu.ikentooMenuId),
    name: menu.menuName,
    // Menus are scheduled on the POS itself; the menu load carries no opening hours.
    availabilities: [],
    sections: sections.sections
  }
})

/**
 * Several menu loads as one catalog: each is decoded exactly as a pushed one, into one set of
 * products, production instruction groups and instructions shared by all. A product (SKU) or group
 * listed in several menus is kept once when it is the same object; the same id describing two
 * different objects is refused, naming both places. Each menu stays a menu of its own; a menu id
 * loaded twice is refused. Problems are reported behind each menu's `root`.
 */
export const decodeMenus = (
  menus: ReadonlyArray<{ readonly payload: unknown; readonly root: string }>,
  context: CatalogContext
): Effect.Effect<CatalogSnapshot, PayloadRejected> =>
  guardDecoder(
    Effect.gen(function* () {
      const parts = new CatalogParts()
      const decimals = context.currency === null ? 2 : (currencyDecimals(context.currency) ?? 2)
      const decoded: Array<MenuSnapshot> = []
      const seen = new Map<string, string>()
      for (const { payload, root } of menus) {
        const menu = yield* decodeMenu(payload, { parts, decimals, root })
        const first = seen.get(menu.externalId)
        if (first !== undefined) {
          return yield* PayloadRejected.one(
            within(root, "ikentooMenuId"),
            `menu ${menu.externalId} is loaded twice (also at ${within(first, "ikentooMenuId")})`
          )
        }
        seen.set(menu.externalId, root)
        decoded.push(menu)
      }
      return {
        outletIds: [],
        products: parts.products.values(),
        modifierGroups: parts.modifierGroups.values(),
        modifierOptions: parts.modifierOptions.values(),
        menus: decoded,
        callback: null
      }
    })
  )

/**
 * The answer of a menu load becomes one menu with its products, production instruction groups and
 * instructions. Prices are decimals in the outlet's currency (CatalogContext.currency, 2 decimals
 * when unknown) and become exact minor units. A menu load names no outlet: the core applies it to
 * the outlet of the request (`?externalOutletId=`), so `outletIds` is empty.
 */
export const decodeCatalog = (
  payload: unknown,
  context: CatalogContext
): Effect.Effect<CatalogSnapshot, PayloadRejected> => decodeMenus([{ payload, root: "" }], context)
