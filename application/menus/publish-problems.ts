/**
 * What stops a draft from being published (SPEC section 9), every problem with its path in the draft
 * (`draft.sections[0].items[2].productId: ...`), so an editor fixes them all in one go rather than
 * one per attempt. A pure function of the draft and the facts it is checked against, which the
 * publish use case reads from storage first.
 */
import { hoursProblems } from "../../domain/menu-hours.ts"
import type { MenuContent } from "../../domain/menu.ts"
import { showValue } from "../pos-sdk/issue-text.ts"

export interface ProductFacts {
  /** The product exists in the tenant's catalog. */
  readonly exists: boolean
  /** Some outlet's POS sells it (an active product-outlet link). */
  readonly active: boolean
}

export interface StoreFacts {
  readonly provider: string
  /**
   * The outlet's POS prices orders itself (its plugin has no `linePrices` capability): a menu price
   * there must be the POS's own.
   */
  readonly pricesOrdersItself: boolean
  /** The POS price of each product the outlet sells (active links), in minor units. */
  readonly prices: ReadonlyMap<string, number>
}

export interface PublishFacts {
  readonly products: ReadonlyMap<string, ProductFacts>
  /** The assigned outlets that are the tenant's; one missing from the map is not. */
  readonly stores: ReadonlyMap<string, StoreFacts>
}

export interface PublishProblem {
  readonly path: string
  readonly message: string
}

export const problemText = (problems: ReadonlyArray<PublishProblem>): string =>
  problems.map((p) => `${p.path}: ${p.message}`).join("; ")

/** In the order of the draft: its sections' items, its hours, its outlets. */
export const publishProblems = (content: MenuContent, facts: PublishFacts): ReadonlyArray<PublishProblem> => {
  const problems: Array<PublishProblem> = []
  const add = (path: string, message: string) => problems.push({ path, message })

  const stores = content.storeIds.flatMap((id) => {
    const store = facts.stores.get(id)
    return store === undefined ? [] : [{ id, ...store }]
  })

  content.sections.forEach((section, s) => {
    section.items.forEach((item, i) => {
      const at = `draft.sections[${s}].items[${i}]`
      const product = facts.products.get(item.productId)
      if (product === undefined || !product.exists) {
        add(`${at}.productId`, `is not a product of this tenant, got ${showValue(item.productId)}`)
        return
      }
      if (!product.active) {
        add(`${at}.productId`, `is inactive: no outlet's POS sells it any more, got ${showValue(item.productId)}`)
      }
      const { basePrice, specialPrice } = item
      if (basePrice !== null && specialPrice !== null && specialPrice > basePrice) {
        add(`${at}.specialPrice`, `must be at most basePrice (${basePrice}), got ${specialPrice}`)
      }
      for (const store of stores) {
        const posPrice = store.prices.get(item.productId)
        if (posPrice === undefined) continue
        // Without a base price the POS's price is the base at each outlet: a special must not exceed it.
        if (basePrice === null && specialPrice !== null && specialPrice > posPrice) {
          add(
            `${at}.specialPrice`,
            `must be at most the base price, which is the POS price at outlet '${store.id}' (${posPrice}), got ${specialPrice}`
          )
        }
        if (!store.pricesOrdersItself) continue
        const why = `outlet '${store.id}' is priced by its POS (${store.provider} prices orders itself), at ${posPrice}`
        if (basePrice !== null && basePrice !== posPrice) add(`${at}.basePrice`, `${why}, got ${basePrice}`)
        if (specialPrice !== null && specialPrice !== posPrice) add(`${at}.specialPrice`, `${why}, got ${specialPrice}`)
      }
    })
  })

  if (content.hours !== null) {
    for (const problem of hoursProblems(content.hours)) {
      // The paths inside a message name other ranges of the same hours: they name them in the draft too.
      add(`draft.${problem.path}`, problem.message.replace(/(^|[^.\w])hours\.(?=weekly|exceptions)/g, "$1draft.hours."))
    }
  }
  if (content.storeIds.length === 0) add("draft.outletIds", "names no outlet: a menu is published to at least one")
  content.storeIds.forEach((id, index) => {
    if (!facts.stores.has(id)) add(`draft.outletIds[${index}]`, `is not an outlet of this tenant, got ${showValue(id)}`)
  })
  return problems
}
