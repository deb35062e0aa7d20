/**
 * A menu's maps of items (products, modifierGroups, modifiers, bundles, snoozedProducts) are nearly
 * all of a large push: a hundred thousand objects and more. Schema.Record spends about 8 µs on each,
 * so these plain checks accept them instead, in a fraction of that. They mirror the item schemas of
 * menu-schema.ts field by field and are never more lenient: a map they do not accept is decoded by
 * the Schema after all, whose errors name every problem (menu-push.ts). The item schemas transform
 * nothing, so an accepted object is its own decoded value (the mapping reads declared fields only).
 */

type Check = (value: unknown) => boolean

const isString: Check = (v) => typeof v === "string"
const isId: Check = (v) => typeof v === "string" && v.length >= 1
const isInt: Check = (v) => typeof v === "number" && Number.isSafeInteger(v)
const isNonNegativeInt: Check = (v) => typeof v === "number" && Number.isSafeInteger(v) && v >= 0
const isBoolean: Check = (v) => typeof v === "boolean"
const nullOr =
  (check: Check): Check =>
  (v) =>
    v === null || check(v)
const isIdList: Check = (v) => {
  if (!Array.isArray(v)) return false
  for (let i = 0; i < v.length; i++) if (!isId(v[i])) return false
  return true
}

/** A JSON object as JSON.parse makes them: anything else is left to the Schema. */
const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/**
 * An optionalKey field: absent, or present and valid. A key present with `undefined` (not JSON)
 * fails an optionalKey in the Schema too. Fields are read by name in the callers (not in a loop over
 * a list of names) so that reads on objects of one shape stay fast.
 */
const optional = (item: Record<string, unknown>, name: string, value: unknown, check: Check): boolean =>
  value === undefined ? !Object.hasOwn(item, name) : check(value)

const isNullOrString: Check = nullOr(isString)
const isNullOrBoolean: Check = nullOr(isBoolean)
const isNullOrNonNegativeInt: Check = nullOr(isNonNegativeInt)

/** `itemFields` of menu-schema.ts. */
const isItem = (o: Record<string, unknown>): boolean =>
  optional(o, "_id", o["_id"], isId) &&
  isString(o["name"]) &&
  optional(o, "productType", o["productType"], isInt) &&
  optional(o, "description", o["description"], isNullOrString) &&
  optional(o, "imageUrl", o["imageUrl"], isNullOrString) &&
  optional(o, "subProducts", o["subProducts"], isIdList) &&
  optional(o, "snoozed", o["snoozed"], isNullOrBoolean) &&
  optional(o, "snoozeId", o["snoozeId"], isNullOrString) &&
  optional(o, "snoozeEnd", o["snoozeEnd"], isNullOrString)

/** min, max and multiMax, as products (bundles) and modifier groups declare them. */
const hasLimits = (o: Record<string, unknown>): boolean =>
  optional(o, "min", o["min"], isNonNegativeInt) &&
  optional(o, "max", o["max"], isNonNegativeInt) &&
  optional(o, "multiMax", o["multiMax"], isNullOrNonNegativeInt)

/** `Product` of menu-schema.ts. */
const isProduct: Check = (o) =>
  isPlainObject(o) &&
  isItem(o) &&
  isId(o["plu"]) &&
  isNonNegativeInt(o["price"]) &&
  optional(o, "deliveryTax", o["deliveryTax"], isNullOrNonNegativeInt) &&
  optional(o, "takeawayTax", o["takeawayTax"], isNullOrNonNegativeInt) &&
  optional(o, "eatInTax", o["eatInTax"], isNullOrNonNegativeInt) &&
  hasLimits(o)

/** `Modifier` of menu-schema.ts. */
const isModifier: Check = (o) => isPlainObject(o) && isItem(o) && isId(o["plu"]) && isNonNegativeInt(o["price"])

/** `ModifierGroup` of menu-schema.ts. */
const isModifierGroup: Check = (o) =>
  isPlainObject(o) && isItem(o) && optional(o, "plu", o["plu"], isNullOrString) && hasLimits(o)

/** `SnoozedProduct` of menu-schema.ts. */
const isSnoozedProduct: Check = (o) =>
  isPlainObject(o) &&
  optional(o, "plu", o["plu"], isNullOrString) &&
  optional(o, "snoozeStart", o["snoozeStart"], isNullOrString) &&
  optional(o, "snoozeEnd", o["snoozeEnd"], isNullOrString)

const isRecordOf = (check: Check) => (value: unknown) => {
  if (!isPlainObject(value)) return false
  // Own enumerable string keys, as Schema.Record reads them (measured: as fast as for-in, and faster
  // than Object.values on a map of 100,000 items, which is a dictionary).
  const keys = Object.keys(value)
  for (let i = 0; i < keys.length; i++) if (!check(value[keys[i]!])) return false
  return true
}

/** The menu's maps, each checked against its item schema; absent maps are fine (optionalKey). */
const maps: ReadonlyArray<readonly [name: string, check: Check]> = [
  ["products", isRecordOf(isProduct)],
  ["modifierGroups", isRecordOf(isModifierGroup)],
  ["modifiers", isRecordOf(isModifier)],
  ["bundles", isRecordOf(isProduct)],
  ["snoozedProducts", isRecordOf(isSnoozedProduct)]
]

/** The maps' names, in the order of the Menu schema. */
export const menuMapNames = maps.map(([name]) => name)

/**
 * Whether every map of the (raw) menu holds only valid items. `menu` is the object the shell was
 * decoded from.
 */
export const menuMapsValid = (menu: unknown): boolean => {
  if (!isPlainObject(menu)) return false
  for (const [name, check] of maps) {
    const value = menu[name]
    if (value === undefined ? Object.hasOwn(menu, name) : !check(value)) return false
  }
  return true
}
