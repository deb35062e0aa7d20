import { type CatalogSnapshot, catalogIssues } from "@pos-integration/sdk"
import { describe, expect, it } from "vitest"
import menuMyDrinks from "./fixtures/menu-my-drinks.json" with { type: "json" }
import menuSg2024 from "./fixtures/menu-sg-2024.json" with { type: "json" }
import plugin from "./index.ts"
import { copy, failure, noContext, pathsOf, run } from "./test-support.ts"

const sg = { externalOutletId: "1", currency: "SGD" } as const

/** The 2024 menu exactly as the canonical model must see it. */
const expected2024: CatalogSnapshot = {
  outletIds: [],
  products: [
    {
      externalId: "380",
      posCode: "380",
      name: "Flat White",
      description: "Double ristretto with silky steamed milk.",
      imageUrl: "https://cdn.atlas.kitchen/images/380/flat-white.jpg",
      price: 550,
      taxRatePpm: null,
      modifierGroupIds: ["7", "8", "9"],
      snoozedUntil: null
    },
    {
      externalId: "480",
      posCode: "480",
      name: "Eggs Benedict",
      description: "Poached eggs, ham and hollandaise on a toasted muffin.",
      imageUrl: "https://cdn.atlas.kitchen/images/480/eggs-benedict.jpg",
      price: 1800,
      taxRatePpm: null,
      // Its "Add a Side" use is archived.
      modifierGroupIds: ["12"],
      snoozedUntil: null
    },
    {
      externalId: "612",
      posCode: "612",
      name: "Truffle Fries",
      description: "Shoestring fries, truffle oil, parmesan.",
      imageUrl: null,
      price: 800,
      taxRatePpm: null,
      modifierGroupIds: [],
      snoozedUntil: null
    },
    {
      externalId: "381",
      posCode: "381",
      name: "Long Black",
      description: null,
      imageUrl: null,
      price: 450,
      taxRatePpm: null,
      modifierGroupIds: ["7", "9"],
      snoozedUntil: null
    },
    {
      externalId: "382",
      posCode: "382",
      name: "Iced Latte",
      description: "Always iced, always with milk: pick one.",
      imageUrl: null,
      price: 650,
      taxRatePpm: null,
      modifierGroupIds: ["8:4"],
      snoozedUntil: null
    },
    {
      externalId: "390",
      posCode: "390",
      name: "Earl Grey",
      description: null,
      imageUrl: null,
      price: 500,
      taxRatePpm: null,
      modifierGroupIds: ["7:30"],
      snoozedUntil: null
    },
    {
      externalId: "481",
      posCode: "481",
      name: "Big Breakfast",
      description: "Eggs your way, bacon, sausage, mushrooms, toast.",
      imageUrl: null,
      price: 2200,
      taxRatePpm: null,
      modifierGroupIds: ["12", "13"],
      snoozedUntil: null
    },
    {
      externalId: "613",
      posCode: "613",
      name: "Hash Brown",
      description: null,
      imageUrl: null,
      price: 350,
      taxRatePpm: null,
      modifierGroupIds: [],
      snoozedUntil: null
    }
  ],
  modifierGroups: [
    {
      externalId: "7",
      posCode: "7",
      name: "Temperature",
      min: 1,
      max: 1,
      maxPerOption: 1,
      optionIds: ["496", "497"]
    },
    { externalId: "8", posCode: "8", name: "Milk", min: 0, max: 1, maxPerOption: 1, optionIds: ["501", "502"] },
    { externalId: "9", posCode: "9", name: "Extra Shots", min: 0, max: 3, maxPerOption: 3, optionIds: ["503"] },
    {
      externalId: "12",
      posCode: "12",
      name: "How would you like your eggs?",
      min: 1,
      max: 1,
      maxPerOption: 1,
      optionIds: ["510", "511"]
    },
    // Iced Latte overrides Milk to exactly one: a group of its own.
    { externalId: "8:4", posCode: "8", name: "Milk", min: 1, max: 1, maxPerOption: 1, optionIds: ["501", "502"] },
    // Earl Grey makes Temperature optional.
    {
      externalId: "7:30",
      posCode: "7",
      name: "Temperature",
      min: 0,
      max: 1,
      maxPerOption: 1,
      optionIds: ["496", "497"]
    },
    { externalId: "13", posCode: "13", name: "Add a Side", min: 0, max: 2, maxPerOption: 1, optionIds: ["520", "613"] }
  ],
  modifierOptions: [
    { externalId: "496", posCode: "496", name: "Hot", price: 0, snoozedUntil: null },
    { externalId: "497", posCode: "497", name: "Iced", price: 50, snoozedUntil: null },
    { externalId: "501", posCode: "601", name: "Oat Milk", price: 80, snoozedUntil: null },
    // price_cents_override 60 beats the item's 80.
    { externalId: "502", posCode: "602", name: "Soy Milk", price: 60, snoozedUntil: null },
    { externalId: "503", posCode: "603", name: "Extra Shot", price: 100, snoozedUntil: null },
    { externalId: "510", posCode: "610", name: "Poached", price: 0, snoozedUntil: null },
    { externalId: "511", posCode: "611", name: "Scrambled", price: 0, snoozedUntil: null },
    // The Truffle Fries product as a side, at its override price.
    { externalId: "520", posCode: "612", name: "Truffle Fries", price: 500, snoozedUntil: null },
    // Short form: the modifier id names the Hash Brown product of the same menu.
    { externalId: "613", posCode: "613", name: "Hash Brown", price: 350, snoozedUntil: null }
  ],
  menus: [
    {
      externalId: "8921",
      name: "2024 Menu",
      availabilities: [],
      sections: [
        {
          externalId: "1010",
          name: "Recommendations",
          position: 0,
          productIds: [],
          subSections: [
            {
              externalId: "1911",
              name: "Chef's Recommendation",
              position: 0,
              productIds: ["380", "480"],
              subSections: []
            },
            { externalId: "1912", name: "New This Month", position: 1, productIds: ["612"], subSections: [] }
          ]
        },
        {
          externalId: "1020",
          name: "Coffee",
          position: 1,
          productIds: ["380", "381", "382"],
          subSections: [{ externalId: "1921", name: "Tea", position: 0, productIds: ["390"], subSections: [] }]
        },
        {
          externalId: "1030",
          name: "Brunch",
          position: 2,
          // The archived Buttermilk Pancakes (499) are left out.
          productIds: ["480", "481"],
          subSections: [{ externalId: "1931", name: "Sides", position: 0, productIds: ["612", "613"], subSections: [] }]
        }
      ]
    }
  ],
  callback: null
}

