import {
  type CatalogSnapshot,
  type MenuSnapshot,
  type ModifierGroupSnapshot,
  type ModifierOptionSnapshot,
  type PayloadRejected,
  type ProductSnapshot,
  type SectionSnapshot,
  type Snooze,
  type FulfilmentType,
  type TaxRatePpm,
  type TaxRatesByFulfilment,
  UNTIL_FURTHER_NOTICE,
  type WeeklyWindow
} from "@pos-integration/sdk"
import { Effect } from "effect"
import { parseDeliverectInstant } from "./dates.ts"
import type { Availability, Menu, Modifier, ModifierGroup, Product } from "./menu-schema.ts"
import { eachFirst, own, Problems, unique } from "./problems.ts"

/** A decoded menu push, either form, with each menu's path in the payload for issues. */
export interface MenuPush {
  readonly menus: ReadonlyArray<{ readonly menu: Menu; readonly path: string }>
  /** The asynchronous form's `stores`; undefined in the synchronous form. */
  readonly stores: ReadonlyArray<string> | undefined
  readonly callback: string | null
}

/** Keeps the first description of each id; a second, different description of it is a problem. */
class Registry<T> {
  private readonly entries = new Map<string, { readonly value: T; readonly path: string }>()
  private readonly kind: string
  private readonly problems: Problems

  constructor(kind: string, problems: Problems) {
    this.kind = kind
    this.problems = problems
  }

  put(id: string, value: T, path: string): void {
    const first = this.entries.get(id)
    if (first === undefined) {
      this.entries.set(id, { value, path })
      return
    }
    // Snapshots are plain data built by one function each, so equal objects serialise equally.
    // Serialised only for repeated ids: a large menu has over a hundred thousand objects.
    if (JSON.stringify(first.value) !== JSON.stringify(value)) {
      this.problems.add(path, `${this.kind} ${id} is also described at ${first.path}, differently: one id, two objects`)
    }
  }

  values(): Array<T> {
    return [...this.entries.values()].map((entry) => entry.value)
  }
}

/** Everything mapping one menu needs: the menu, where it sits, and the registries shared by all menus. */
interface Scope {
  readonly menu: Menu
  readonly path: string
  readonly problems: Problems
  readonly products: Registry<ProductSnapshot>
  readonly groups: Registry<ModifierGroupSnapshot>
  readonly options: Registry<ModifierOptionSnapshot>
  /** Bundles already mapped in this menu (as a group or as a product), so each is mapped once. */
  readonly bundlesDone: Set<string>
}

const text = (value: string | null | undefined): string | null =>
  value === undefined || value === null || value.trim() === "" ? null : value

interface Snoozable {
  readonly snoozed?: boolean | null
  readonly snoozeId?: string | null
  readonly snoozeEnd?: string | null
}

/**
 * `snoozed` says whether the item was snoozed when the menu was published; its `snoozeId` points into
 * the menu's `snoozedProducts` for the end (Deliverect "Product Availability"). A snooze without an
 * end lasts until further notice: Deliverect lifts it with an unsnooze webhook.
 */
const snoozedUntil = (item: Snoozable, scope: Scope, itemPath: string): Snooze => {
  if (item.snoozed === false) return null
  const snoozeId = text(item.snoozeId)
  const entry = snoozeId === null ? undefined : own(scope.menu.snoozedProducts, snoozeId)
  if (item.snoozed !== true && entry === undefined) return null
  const fromEntry = text(entry?.snoozeEnd)
  const end = fromEntry ?? text(item.snoozeEnd)
  if (end === null) return UNTIL_FURTHER_NOTICE
  const until = parseDeliverectInstant(end)
  if (until !== undefined) return until
  const endPath = fromEntry !== null ? `${scope.path}.snoozedProducts.${snoozeId}.snoozeEnd` : `${itemPath}.snoozeEnd`
  scope.problems.add(endPath, `not a Deliverect date-time: ${end}`)
  return null
}

const checkId = (item: { readonly _id?: string }, key: string, path: string, scope: Scope): void => {
  if (item._id !== undefined && item._id !== key)
    scope.problems.add(`${path}._id`, `_id ${item._id} differs from its key ${key}`)
}

/** 100% in Deliverect's thousandths of a percent: the canonical rate goes no higher. */
const maxTax = 100_000

/**
 * Taxes are thousandths of a percent (9000 = 9%), the canonical rate parts per million (90000), so
 * the rate is exactly ten times Deliverect's (8875 = 8.875% = 88750 ppm). The delivery rate, else the
 * takeaway one, as partners order for delivery and pickup. The Schema admits non-negative integers
 * only; a rate above 100% is no tax rate (a price or a percentage sent in the wrong unit) and is refused.
 */
