import { Schema } from "effect"

/**
 * Deliverect's menu push (Channel API "Menu Update"), in Deliverect's own field names. Only the
 * fields the mapping reads are declared; everything else in the payload (translations, tags,
 * nutrition, ...) is ignored. Sources: developers.deliverect.com "Menu Update", "Glossary - Menus",
 * "Product Availability", "Menu Availabilities", "Menu Update Callback (Async)".
 */

const NonNegativeInt = Schema.Int.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(0)))
const Id = Schema.String.pipe(Schema.check(Schema.isMinLength(1)))
const optionalText = Schema.optionalKey(Schema.NullOr(Schema.String))
const IdList = Schema.Array(Id)

/** `HH:MM`, local to the location; `24:00` is accepted as an end of day. */
const ClockTime = Schema.String.pipe(Schema.check(Schema.isPattern(/^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/)))

/** One weekly opening window. dayOfWeek starts at 1 for Monday (Deliverect "Menu Availabilities"). */
export const Availability = Schema.Struct({
  dayOfWeek: Schema.Literals([1, 2, 3, 4, 5, 6, 7]),
  startTime: ClockTime,
  endTime: ClockTime
})
export type Availability = typeof Availability.Type

/** Taxes are thousandths of a percent (9000 = 9%); Deliverect sends null or leaves them out when unset. */
const Tax = Schema.optionalKey(Schema.NullOr(NonNegativeInt))

/** Fields every menu item (product, modifier, modifier group, bundle) shares. */
const itemFields = {
  _id: Schema.optionalKey(Id),
  name: Schema.String,
  productType: Schema.optionalKey(Schema.Int),
  description: optionalText,
  imageUrl: optionalText,
  subProducts: Schema.optionalKey(IdList),
  snoozed: Schema.optionalKey(Schema.NullOr(Schema.Boolean)),
  snoozeId: optionalText,
  /** Some payloads carry the end of a snooze on the item itself rather than in snoozedProducts. */
  snoozeEnd: optionalText
}

/** productType 1 (in `products`) and 4 (in `bundles`): what is sold, identified on orders by its PLU. */
export const Product = Schema.Struct({
  ...itemFields,
  plu: Id,
  price: NonNegativeInt,
  deliveryTax: Tax,
  takeawayTax: Tax,
  eatInTax: Tax,
  /** A bundle also groups products, so it carries the group limits. */
  min: Schema.optionalKey(NonNegativeInt),
  max: Schema.optionalKey(NonNegativeInt),
  multiMax: Schema.optionalKey(Schema.NullOr(NonNegativeInt))
})
export type Product = typeof Product.Type

/** productType 2: an option chosen with a product (price added to the product's). */
export const Modifier = Schema.Struct({
  ...itemFields,
  plu: Id,
  price: NonNegativeInt
})
export type Modifier = typeof Modifier.Type

/** productType 3: a choice of modifiers (or products) with min/max and multiMax per option. */
export const ModifierGroup = Schema.Struct({
  ...itemFields,
  plu: optionalText,
  min: Schema.optionalKey(NonNegativeInt),
  max: Schema.optionalKey(NonNegativeInt),
  multiMax: Schema.optionalKey(Schema.NullOr(NonNegativeInt))
})
export type ModifierGroup = typeof ModifierGroup.Type

/** A snooze referenced by an item's snoozeId: `snoozeEnd` is `2024-03-24 22:21:54.000000Z`. */
export const SnoozedProduct = Schema.Struct({
  plu: optionalText,
  snoozeStart: optionalText,
  snoozeEnd: optionalText
})
export type SnoozedProduct = typeof SnoozedProduct.Type

/**
 * A sub-category is either given inline (a category object) or by the id of another category of
 * the same menu (categories carry a `level`): both spellings are accepted.
 */
export const SubCategory = Schema.Struct({
  _id: Id,
  name: Schema.String,
  products: Schema.optionalKey(IdList),
  subProducts: Schema.optionalKey(IdList),
  subCategories: Schema.optionalKey(Schema.Array(Schema.Unknown))
})
export type SubCategory = typeof SubCategory.Type

export const Category = Schema.Struct({
  _id: Id,
  name: Schema.String,
  /** The display order of products in a category is `subProducts`; older payloads list them in `products`. */
  products: Schema.optionalKey(IdList),
  subProducts: Schema.optionalKey(IdList),
  subCategories: Schema.optionalKey(Schema.Array(Schema.Union([Id, SubCategory])))
})
export type Category = typeof Category.Type

/** A menu's fields besides its maps of items. */
const menuFields = {
  menu: Schema.String,
  menuId: Id,
  menuType: Schema.optionalKey(Schema.Int),
  /** Required in the synchronous form; the asynchronous form names its stores beside the menus. */
  channelLinkId: Schema.optionalKey(Id),
  nestedModifiers: Schema.optionalKey(Schema.Boolean),
  availabilities: Schema.optionalKey(Schema.Array(Availability)),
  categories: Schema.optionalKey(Schema.Array(Category))
}

export const Menu = Schema.Struct({
  ...menuFields,
  products: Schema.optionalKey(Schema.Record(Schema.String, Product)),
  modifierGroups: Schema.optionalKey(Schema.Record(Schema.String, ModifierGroup)),
  modifiers: Schema.optionalKey(Schema.Record(Schema.String, Modifier)),
  bundles: Schema.optionalKey(Schema.Record(Schema.String, Product)),
  snoozedProducts: Schema.optionalKey(Schema.Record(Schema.String, SnoozedProduct))
})
export type Menu = typeof Menu.Type

/**
 * A menu with its maps of items left undecoded (see menu-maps.ts, which checks them): the maps are
 * nearly all of a large push, and Schema.Record is the slow part of decoding one.
 */
export const MenuShell = Schema.Struct({
  ...menuFields,
  products: Schema.optionalKey(Schema.Unknown),
  modifierGroups: Schema.optionalKey(Schema.Unknown),
  modifiers: Schema.optionalKey(Schema.Unknown),
  bundles: Schema.optionalKey(Schema.Unknown),
  snoozedProducts: Schema.optionalKey(Schema.Unknown)
})

/** The synchronous push: a plain JSON array of menus, each naming its channelLinkId. */
export const SyncMenuPush = Schema.Array(Menu)
export const SyncMenuPushShell = Schema.Array(MenuShell)

const asyncPush = <M extends Schema.Top>(menu: M) =>
  Schema.Struct({
    body: Schema.Struct({
      menus: Schema.Array(menu),
      stores: Schema.optionalKey(IdList),
      callback: Schema.optionalKey(
        Schema.NullOr(Schema.String.pipe(Schema.check(Schema.isPattern(/^https?:\/\/\S+$/))))
      )
    })
  })

/** The asynchronous push: `{"body": {"menus", "stores", "callback"}}`, answered by POSTing the callback. */
export const AsyncMenuPush = asyncPush(Menu)
export const AsyncMenuPushShell = asyncPush(MenuShell)