type Menu2024 = typeof menuSg2024

/** The Flat White in the first sub-section of the 2024 menu, to edit. */
const flatWhite = (menu: Menu2024) => menu.sections[0]!.sub_sections[0]!.products[0]!

describe("decodeCatalog: the 2024 menu", () => {
  it("maps to exactly the expected canonical snapshot", async () => {
    expect(await run(plugin.decodeCatalog(menuSg2024, sg))).toEqual(expected2024)
  })

  it("is deterministic: the same payload, or a copy of it, gives the same snapshot", async () => {
    const first = await run(plugin.decodeCatalog(menuSg2024, sg))
    const second = await run(plugin.decodeCatalog(JSON.parse(JSON.stringify(menuSg2024)), sg))
    expect(second).toEqual(first)
    expect(JSON.stringify(second)).toBe(JSON.stringify(first))
  })

  it("keeps the canonical invariants", async () => {
    expect(catalogIssues(await run(plugin.decodeCatalog(menuSg2024, sg)))).toEqual([])
    expect(catalogIssues(await run(plugin.decodeCatalog(menuMyDrinks, noContext)))).toEqual([])
  })

  it("takes the currency from the products when the outlet's is unknown", async () => {
    expect(await run(plugin.decodeCatalog(menuSg2024, noContext))).toEqual(expected2024)
  })
})