const taxRatePpm = (product: Product, scope: Scope, path: string): TaxRatePpm | null => {
  const field = product.deliveryTax !== undefined && product.deliveryTax !== null ? "deliveryTax" : "takeawayTax"
  const tax = product[field]
  if (tax === undefined || tax === null) return null
  if (tax > maxTax) {
    scope.problems.add(`${path}.${field}`, `a tax rate above 100% (thousandths of a percent: 9000 is 9%): ${tax}`)
    return null
  }
  return tax * 10
}

/**
 * The rates by fulfilment type, as Deliverect taxes them apart: delivery; takeaway (pickup and
 * curbside: the customer takes it away); eat-in. Only those it gives.
 */
const taxRatesPpm = (product: Product, scope: Scope, path: string): TaxRatesByFulfilment => {
  const rates: Partial<Record<FulfilmentType, TaxRatePpm>> = {}
  const fields = [
    ["deliveryTax", ["DELIVERY"]],
    ["takeawayTax", ["PICKUP", "CURBSIDE"]],
    ["eatInTax", ["DINE_IN"]]
  ] as const
  // The single rate (taxRatePpm) already reports the field it reads; each problem is reported once.
  const single = product.deliveryTax !== undefined && product.deliveryTax !== null ? "deliveryTax" : "takeawayTax"
  for (const [field, types] of fields) {
    const tax = product[field]
    if (tax === undefined || tax === null) continue
    if (tax > maxTax) {
      if (field !== single) {
        scope.problems.add(`${path}.${field}`, `a tax rate above 100% (thousandths of a percent: 9000 is 9%): ${tax}`)
      }
      continue
    }
    for (const type of types) rates[type] = tax * 10
  }
  return rates
}

const addModifier = (id: string, modifier: Modifier, scope: Scope, path: string): void => {
  checkId(modifier, id, path, scope)
  if ((modifier.subProducts ?? []).length > 0) {
    scope.problems.add(
      `${path}.subProducts`,
      "nested modifiers (a modifier with modifier groups of its own) are not supported: one level of modifier groups only"
    )
  }
  scope.options.put(
    id,
    {
      externalId: id,
      posCode: modifier.plu,
      name: modifier.name,
      price: modifier.price,
      snoozedUntil: snoozedUntil(modifier, scope, path)
    },
    path
  )
}

/**
 * A group offers modifiers or, as Deliverect allows, products. A bundle (a meal deal) offers products
 * that Deliverect prices at zero inside it, so those options cost nothing extra.
 */
const resolveOption = (optionId: string, scope: Scope, listPath: string, index: number, inBundle: boolean): void => {
  if (own(scope.menu.modifiers, optionId) !== undefined) return
  const refPath = `${listPath}[${index}]`
  const product = own(scope.menu.products, optionId)
  if (product === undefined) {
    scope.problems.add(
      refPath,
      `option ${optionId} is missing: it is neither in this menu's modifiers nor in its products`
    )
    return
  }
  if ((product.subProducts ?? []).length > 0) {
    scope.problems.add(
      refPath,
      `product ${optionId} is offered as an option but has modifier groups of its own (nested modifiers): not supported`
    )
  }
  const productPath = `${scope.path}.products.${optionId}`
  scope.options.put(
    optionId,
    {
      externalId: optionId,
      posCode: product.plu,
      name: product.name,
      price: inBundle ? 0 : product.price,
      snoozedUntil: snoozedUntil(product, scope, productPath)
    },
    refPath
  )
}

const addGroup = (id: string, group: ModifierGroup | Product, scope: Scope, path: string, isBundle: boolean): void => {
  checkId(group, id, path, scope)
  const listed = group.subProducts ?? []
  const optionIds = unique(listed)
  const listPath = `${path}.subProducts`
  eachFirst(listed, optionIds, (optionId, index) => resolveOption(optionId, scope, listPath, index, isBundle))
  // multiMax is how often one option may be chosen; 0 or absent means once.
  const perOption = Math.max(1, group.multiMax ?? 1)
  // A max of 0 sets no upper limit: at most every option, each as often as allowed.
  const max = (group.max ?? 0) === 0 ? optionIds.length * perOption : (group.max ?? 0)
  const min = group.min ?? 0
  if (min > max) scope.problems.add(`${path}.min`, `min ${min} exceeds max ${max}`)
  scope.groups.put(
    id,
    {
      externalId: id,
      posCode: text(group.plu),
      name: group.name,
      min,
      max,
      maxPerOption: max >= 1 ? Math.min(perOption, max) : perOption,
      optionIds
    },
    path
  )
}

