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

/**
 * The default tax rate in basis points (15.0% = 1500). A rate that is not a whole number of basis
 * points (Quebec's 9.975%) cannot be represented and becomes null rather than failing the menu.
 */
const taxRateBps = (item: MenuItemEntry, path: string): Effect.Effect<number | null> =>
  item.defaultTaxPercentage === undefined || item.defaultTaxPercentage === null
    ? Effect.succeed(null)
    : decimalToMinorUnits(item.defaultTaxPercentage, 2, path).pipe(
        Effect.map((bps) => (bps >= 0 ? bps : null)),
        Effect.catch(() => Effect.succeed(null))
      )

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
    taxRateBps: yield* taxRateBps(item, `${path}.defaultTaxPercentage`),
    modifierGroupIds,
    // The menu load has no availability information: K-Series "restricted items" live elsewhere.
    snoozedUntil: null
  }
  yield* parts.products.add(product, `${path}.sku`)
  return product.externalId
})
