/**
 * Publishing a draft (SPEC section 9): everything is checked first and every problem answered at once
 * (400); then the draft's content becomes the menu's next version in one transaction of the menu's own
 * tables (`Menus.publish`). Nothing the POS synced is written: the product-outlet links keep the POS's
 * prices, taxes and snoozes. A draft published again without a change creates no version.
 */
import { Clock, Effect } from "effect"
import { InvalidInput, NotFound, PreconditionRequired, StaleVersion } from "../../domain/errors.ts"
import { newMenuV2Id } from "../../domain/ids.ts"
import type { MenuContent } from "../../domain/menu.ts"
import { Catalog, type ItemStoreRow, Outlets } from "../ports/catalog.ts"
import { Menus } from "../ports/menus.ts"
import { findDraft } from "./edit-draft.ts"
import {
  type ProductFacts,
  type PublishFacts,
  problemText,
  publishProblems,
  type StoreFacts
} from "./publish-problems.ts"

/** What publishing needs to know of the POS systems: whether an outlet's POS prices orders itself. */
export interface PosPricing {
  /** True when the provider's plugin has no `linePrices` capability (or no plugin of that id is loaded). */
  readonly pricesOrdersItself: (provider: string) => boolean
}

/** Reads what the draft's checks need: its products' links (one read) and its outlets. */
export const publishFacts = Effect.fnUntraced(function* (content: MenuContent, pricing: PosPricing) {
  const catalog = yield* Catalog
  const outlets = yield* Outlets
  const productIds = [...new Set(content.sections.flatMap((s) => s.items.map((i) => i.productId)))]
  const links = productIds.length === 0 ? [] : yield* catalog.itemLinks(productIds)
  const linksByProduct = new Map<string, Array<ItemStoreRow>>()
  const activePricesByStore = new Map<string, Map<string, number>>()
  for (const link of links) {
    const list = linksByProduct.get(link.itemId)
    if (list === undefined) linksByProduct.set(link.itemId, [link])
    else list.push(link)
    if (!link.active) continue
    const prices = activePricesByStore.get(link.storeId)
    if (prices === undefined) activePricesByStore.set(link.storeId, new Map([[link.itemId, link.price]]))
    else prices.set(link.itemId, link.price)
  }
  // Products come from syncs, which link them to an outlet: only those without any link need a lookup.
  const unlinked = productIds.filter((id) => !linksByProduct.has(id))
  const found = new Set(unlinked.length === 0 ? [] : (yield* catalog.getItems(unlinked)).map((item) => item.id))
  const products = new Map<string, ProductFacts>()
  for (const id of productIds) {
    const own = linksByProduct.get(id) ?? []
    products.set(id, { exists: own.length > 0 || found.has(id), active: own.some((l) => l.active) })
  }
  const stores = new Map<string, StoreFacts>()
  for (const id of new Set(content.storeIds)) {
    const store = yield* outlets.get(id)
    if (store === undefined) continue
    const prices = activePricesByStore.get(id) ?? new Map<string, number>()
    stores.set(id, { provider: store.provider, pricesOrdersItself: pricing.pricesOrdersItself(store.provider), prices })
  }
  return { products, stores } satisfies PublishFacts
})

export const publishDraft = Effect.fnUntraced(function* (
  draftId: string,
  expected: number | undefined,
  pricing: PosPricing
) {
  if (expected === undefined) return yield* new PreconditionRequired({ resource: "draft", id: draftId })
  const draft = yield* findDraft(draftId)
  if (draft.version !== expected) {
    return yield* new StaleVersion({ resource: "draft", id: draftId, current: draft.version, given: expected })
  }
  const problems = publishProblems(draft.content, yield* publishFacts(draft.content, pricing))
  if (problems.length > 0) return yield* new InvalidInput({ details: problemText(problems) })
  const at = new Date(yield* Clock.currentTimeMillis)
  // The draft's version travels with it: a write that lands between the checks and here makes this stale.
  const published = yield* (yield* Menus).publish(draftId, expected, draft.menuId ?? newMenuV2Id(), at)
  if (published === undefined) return yield* new NotFound({ resource: "draft", id: draftId })
  if ("_tag" in published) {
    return yield* new StaleVersion({ resource: "draft", id: draftId, current: published.current, given: expected })
  }
  return published
})
