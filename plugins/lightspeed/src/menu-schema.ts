import { Schema } from "effect"
import { VendorId } from "./vendor-id.ts"

/**
 * The answer of `GET /o/op/1/menu/load/{menuId}?businessLocationId=` (Lightspeed Restaurant K-Series,
 * api-docs.lsk.lightspeed.app, "Get Single Menu"), in the vendor's own field names and spellings
 * (`productionIntructionGroupId` is missing an "s" in the real API). Only the fields the mapping reads
 * are declared; unknown keys (color, customItemNameEnabled, pricingStrategy, taxes, ...) are ignored.
 */

/** Optional text that the vendor's Java backend may also send as an explicit null. */
const OptionalText = Schema.optionalKey(Schema.NullOr(Schema.String))

/**
 * A decimal amount. The documentation types it as a JSON number (10.0); older answers (and the
 * documented combo example) carry strings ("5.50"). Both are converted exactly, never through floats.
 */
export const Decimal = Schema.Union([Schema.Finite, Schema.String]).annotate({ expected: "a decimal amount" })

/** One production instruction: a free kitchen instruction such as "Rare", ordered by its id. */
export const ProductionInstruction = Schema.Struct({
  instruction: Schema.String,
  ikentooModifierId: VendorId
})
export type ProductionInstruction = typeof ProductionInstruction.Type

/** A production instruction group ("Meat cooking"): the K-Series modifier group. */
export const ProductionInstructionGroup = Schema.Struct({
  productionIntructionGroupId: VendorId,
  productionInstructionGroupName: Schema.String,
  multiSelectionPermitted: Schema.optionalKey(Schema.Boolean),
  productionInstructionList: Schema.Array(ProductionInstruction)
})
export type ProductionInstructionGroup = typeof ProductionInstructionGroup.Type

/** Localised texts of `richContent=true` answers: `{"locale","friendlyDisplayName","description"}`. */
export const RichText = Schema.Struct({
  locale: OptionalText,
  friendlyDisplayName: OptionalText,
  description: OptionalText
})

export const ItemRichData = Schema.Struct({
  squareImageUrl: OptionalText,
  rawImageUrl: OptionalText,
  previewImageUrl: OptionalText,
  texts: Schema.optionalKey(Schema.NullOr(Schema.Array(RichText)))
})

/** `@type: "menuItem"`: a product, sold by its SKU. */
export const MenuItemEntry = Schema.Struct({
  "@type": Schema.Literal("menuItem"),
  productName: Schema.String,
  productPrice: Decimal,
  sku: Schema.String.check(Schema.isMinLength(1)),
  /** A sub-item "cannot be sold alone" (an add-on rung up after its main item): not a product of its own. */
  asSubItem: Schema.optionalKey(Schema.Boolean),
  taxIncludedInPrice: Schema.optionalKey(Schema.Boolean),
  /** The sum of the default tax rates, in percent (15.0 = 15%). */
  defaultTaxPercentage: Schema.optionalKey(Schema.NullOr(Decimal)),
  itemRichData: Schema.optionalKey(Schema.NullOr(ItemRichData)),
  productionInstructionList: Schema.optionalKey(Schema.NullOr(Schema.Array(ProductionInstructionGroup)))
})
export type MenuItemEntry = typeof MenuItemEntry.Type

/**
 * `@type: "menuDeal"` (a combo whose choices are ordered as sub-items) and `@type:
 * "menuProductModifier"` (menu V2's product modifiers, also ordered as sub-items). Recognised so that
 * a menu holding them is still accepted, but not imported: the canonical catalog has no sub-item
 * concept, and offering them as modifiers would make orders send them the wrong way.
 */
export const MenuDealEntry = Schema.Struct({ "@type": Schema.Literal("menuDeal") })
export const MenuProductModifierEntry = Schema.Struct({ "@type": Schema.Literal("menuProductModifier") })

/** `@type: "group"`: a menu screen (top level) or sub-screen (nested), holding entries in display order. */
export interface MenuGroupEntry {
  readonly "@type": "group"
  readonly id?: string | number
  readonly name: string
  readonly menuEntry?: ReadonlyArray<MenuEntry>
}

export type MenuEntry =
  | MenuItemEntry
  | MenuGroupEntry
  | typeof MenuDealEntry.Type
  | typeof MenuProductModifierEntry.Type

/** Documented as a string ("141948669133028"); older answers omit it, and a number is taken as well. */
const GroupId = Schema.Union([Schema.String.check(Schema.isMinLength(1)), VendorId])

export const MenuGroupEntry: Schema.Codec<MenuGroupEntry> = Schema.Struct({
  "@type": Schema.Literal("group"),
  id: Schema.optionalKey(GroupId),
  name: Schema.String,
  menuEntry: Schema.optionalKey(Schema.Array(Schema.suspend((): Schema.Codec<MenuEntry> => MenuEntry)))
})

// Every member carries a literal "@type", so a broken entry is reported against its own type only.
export const MenuEntry: Schema.Codec<MenuEntry> = Schema.Union([
  MenuItemEntry,
  MenuGroupEntry,
  MenuDealEntry,
  MenuProductModifierEntry
]).annotate({ expected: 'a menu entry ("@type" menuItem, group, menuDeal or menuProductModifier)' })

export const Menu = Schema.Struct({
  ikentooMenuId: VendorId,
  menuName: Schema.String,
  menuEntryGroups: Schema.Array(MenuGroupEntry)
})
export type Menu = typeof Menu.Type

/**
 * The answer of `GET /o/op/1/menu/list?businessLocationId=` ("Get All Menus"): the location's menus,
 * `[{"menuName": "Lunch Menu", "ikentooMenuId": 141948669132851}]`. Each is then loaded by its id.
 */
export const MenuList = Schema.Array(
  Schema.Struct({
    ikentooMenuId: VendorId,
    menuName: OptionalText
  })
)
export type MenuList = typeof MenuList.Type