/** A product's `subProducts` are its modifier groups: in `modifierGroups`, or a bundle in `bundles`. */
const resolveGroup = (groupId: string, scope: Scope, listPath: string, index: number): void => {
  if (own(scope.menu.modifierGroups, groupId) !== undefined) return
  const refPath = `${listPath}[${index}]`
  const bundle = own(scope.menu.bundles, groupId)
  if (bundle === undefined) {
    scope.problems.add(
      refPath,
      `modifier group ${groupId} is missing: it is neither in this menu's modifierGroups nor in its bundles`
    )
    return
  }
  if (scope.bundlesDone.has(`group:${groupId}`)) return
  scope.bundlesDone.add(`group:${groupId}`)
  addGroup(groupId, bundle, scope, `${scope.path}.bundles.${groupId}`, true)
}

const addProduct = (id: string, product: Product, scope: Scope, path: string): void => {
  checkId(product, id, path, scope)
  const listed = product.subProducts ?? []
  const groupIds = unique(listed)
  const listPath = `${path}.subProducts`
  eachFirst(listed, groupIds, (groupId, index) => resolveGroup(groupId, scope, listPath, index))
  scope.products.put(
    id,
    {
      externalId: id,
      posCode: product.plu,
      name: product.name,
      description: text(product.description),
      imageUrl: text(product.imageUrl),
      price: product.price,
      taxRatePpm: taxRatePpm(product, scope, path),
      taxRatesPpm: taxRatesPpm(product, scope, path),
      modifierGroupIds: groupIds,
      snoozedUntil: snoozedUntil(product, scope, path)
    },
    path
  )
}

/** A category lists products, or bundles sold like products. */
const resolveProduct = (productId: string, scope: Scope, listPath: string, index: number): void => {
  if (own(scope.menu.products, productId) !== undefined) return
  const refPath = `${listPath}[${index}]`
  const bundle = own(scope.menu.bundles, productId)
  if (bundle === undefined) {
    scope.problems.add(
      refPath,
      `product ${productId} is missing: it is neither in this menu's products nor in its bundles`
    )
    return
  }
  if (scope.bundlesDone.has(`product:${productId}`)) return
  scope.bundlesDone.add(`product:${productId}`)
  addProduct(productId, bundle, scope, `${scope.path}.bundles.${productId}`)
}

interface CategoryLike {
  readonly _id: string
  readonly name: string
  readonly products?: ReadonlyArray<string>
  readonly subProducts?: ReadonlyArray<string>
  readonly subCategories?: ReadonlyArray<unknown>
}

/** The display order is `subProducts` (Deliverect "Sorting of Products"); older payloads use `products`. */
const productIdsOf = (category: CategoryLike, scope: Scope, path: string): Array<string> => {
  const fromSub = (category.subProducts ?? []).length > 0
  const listName = fromSub ? "subProducts" : "products"
  const listed = (fromSub ? category.subProducts : category.products) ?? []
  const listPath = `${path}.${listName}`
  for (let index = 0; index < listed.length; index++) resolveProduct(listed[index]!, scope, listPath, index)
  return unique(listed)
}

const section = (
  category: CategoryLike,
  scope: Scope,
  path: string,
  position: number,
  subSections: ReadonlyArray<SectionSnapshot>
): SectionSnapshot => ({
  externalId: category._id,
  name: category.name,
  position,
  productIds: productIdsOf(category, scope, path),
  subSections
})

const subSection = (category: CategoryLike, scope: Scope, path: string, position: number): SectionSnapshot => {
  if ((category.subCategories ?? []).length > 0) {
    scope.problems.add(`${path}.subCategories`, "sub-categories nest one level only")
  }
  return section(category, scope, path, position, [])
}

