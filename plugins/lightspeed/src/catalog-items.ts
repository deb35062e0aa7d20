import type { ModifierGroupSnapshot, ModifierOptionSnapshot, ProductSnapshot } from "@pos-integration/sdk"
import { decimalToMinorUnits, PayloadRejected } from "@pos-integration/sdk"
import { Effect } from "effect"
import type { MenuItemEntry, ProductionInstructionGroup } from "./menu-schema.ts"
import { Registry } from "./registry.ts"
import { idText } from "./vendor-id.ts"

/** Everything one menu load describes, deduplicated by external id. */
export class CatalogParts {
  readonly products = new Registry<ProductSnapshot>("sku")
  readonly modifierGroups = new Registry<ModifierGroupSnapshot>("productionIntructionGroupId")
  readonly modifierOptions = new Registry<ModifierOptionSnapshot>("ikentooModifierId")
}

const text = (value: string | null | undefined): string | null =>
  value === undefined || value === null || value.trim() === "" ? null : value.trim()

/**
 * A production instruction group becomes a modifier group. The K-Series menu says only whether
 * several instructions may be picked (`multiSelectionPermitted`), never that one must be: so min is
 * 0, max is 1 for a single choice and every instruction for a multiple one, each at most once.
 * Production instructions carry no price in the menu load: they are free kitchen instructions
 * (price 0), ordered as `modifiers: [{"modifierId": ikentooModifierId}]`.
 */
const decodeGroup = Effect.fnUntraced(function* (
  group: ProductionInstructionGroup,
  path: string,
  parts: CatalogParts
): Effect.fn.Return<string, PayloadRejected> {
  const optionIds: Array<string> = []
  for (const [index, instruction] of group.productionInstructionList.entries()) {
    const option: ModifierOptionSnapshot = {
      externalId: idText(instruction.ikentooModifierId),
      posCode: idText(instruction.ikentooModifierId),
      name: instruction.instruction,
      price: 0,
      snoozedUntil: null
    }
    yield* parts.modifierOptions.add(option, `${path}.productionInstructionList[${index}].ikentooModifierId`)
    if (!optionIds.includes(option.externalId)) optionIds.push(option.externalId)
  }
  const snapshot: ModifierGroupSnapshot = {
    externalId: idText(group.productionIntructionGroupId),
    // Orders name instructions only by their own ids: the group needs no code at the POS.
    posCode: null,
    name: group.productionInstructionGroupName,
    min: 0,
    max: group.multiSelectionPermitted === true ? optionIds.length : Math.min(1, optionIds.length),
    maxPerOption: 1,
    optionIds
  }
  yield* parts.modifierGroups.add(snapshot, `${path}.productionIntructionGroupId`)
  return snapshot.externalId
})

const percentPattern = /^(\d+)(?:\.(\d+))?$/

/**
 * The default tax rate (`defaultTaxPercentage`, a decimal percent: 8.875) in parts per million of
 * the price (88750), by string arithmetic on the decimal as the vendor spelled it: a percent with up
 * to 4 decimals is exact. A rate with more decimals cannot be held and is refused, never rounded;
 * so is a negative rate or one that is no decimal. Absent or null: no rate is known.
 */
export const taxRatePpm = (
  value: number | string | null | undefined,
  path: string
): Effect.Effect<number | null, PayloadRejected> => {
  if (value === undefined || value === null) return Effect.succeed(null)
  // The shortest round-trip form of a double is the decimal its JSON text spelled (8.875 -> "8.875").
  const text = typeof value === "number" ? String(value) : value.trim()
  if (typeof value === "number" && /e/i.test(text)) {
    // Exponent notation: a rate below 1e-6 percent (more than 4 decimals) or above 1e21.
    return Effect.fail(
      PayloadRejected.one(
        path,
        Math.abs(value) < 1
          ? `${text} has more than 4 decimals: a tax rate is held exactly in parts per million, never rounded`
          : `not a tax percentage: ${text}`
      )
    )
  }
  const match = percentPattern.exec(text)
  if (match === null) return Effect.fail(PayloadRejected.one(path, `not a non-negative decimal percentage: ${text}`))
  const [, whole = "", fraction = ""] = match
  const significant = fraction.replace(/0+$/, "")
  if (significant.length > 4) {
    return Effect.fail(
      PayloadRejected.one(
        path,
        `${text} has more than 4 decimals: a tax rate is held exactly in parts per million, never rounded`
      )
    )
  }
  const ppm = Number(`${whole}${significant.padEnd(4, "0")}`)
  return Number.isSafeInteger(ppm)
    ? Effect.succeed(ppm)
    : Effect.fail(PayloadRejected.one(path, `tax percentage out of range: ${text}`))
}

/** A menu item becomes a product keyed and ordered by its SKU, priced in the outlet's minor units. */
export const decodeItem = Effect.fnUntraced(function* (
  item: MenuItemEntry,
  path: string,
  decimals: number,
  parts: CatalogParts
): Effect.fn.Return<string, PayloadRejected> {
  const price = yield* decimalToMinorUnits(item.productPrice, decimals, `${path}.productPrice`)
  if (price < 0)
    return yield* PayloadRejected.one(`${path}.productPrice`, `a price cannot be negative: ${item.productPrice}`)
  const modifierGroupIds: Array<string> = []
  for (const [index, group] of (item.productionInstructionList ?? []).entries()) {
    const id = yield* decodeGroup(group, `${path}.productionInstructionList[${index}]`, parts)
    if (!modifierGroupIds.includes(id)) modifierGroupIds.push(id)
  }
  const rich = item.itemRichData ?? undefined
  const product: ProductSnapshot = {
    externalId: item.sku,
    posCode: item.sku,
    name: item.productName,
    description: (rich?.texts ?? []).map((t) => text(t.description)).find((d) => d !== null) ?? null,
    imageUrl: text(rich?.rawImageUrl) ?? text(rich?.squareImageUrl) ?? text(rich?.previewImageUrl),
    price,
    taxRatePpm: yield* taxRatePpm(item.defaultTaxPercentage, `${path}.defaultTaxPercentage`),
    modifierGroupIds,
    // The menu load has no availability information: K-Series "restricted items" live elsewhere.
    snoozedUntil: null
  }
  yield* parts.products.add(product, `${path}.sku`)
  return product.externalId
})
