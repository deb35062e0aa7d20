import {
  type CatalogContext,
  type CatalogSnapshot,
  decodePayload,
  type MenuSnapshot,
  type PayloadRejected,
  type ProductSnapshot,
  type SectionSnapshot
} from "@pos-integration/sdk"
import { Effect } from "effect"
import { ById, mapWith, type Problems, text, unique } from "./mapping.ts"
import { ModifierCatalog } from "./modifiers.ts"
import { Menu, type Product, type Section, type SubSection } from "./vendor-menu.ts"

/** Every product of the menu by id, archived ones too: modifiers in the short form name them. */
const productsById = (menu: Menu): ReadonlyMap<number, Product> => {
  const byId = new Map<number, Product>()
  for (const section of menu.sections) {
    for (const product of section.products ?? []) if (!byId.has(product.id)) byId.set(product.id, product)
    for (const sub of section.sub_sections ?? []) {
      for (const product of sub.products ?? []) if (!byId.has(product.id)) byId.set(product.id, product)
    }
  }
  return byId
}

/** One menu's mapping state: the registries that keep each object once. */
class MenuMapping {
  readonly products: ById<ProductSnapshot>
  readonly modifiers: ModifierCatalog
  /** The currency prices must be in: the outlet's when known, else the first product's. */
  private currency: { readonly code: string; readonly source: string } | null
  private readonly problems: Problems

  constructor(menu: Menu, context: CatalogContext, problems: Problems) {
    this.problems = problems
    this.products = new ById("product", problems)
    this.modifiers = new ModifierCatalog(productsById(menu), problems)
    this.currency = context.currency === null ? null : { code: context.currency, source: "the outlet's currency" }
  }

  /** Prices are integers in `currency`'s minor units; one priced in another currency cannot be taken. */
  private checkCurrency(product: Product, path: string): void {
    const code = text(product.currency)?.toUpperCase()
    if (code === undefined) return
    if (this.currency === null) this.currency = { code, source: `the currency at ${path}.currency` }
    else if (this.currency.code.toUpperCase() !== code) {
      this.problems.add(`${path}.currency`, `priced in ${code}, not in ${this.currency.code} (${this.currency.source})`)
    }
  }

  /**
   * A product standing in a section; answers its id, or none for an archived product (no longer
   * sold). Snoozes are not in a menu (Atlas keeps stock per outlet and serving date, and says so
   * with `stock.updated` webhooks), so a synced product is never snoozed.
   */
  addProduct(product: Product, path: string): ReadonlyArray<string> {
    if (product.archived_at !== undefined && product.archived_at !== null) return []
    this.checkCurrency(product, path)
    const modifierGroupIds = unique(
      (product.item_modifier_groups ?? []).flatMap((use, k) =>
        use.archived === true ? [] : [this.modifiers.addGroup(use, `${path}.item_modifier_groups[${k}]`)]
      )
    )
    const id = String(product.id)
    this.products.add(
      id,
      {
        externalId: id,
        posCode: id,
        name: product.name.trim(),
        description: text(product.description),
        imageUrl: text(product.horizontal_image_url) ?? text(product.image_url),
        price: product.price_cents,
        // A menu carries no tax rate: Atlas taxes by the channel's tax_rates and tax mode.
        taxRatePpm: null,
        modifierGroupIds,
        snoozedUntil: null
      },
      path
    )
    return [id]
  }

  productIds(products: ReadonlyArray<Product> | undefined, path: string): ReadonlyArray<string> {
    return unique((products ?? []).flatMap((product, j) => this.addProduct(product, `${path}.products[${j}]`)))
  }

  subSection(sub: SubSection, index: number, path: string): SectionSnapshot {
    return {
      externalId: String(sub.id),
      name: sub.name.trim(),
      position: sub.display_order ?? index,
      productIds: this.productIds(sub.products, path),
      subSections: []
    }
  }

  /** Sections keep Atlas's order (the docs: ascending display_order); sub_sections nest one level. */
  section(section: Section, index: number, path: string): SectionSnapshot {
    return {
      externalId: String(section.id),
      name: section.name.trim(),
      position: section.display_order ?? index,
      productIds: this.productIds(section.products, path),
      subSections: (section.sub_sections ?? []).map((sub, k) => this.subSection(sub, k, `${path}.sub_sections[${k}]`))
    }
  }
}

/**
 * A menu from the Admin API's `GET /menus/{menu_id}` as a catalog snapshot: one menu, its products,
 * modifier groups and options. A menu names no outlet (`outletIds` is empty: the request's
 * `externalOutletId` names it). Only a published menu is synced: a draft is not for sale yet.
 * `start_date`/`end_date` bound the menu by dates, which weekly windows cannot express, so
 * `availabilities` is empty.
 */
export const decodeCatalog = (
  payload: unknown,
  context: CatalogContext
): Effect.Effect<CatalogSnapshot, PayloadRejected> =>
  decodePayload(Menu)(payload).pipe(
    Effect.flatMap((menu) =>
      mapWith((problems): CatalogSnapshot => {
        if (menu.state !== "published") {
          problems.add("state", `the menu is ${JSON.stringify(menu.state)}: only a published menu is synced`)
        }
        const mapping = new MenuMapping(menu, context, problems)
        const snapshot: MenuSnapshot = {
          externalId: String(menu.id),
          name: menu.name.trim(),
          availabilities: [],
          sections: menu.sections.map((section, i) => mapping.section(section, i, `sections[${i}]`))
        }
        return {
          outletIds: [],
          products: mapping.products.values(),
          modifierGroups: mapping.modifiers.modifierGroups,
          modifierOptions: mapping.modifiers.modifierOptions,
          menus: [snapshot],
          callback: null
        }
      })
    )
  )