describe("decodeCatalog: mapping rules", () => {
  it("defaults max_quantity_per_modifier to one of each", async () => {
    const catalog = await run(plugin.decodeCatalog(menuMyDrinks, { externalOutletId: "41", currency: "MYR" }))
    expect(catalog.modifierGroups).toEqual([
      {
        externalId: "70",
        posCode: "70",
        name: "Sweetness",
        min: 1,
        max: 1,
        maxPerOption: 1,
        optionIds: ["7101", "7102"]
      }
    ])
    expect(catalog.products.map((p) => [p.externalId, p.price, p.imageUrl])).toEqual([
      ["7001", 450, null],
      ["7002", 550, "https://cdn.atlas.kitchen/images/7002/teh-tarik.jpg"]
    ])
  })

  it("an override equal to the group's own rules keeps the group's id", async () => {
    const menu = copy(menuSg2024)
    const uses = flatWhite(menu).item_modifier_groups
    Object.assign(uses[0]!, { selection_required_min_override: 1, selection_required_max_override: 1 })
    const catalog = await run(plugin.decodeCatalog(menu, sg))
    expect(catalog.products[0]!.modifierGroupIds).toEqual(["7", "8", "9"])
  })

  it("refuses a draft menu", async () => {
    const rejected = await failure(plugin.decodeCatalog({ ...menuSg2024, state: "draft" }, sg))
    expect(rejected._tag).toBe("PayloadRejected")
    expect(rejected.issues).toEqual([
      { path: "state", message: 'the menu is "draft": only a published menu is synced' }
    ])
  })

  it("refuses a product priced in another currency than the outlet's", async () => {
    const rejected = await failure(plugin.decodeCatalog(menuMyDrinks, sg))
    expect(pathsOf(rejected)).toEqual(["sections[0].products[0].currency", "sections[0].products[1].currency"])
    expect(rejected.issues[0]!.message).toContain("MYR")
  })

  it("refuses one id describing two different products, naming both places", async () => {
    const menu = copy(menuSg2024)
    menu.sections[1]!.products[0]!.price_cents = 600
    const rejected = await failure(plugin.decodeCatalog(menu, sg))
    expect(rejected.issues).toEqual([
      {
        path: "sections[1].products[0]",
        message: "product 380 differs from the product 380 at sections[0].sub_sections[0].products[0]"
      }
    ])
  })

  it("refuses one modifier group id with different contents", async () => {
    const menu = copy(menuSg2024)
    // Long Black's Temperature loses its Iced choice.
    const longBlack = menu.sections[1]!.products[1]!
    longBlack.item_modifier_groups[0]!.modifier_group.modifiers.pop()
    const rejected = await failure(plugin.decodeCatalog(menu, sg))
    expect(pathsOf(rejected)).toContain("sections[1].products[1].item_modifier_groups[0].modifier_group")
    expect(rejected.issues.map((i) => i.message).join("\n")).toContain("modifier group 7 differs")
  })

  it("refuses a minimum above the maximum", async () => {
    const menu = copy(menuSg2024)
    Object.assign(flatWhite(menu).item_modifier_groups[1]!, { selection_required_min_override: 2 })
    const rejected = await failure(plugin.decodeCatalog(menu, sg))
    expect(rejected.issues[0]).toEqual({
      path: "sections[0].sub_sections[0].products[0].item_modifier_groups[1]",
      message: "modifier group 8: at least 2 but at most 1 choices"
    })
  })

  it("refuses a modifier whose item is neither embedded nor on the menu", async () => {
    const menu = copy(menuSg2024)
    const sides = menu.sections[2]!.products[1]!.item_modifier_groups[1]!.modifier_group
    Object.assign(sides.modifiers[1]!, { id: 9999 })
    const rejected = await failure(plugin.decodeCatalog(menu, sg))
    expect(rejected.issues).toContainEqual({
      path: "sections[2].products[1].item_modifier_groups[1].modifier_group.modifiers[1]",
      message: "modifier 9999 names no item: it embeds none and no product 9999 is on this menu"
    })
  })

  it("refuses a modifier with no price at all", async () => {
    const menu = copy(menuSg2024)
    const oat = flatWhite(menu).item_modifier_groups[1]!.modifier_group.modifiers[0]!
    Object.assign(oat.item!, { price_cents: null })
    const rejected = await failure(plugin.decodeCatalog(menu, sg))
    expect(pathsOf(rejected)).toContain(
      "sections[0].sub_sections[0].products[0].item_modifier_groups[1].modifier_group.modifiers[0].price_cents_override"
    )
  })

  it("refuses a product referencing a missing modifier group, naming the path", async () => {
    const menu = copy(menuSg2024)
    const use = flatWhite(menu).item_modifier_groups[0]! as Record<string, unknown>
    delete use["modifier_group"]
    const rejected = await failure(plugin.decodeCatalog(menu, sg))
    expect(rejected.issues).toEqual([
      { path: "sections[0].sub_sections[0].products[0].item_modifier_groups[0].modifier_group", message: "is required" }
    ])
  })

  it("refuses negative and fractional prices with their paths", async () => {
    const menu = copy(menuSg2024)
    flatWhite(menu).price_cents = -550
    menu.sections[1]!.products[1]!.price_cents = 4.5
    const rejected = await failure(plugin.decodeCatalog(menu, sg))
    expect(pathsOf(rejected)).toEqual([
      "sections[0].sub_sections[0].products[0].price_cents",
      "sections[1].products[1].price_cents"
    ])
  })
})
