import type { ModifierGroupSnapshot, ModifierOptionSnapshot } from "@pos-integration/sdk"
import { ById, type Problems, unique } from "./mapping.ts"
import type { ItemModifierGroup, Modifier, Product } from "./vendor-menu.ts"

/** What an option needs from the item a modifier adds: its id (the order's `item_id`), name and price. */
interface OptionItem {
  readonly id: number
  readonly name: string
  readonly price_cents?: number | null | undefined
}

/**
 * Modifier groups and options of one menu. Atlas embeds the groups in each product
 * (`item_modifier_groups[].modifier_group`), so the same group arrives once per product using it;
 * these registries keep each once and refuse two different objects under one id.
 */
export class ModifierCatalog {
  private readonly groups: ById<ModifierGroupSnapshot>
  private readonly options: ById<ModifierOptionSnapshot>
  /** The modifier_group as Atlas defines it, before per-product overrides: must agree wherever it appears. */
  private readonly baseGroups: ById<unknown>
  private readonly items: ReadonlyMap<number, Product>
  private readonly problems: Problems

  constructor(items: ReadonlyMap<number, Product>, problems: Problems) {
    this.items = items
    this.problems = problems
    this.groups = new ById("modifier group", problems)
    this.options = new ById("modifier", problems)
    this.baseGroups = new ById("modifier_group", problems)
  }

  get modifierGroups(): ReadonlyArray<ModifierGroupSnapshot> {
    return this.groups.values()
  }

  get modifierOptions(): ReadonlyArray<ModifierOptionSnapshot> {
    return this.options.values()
  }

  /**
   * One product's use of a modifier group; answers the canonical group id. The canonical group has
   * one min/max, but Atlas lets each product override them (`selection_required_*_override`).
   * Without an effective override the group keeps Atlas's id (`"7"`); a product that changes min or
   * max gets its own group `"{modifier_group.id}:{item_modifier_group.id}"` (`"7:12"`), so a
   * product's rules never leak into another's. Its posCode stays the Atlas group id either way.
   */
  addGroup(use: ItemModifierGroup, path: string): string {
    const group = use.modifier_group
    const groupPath = `${path}.modifier_group`
    const min = use.selection_required_min_override ?? group.selection_required_min
    const max = use.selection_required_max_override ?? group.selection_required_max
    const overridden = min !== group.selection_required_min || max !== group.selection_required_max
    const id = overridden ? `${group.id}:${use.id}` : String(group.id)
    if (min > max) {
      const where = overridden ? path : groupPath
      this.problems.add(where, `modifier group ${group.id}: at least ${min} but at most ${max} choices`)
    }
    // Atlas's default: one of each modifier unless the group allows more.
    const maxPerOption = group.max_quantity_per_modifier ?? 1
    const optionIds = unique(
      group.modifiers.flatMap((modifier, n) => this.addOption(modifier, `${groupPath}.modifiers[${n}]`))
    )
    this.baseGroups.add(
      String(group.id),
      {
        name: group.name.trim(),
        min: group.selection_required_min,
        max: group.selection_required_max,
        maxPerOption,
        optionIds
      },
      groupPath
    )
    this.groups.add(
      id,
      { externalId: id, posCode: String(group.id), name: group.name.trim(), min, max, maxPerOption, optionIds },
      groupPath
    )
    return id
  }

  /**
   * An option is keyed by the modifier's own id (unique per group membership, so two groups may
   * price one item differently); its posCode is the item's id, which an order's `sub_items` name.
   * Name and price come from the item the modifier adds: the embedded `item` of the docs' schema,
   * else a product of this menu with the modifier's id (the short form, where the id is the
   * item's). `price_cents_override` wins over the item's price when set. A modifier whose item
   * cannot be found is refused: neither its name nor its price would be known.
   */
  private addOption(modifier: Modifier, path: string): ReadonlyArray<string> {
    const item: OptionItem | undefined = modifier.item ?? this.items.get(modifier.id)
    if (item === undefined) {
      this.problems.add(
        path,
        `modifier ${modifier.id} names no item: it embeds none and no product ${modifier.id} is on this menu`
      )
      return []
    }
    const price = modifier.price_cents_override ?? item.price_cents ?? undefined
    if (price === undefined) {
      this.problems.add(
        `${path}.price_cents_override`,
        `modifier ${modifier.id} has no price: no price_cents_override and item ${item.id} has no price_cents`
      )
      return []
    }
    const id = String(modifier.id)
    this.options.add(
      id,
      { externalId: id, posCode: String(item.id), name: item.name.trim(), price, snoozedUntil: null },
      path
    )
    return [id]
  }
}