/** Categories become sections; sub-categories (inline, or another category named by id) sub-sections. */
const sectionsOf = (scope: Scope): Array<SectionSnapshot> => {
  const categories = scope.menu.categories ?? []
  const categoryPath = (index: number) => `${scope.path}.categories[${index}]`
  const indexById = new Map<string, number>()
  for (const [index, category] of categories.entries()) {
    if (indexById.has(category._id)) {
      scope.problems.add(`${categoryPath(index)}._id`, `category ${category._id} is listed twice in this menu`)
    } else indexById.set(category._id, index)
  }
  // A category named by id as another's sub-category sits under that one, not at the top.
  const parentOf = new Map<string, string>()
  for (const [index, category] of categories.entries()) {
    for (const [subIndex, sub] of (category.subCategories ?? []).entries()) {
      if (typeof sub !== "string") continue
      const refPath = `${categoryPath(index)}.subCategories[${subIndex}]`
      const parent = parentOf.get(sub)
      const child = categories[indexById.get(sub) ?? -1]
      if (child === undefined) scope.problems.add(refPath, `category ${sub} is not in this menu`)
      else if (parent !== undefined && parent !== category._id) {
        scope.problems.add(refPath, `category ${sub} is already a sub-category of ${parent}`)
      } else if ((child.subCategories ?? []).length > 0) {
        // Also catches a category that is its own sub-category, and cycles.
        scope.problems.add(refPath, `category ${sub} has sub-categories of its own: sub-categories nest one level only`)
      }
      parentOf.set(sub, category._id)
    }
  }
  const sections: Array<SectionSnapshot> = []
  // Section ids stay unique within a menu: an inline sub-category may not reuse another category's id.
  const sectionPaths = new Map<string, string>()
  const claim = (id: string, path: string): boolean => {
    const first = sectionPaths.get(id)
    if (first === undefined) {
      sectionPaths.set(id, path)
      return true
    }
    if (first !== path) scope.problems.add(`${path}._id`, `category ${id} is also at ${first}: one id, two sections`)
    return false
  }
  for (const [index, category] of categories.entries()) {
    if (parentOf.has(category._id) || indexById.get(category._id) !== index) continue
    const path = categoryPath(index)
    claim(category._id, path)
    const subSections: Array<SectionSnapshot> = []
    for (const [subIndex, sub] of (category.subCategories ?? []).entries()) {
      const childIndex = typeof sub === "string" ? indexById.get(sub) : undefined
      const child = typeof sub === "string" ? categories[childIndex ?? -1] : sub
      const childPath = childIndex !== undefined ? categoryPath(childIndex) : `${path}.subCategories[${subIndex}]`
      // A sub-category named twice by its parent stands there once.
      if (child !== undefined && claim(child._id, childPath)) {
        subSections.push(subSection(child, scope, childPath, subSections.length))
      }
    }
    sections.push(section(category, scope, path, sections.length, subSections))
  }
  return sections
}

const windowsOf = (availabilities: ReadonlyArray<Availability>, scope: Scope): Array<WeeklyWindow> =>
  availabilities.flatMap((availability, index) => {
    if (availability.startTime === "24:00") {
      scope.problems.add(
        `${scope.path}.availabilities[${index}].startTime`,
        "24:00 is an end of day, not an opening time"
      )
      return []
    }
    // An end of 24:00 is midnight; the canonical window runs past midnight when it closes before it opens.
    const closes = availability.endTime === "24:00" ? "00:00" : availability.endTime
    return [{ dayOfWeek: availability.dayOfWeek, opens: availability.startTime, closes }]
  })

/** Maps a decoded menu push to the canonical snapshot, or names every problem found on the way. */
export const toCatalogSnapshot = (push: MenuPush): Effect.Effect<CatalogSnapshot, PayloadRejected> =>
  Effect.suspend(() => {
    const problems = new Problems()
    const products = new Registry<ProductSnapshot>("product", problems)
    const groups = new Registry<ModifierGroupSnapshot>("modifier group", problems)
    const options = new Registry<ModifierOptionSnapshot>("modifier", problems)
    const menus = new Registry<MenuSnapshot>("menu", problems)
    for (const { menu, path } of push.menus) {
      const scope: Scope = { menu, path, problems, products, groups, options, bundlesDone: new Set() }
      const { modifiers = {}, modifierGroups = {}, products: menuProducts = {} } = menu
      for (const id of Object.keys(modifiers)) addModifier(id, modifiers[id]!, scope, `${path}.modifiers.${id}`)
      for (const id of Object.keys(modifierGroups)) {
        addGroup(id, modifierGroups[id]!, scope, `${path}.modifierGroups.${id}`, false)
      }
      for (const id of Object.keys(menuProducts)) addProduct(id, menuProducts[id]!, scope, `${path}.products.${id}`)
      const sections = sectionsOf(scope)
      menus.put(
        menu.menuId,
        {
          externalId: menu.menuId,
          name: menu.menu,
          availabilities: windowsOf(menu.availabilities ?? [], scope),
          sections
        },
        path
      )
    }
    if (!problems.isEmpty) return Effect.fail(problems.rejection())
    return Effect.succeed({
      outletIds: outletIdsOf(push),
      products: products.values(),
      modifierGroups: groups.values(),
      modifierOptions: options.values(),
      menus: menus.values(),
      callback: push.callback === null ? null : { url: push.callback }
    })
  })

/** The async form names its stores; otherwise each menu names its channel link. */
const outletIdsOf = (push: MenuPush): Array<string> =>
  push.stores !== undefined && push.stores.length > 0
    ? unique(push.stores)
    : unique(push.menus.flatMap(({ menu }) => (menu.channelLinkId === undefined ? [] : [menu.channelLinkId])))
