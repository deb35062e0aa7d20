import { Schema } from "effect"
import { AtlasId, Cents, Count, Name, OptionalText, UnixSeconds } from "./vendor-values.ts"

/**
 * The Admin API's `GET /menus/{menu_id}` answer ("Menu Details", docs.atlas.kitchen), in Atlas's own
 * field names. Keys the docs show but the catalog does not use are left out (a Struct ignores them).
 */

const optionalInt = Schema.optionalKey(Schema.NullOr(Schema.Int))
const optionalCount = Schema.optionalKey(Schema.NullOr(Count))

/** The item a modifier adds: the docs' `Modifier.item` ({id, identifier, name, price_cents, type, ...}). */
export const ModifierItem = Schema.Struct({
  id: AtlasId,
  identifier: OptionalText,
  name: Name,
  description: OptionalText,
  price_cents: Schema.optionalKey(Schema.NullOr(Cents)),
  type: OptionalText
})
export type ModifierItem = typeof ModifierItem.Type

/**
 * One choice of a modifier group. The docs' schema embeds the `item`; shorter forms seen in
 * examples carry only the id, which then names an item of the same menu.
 */
export const Modifier = Schema.Struct({
  id: AtlasId,
  display_order: optionalInt,
  default_quantity: optionalCount,
  /** null: the item's own price applies. */
  price_cents_override: Schema.optionalKey(Schema.NullOr(Cents)),
  item: Schema.optionalKey(Schema.NullOr(ModifierItem))
})
export type Modifier = typeof Modifier.Type

export const ModifierGroup = Schema.Struct({
  id: AtlasId,
  identifier: OptionalText,
  name: Name,
  selection_required_min: Count,
  selection_required_max: Count,
  max_quantity_per_modifier: Schema.optionalKey(
    Schema.NullOr(
      Schema.Int.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(1, { message: "must be at least 1 when given" })))
    )
  ),
  modifiers: Schema.Array(Modifier)
})
export type ModifierGroup = typeof ModifierGroup.Type

/** A modifier group as attached to one product, with that product's min/max overrides. */
export const ItemModifierGroup = Schema.Struct({
  id: AtlasId,
  display_order: optionalInt,
  is_fixed: Schema.optionalKey(Schema.NullOr(Schema.Boolean)),
  archived: Schema.optionalKey(Schema.NullOr(Schema.Boolean)),
  selection_required_min_override: optionalCount,
  selection_required_max_override: optionalCount,
  modifier_group: ModifierGroup
})
export type ItemModifierGroup = typeof ItemModifierGroup.Type

export const Product = Schema.Struct({
  id: AtlasId,
  name: Name,
  sku: OptionalText,
  description: OptionalText,
  price_cents: Cents,
  currency: OptionalText,
  display_order: optionalInt,
  is_configurable: Schema.optionalKey(Schema.NullOr(Schema.Boolean)),
  horizontal_image_url: OptionalText,
  image_url: OptionalText,
  archived_at: Schema.optionalKey(Schema.NullOr(UnixSeconds)),
  item_modifier_groups: Schema.optionalKey(Schema.Array(ItemModifierGroup))
})
export type Product = typeof Product.Type

export const SubSection = Schema.Struct({
  id: AtlasId,
  identifier: OptionalText,
  name: Name,
  display_order: optionalInt,
  products: Schema.optionalKey(Schema.Array(Product))
})
export type SubSection = typeof SubSection.Type

/** A section is a sub-section that may hold sub-sections of its own (one level). */
export const Section = Schema.Struct({
  ...SubSection.fields,
  sub_sections: Schema.optionalKey(Schema.Array(SubSection))
})
export type Section = typeof Section.Type

export const Menu = Schema.Struct({
  id: AtlasId,
  identifier: OptionalText,
  brand_id: optionalInt,
  name: Name,
  /** "published" or "draft" per the docs; checked by the mapping so that the message can say why. */
  state: Schema.String,
  start_date: OptionalText,
  end_date: OptionalText,
  sections: Schema.Array(Section)
})
export type Menu = typeof Menu.Type

/** A calendar date as Atlas writes menu bounds: `YYYY-MM-DD`, in Singapore time (docs: "Date and Time"). */
export const CalendarDate = Schema.String.pipe(
  Schema.check(
    Schema.isPattern(/^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])$/, { message: "not a YYYY-MM-DD date" })
  )
)

/**
 * One entry of the Admin API's `GET /menus` ("Menu List": `{object: "menu", items: [...]}`): the
 * menu's header without its sections. Only what chooses the menus to fetch is read.
 */
export const MenuListItem = Schema.Struct({
  id: AtlasId,
  name: OptionalText,
  state: Schema.String,
  start_date: Schema.optionalKey(Schema.NullOr(CalendarDate)),
  end_date: Schema.optionalKey(Schema.NullOr(CalendarDate))
})
export type MenuListItem = typeof MenuListItem.Type

export const MenuList = Schema.Struct({
  object: Schema.optionalKey(Schema.NullOr(Schema.String)),
  items: Schema.Array(MenuListItem)
})
export type MenuList = typeof MenuList.Type
