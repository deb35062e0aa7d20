import { type CatalogSnapshot, UNTIL_FURTHER_NOTICE } from "@pos-integration/sdk"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import foreignLightspeedBusinesses from "./fixtures/foreign-lightspeed-businesses.json" with { type: "json" }
import { fixtures } from "./fixtures/index.ts"
import menuAsync from "./fixtures/menu-async.json" with { type: "json" }
import menuSync from "./fixtures/menu-sync.json" with { type: "json" }
import plugin from "./index.ts"
import { brokenInvariants, edited, failed, issuesOf, noContext, outcome, succeeded } from "./test-helpers.ts"

const decode = (payload: unknown) => plugin.decodeCatalog(payload, noContext)

// The fixture's ids: Deliverect's own (_id), 24-hex ObjectIds.
const id = (suffix: string) => `65a1c0e2f1d3b2001a7c${suffix}`
const steak = id("0201")
const burger = id("0202")
const wings = id("0203")
const halloumi = id("0204")
const combo = id("0205")
const cola = id("0206")
const lemonade = id("0207")
const flatWhite = id("0208")
const cooking = id("0301")
const sides = id("0302")
const extras = id("0303")
const milk = id("0304")
const drinkBundle = id("0401")

const expectedSync: CatalogSnapshot = {
  outletIds: ["649ad021949cfa36470f9ea9"],
  products: [
    {
      externalId: steak,
      posCode: "STK-01",
      name: "Steak Frites",
      description: "200g striploin, fries, bearnaise",
      imageUrl: "https://storage.googleapis.com/ikona-bucket-production/images/steak-frites.jpg",
      price: 2450,
      taxRatePpm: 90000,
      taxRatesPpm: { PICKUP: 90000, DELIVERY: 90000, DINE_IN: 90000, CURBSIDE: 90000 },
      modifierGroupIds: [cooking, sides],
      snoozedUntil: null
    },
    {
      externalId: burger,
      posCode: "BRG-01",
      name: "Classic Burger",
      description: "Beef patty, cheddar, pickles, brioche bun",
      imageUrl: null,
      price: 1650,
      taxRatePpm: 90000,
      taxRatesPpm: { PICKUP: 90000, DELIVERY: 90000, DINE_IN: 90000, CURBSIDE: 90000 },
      modifierGroupIds: [cooking, extras],
      snoozedUntil: null
    },
    {
      externalId: wings,
      posCode: "WNG-06",
      name: "Chicken Wings (6 pcs)",
      description: null,
      imageUrl: null,
      price: 1290,
      taxRatePpm: 90000,
      taxRatesPpm: { PICKUP: 90000, DELIVERY: 90000, CURBSIDE: 90000 },
      modifierGroupIds: [],
      // snoozedProducts: "2024-03-24 22:21:54.000000Z"
      snoozedUntil: "2024-03-24T22:21:54.000Z"
    },
    {
      externalId: halloumi,
      posCode: "HAL-01",
      name: "Grilled Halloumi Salad",
      description: null,
      imageUrl: null,
      price: 1400,
      // deliveryTax null, takeawayTax 7000 (7%)
      taxRatePpm: 70000,
      taxRatesPpm: { PICKUP: 70000, CURBSIDE: 70000 },
      modifierGroupIds: [],
      snoozedUntil: null
    },
    {
      externalId: combo,
      posCode: "CMB-01",
      name: "Lunch Combo",
      description: "Burger of the day with a drink",
      imageUrl: null,
      price: 1990,
      taxRatePpm: 90000,
      taxRatesPpm: { PICKUP: 90000, DELIVERY: 90000, CURBSIDE: 90000 },
      modifierGroupIds: [drinkBundle],
      snoozedUntil: null
    },
    {
      externalId: cola,
      posCode: "DRK-COLA",
      name: "Coca-Cola 330ml",
      description: null,
      imageUrl: null,
      price: 350,
      taxRatePpm: 90000,
      taxRatesPpm: { PICKUP: 90000, DELIVERY: 90000, CURBSIDE: 90000 },
      modifierGroupIds: [],
      snoozedUntil: null
    },
    {
      externalId: lemonade,
      posCode: "DRK-LEM",
      name: "Homemade Lemonade",
      description: null,
      imageUrl: null,
      price: 450,
      taxRatePpm: 90000,
      taxRatesPpm: { PICKUP: 90000, DELIVERY: 90000, CURBSIDE: 90000 },
      modifierGroupIds: [],
      // "2024-03-25 09:00:00.367000" has no zone: Deliverect times are UTC
      snoozedUntil: "2024-03-25T09:00:00.367Z"
    },
    {
      externalId: flatWhite,
      posCode: "HOT-FW",
      name: "Flat White",
      description: null,
      imageUrl: null,
      price: 480,
      taxRatePpm: 90000,
      taxRatesPpm: { PICKUP: 90000, DELIVERY: 90000, CURBSIDE: 90000 },
      modifierGroupIds: [milk],
      snoozedUntil: null
    }
  ],
  modifierGroups: [
    {
      externalId: cooking,
      posCode: "MOD-COOK",
      name: "How would you like it cooked?",
      min: 1,
      max: 1,
      maxPerOption: 1,
      optionIds: [id("0501"), id("0502"), id("0503")]
    },
    // multiMax 2 within a max of 3
    {
      externalId: sides,
      posCode: "MOD-SIDES",
      name: "Choose your sides",
      min: 0,
      max: 3,
      maxPerOption: 2,
      optionIds: [id("0504"), id("0505")]
    },
    // no plu; max 0 (no limit) over two options; multiMax 0 (once each)
    {
      externalId: extras,
      posCode: null,
      name: "Extras",
      min: 0,
      max: 2,
      maxPerOption: 1,
      optionIds: [id("0506"), id("0507")]
    },
    { externalId: milk, posCode: "MOD-MILK", name: "Milk", min: 0, max: 1, maxPerOption: 1, optionIds: [id("0508")] },
    // the bundle offered with the combo: a group of products
    {
      externalId: drinkBundle,
      posCode: "BND-DRINK",
      name: "Choose your drink",
      min: 1,
      max: 1,
      maxPerOption: 1,
      optionIds: [cola, lemonade]
    }
  ],
  modifierOptions: [
    { externalId: id("0501"), posCode: "COOK-R", name: "Rare", price: 0, snoozedUntil: null },
    { externalId: id("0502"), posCode: "COOK-M", name: "Medium", price: 0, snoozedUntil: null },
    { externalId: id("0503"), posCode: "COOK-W", name: "Well done", price: 0, snoozedUntil: null },
    { externalId: id("0504"), posCode: "SIDE-FR", name: "Fries", price: 300, snoozedUntil: null },
    { externalId: id("0505"), posCode: "SIDE-SAL", name: "Side Salad", price: 250, snoozedUntil: null },
    { externalId: id("0506"), posCode: "EXT-BAC", name: "Bacon", price: 150, snoozedUntil: null },
    { externalId: id("0507"), posCode: "EXT-CHE", name: "Extra Cheddar", price: 100, snoozedUntil: null },
    // "2024-03-24T18:00:00.500000Z": microseconds truncated to milliseconds
    {
      externalId: id("0508"),
      posCode: "MILK-OAT",
      name: "Oat Milk",
      price: 60,
      snoozedUntil: "2024-03-24T18:00:00.500Z"
    },
    // products inside a bundle cost nothing extra
    { externalId: cola, posCode: "DRK-COLA", name: "Coca-Cola 330ml", price: 0, snoozedUntil: null },
    {
      externalId: lemonade,
      posCode: "DRK-LEM",
      name: "Homemade Lemonade",
      price: 0,
      snoozedUntil: "2024-03-25T09:00:00.367Z"
    }
  ],
  menus: [
    {
      externalId: "64648bd2a28d59a83ff80406",
      name: "All Day",
      availabilities: [
        { dayOfWeek: 1, opens: "11:00", closes: "15:00" },
        { dayOfWeek: 2, opens: "11:00", closes: "15:00" },
        { dayOfWeek: 3, opens: "11:00", closes: "15:00" },
        { dayOfWeek: 4, opens: "11:00", closes: "15:00" },
        { dayOfWeek: 5, opens: "11:00", closes: "15:00" },
        { dayOfWeek: 5, opens: "18:00", closes: "02:00" },
        { dayOfWeek: 6, opens: "11:00", closes: "15:00" },
        { dayOfWeek: 6, opens: "18:00", closes: "23:30" },
        // Sunday, to 24:00
        { dayOfWeek: 7, opens: "17:00", closes: "00:00" }
      ],
      sections: [
        {
          externalId: id("0101"),
          name: "Mains",
          position: 0,
          productIds: [steak, burger, combo],
          subSections: [
            // named by id in subCategories; the steak stands here too
            {
              externalId: id("0102"),
              name: "From the Grill",
              position: 0,
              productIds: [wings, steak],
              subSections: []
            },
            // products listed in the older `products` field
            { externalId: id("0103"), name: "Vegetarian", position: 1, productIds: [halloumi], subSections: [] }
          ]
        },
        {
          externalId: id("0104"),
          name: "Drinks",
          position: 1,
          // the cola listed twice appears once
          productIds: [cola, lemonade],
          // an inline sub-category
          subSections: [
            { externalId: id("0105"), name: "Hot Drinks", position: 0, productIds: [flatWhite], subSections: [] }
          ]
        }
      ]
    },
    {
      externalId: "6650aa11b2c3d4e5f6a70001",
      name: "Late Night Delivery",
      availabilities: [
        { dayOfWeek: 5, opens: "22:00", closes: "03:00" },
        { dayOfWeek: 6, opens: "22:00", closes: "03:00" }
      ],
      sections: [
        {
          externalId: "6650aa11b2c3d4e5f6a70101",
          name: "Late Bites",
          position: 0,
          productIds: [burger, wings],
          subSections: []
        }
      ]
    }
  ],
  callback: null
}

describe("decodeCatalog: fixtures", () => {
  it("decodes the synchronous push to exactly the expected snapshot", async () => {
    expect(await succeeded(decode(menuSync))).toEqual(expectedSync)
  })

  it("decodes the asynchronous push: stores (deduplicated) and the callback", async () => {
    const snapshot = await succeeded(decode(menuAsync))
    expect(snapshot.outletIds).toEqual(["65ddbe003110fd505a9e7be4", "65ddbe003110fd505a9e7c11"])
    expect(snapshot.callback).toEqual({
      url: "https://api.staging.deliverect.com/PosIntegration/menuStatus/649ea0c1d2e3f4a5b6b9a98d"
    })
    expect(snapshot.menus.map((menu) => [menu.name, menu.sections.map((section) => section.name)])).toEqual([
      ["FOOD", ["Sandwiches", "Pastries"]],
      ["DRINK", ["Coffee", "Tea"]]
    ])
    const shots = snapshot.modifierGroups.find((group) => group.name === "Extra shots")
    expect(shots).toMatchObject({ min: 0, max: 3, maxPerOption: 3 })
    // "2024-03-24 23:59:59.999999Z" keeps its milliseconds and drops the rest
    expect(snapshot.products.find((product) => product.posCode === "PST-KA")?.snoozedUntil).toBe(
      "2024-03-24T23:59:59.999Z"
    )
  })

  for (const fixture of fixtures.catalogs) {
    it(`${fixture.name}: the counts the fixture declares, and every invariant`, async () => {
      const snapshot = await succeeded(plugin.decodeCatalog(fixture.payload, fixture.context))
      expect(snapshot.outletIds).toEqual(fixture.expected.outletIds)
      expect(snapshot.products).toHaveLength(fixture.expected.products)
      expect(snapshot.modifierGroups).toHaveLength(fixture.expected.modifierGroups)
      expect(snapshot.modifierOptions).toHaveLength(fixture.expected.modifierOptions)
      expect(snapshot.menus).toHaveLength(fixture.expected.menus)
      expect(brokenInvariants(snapshot)).toEqual([])
    })

    it(`${fixture.name}: decoding is deterministic`, async () => {
      const first = await succeeded(plugin.decodeCatalog(fixture.payload, fixture.context))
      const second = await succeeded(plugin.decodeCatalog(structuredClone(fixture.payload), fixture.context))
      expect(JSON.stringify(second)).toBe(JSON.stringify(first))
    })
  }

  it("the same product in two menus, described the same way, is one product", async () => {
    const snapshot = await succeeded(decode(menuSync))
    expect(snapshot.products.filter((product) => product.externalId === burger)).toHaveLength(1)
  })

  it("a snoozed product without an end stays snoozed until further notice", async () => {
    const payload = edited(menuSync, [0, "products", halloumi, "snoozed"], true)
    const snapshot = await succeeded(decode(payload))
    expect(snapshot.products.find((product) => product.externalId === halloumi)?.snoozedUntil).toBe(
      UNTIL_FURTHER_NOTICE
    )
    expect(brokenInvariants(snapshot)).toEqual([])
  })

  it("a snoozedProducts entry without snoozeEnd (absent or null) is until further notice, for a modifier too", async () => {
    // the wings stand in both menus, each with its own entry: one null, the other absent
    const nullEnd = edited(menuSync, [0, "snoozedProducts", id("0901"), "snoozeEnd"], null)
    const noEnd = edited(nullEnd, [1, "snoozedProducts", id("0901"), "snoozeEnd"])
    const snapshot = await succeeded(decode(edited(noEnd, [0, "snoozedProducts", id("0903"), "snoozeEnd"])))
    expect(snapshot.products.find((product) => product.externalId === wings)?.snoozedUntil).toBe(UNTIL_FURTHER_NOTICE)
    expect(snapshot.modifierOptions.find((option) => option.externalId === id("0508"))?.snoozedUntil).toBe(
      UNTIL_FURTHER_NOTICE
    )
    // the other snoozes keep their instants
    expect(snapshot.products.find((product) => product.externalId === lemonade)?.snoozedUntil).toBe(
      "2024-03-25T09:00:00.367Z"
    )
    expect(brokenInvariants(snapshot)).toEqual([])
  })

  it("a snoozed item without an entry in snoozedProducts takes the end it carries itself", async () => {
    const snoozed = edited(menuSync, [0, "products", halloumi, "snoozed"], true)
    const payload = edited(snoozed, [0, "products", halloumi, "snoozeEnd"], "2024-03-26 08:00:00.000000Z")
    const snapshot = await succeeded(decode(payload))
    expect(snapshot.products.find((product) => product.externalId === halloumi)?.snoozedUntil).toBe(
      "2024-03-26T08:00:00.000Z"
    )
  })

  it("an item snoozed: false is available whatever its snoozeId says", async () => {
    const payload = edited(menuSync, [0, "products", lemonade, "snoozed"], false)
    const snapshot = await succeeded(decode(payload))
    expect(snapshot.products.find((product) => product.externalId === lemonade)?.snoozedUntil).toBeNull()
  })

  it("a sub-category named twice by its parent stands there once", async () => {
    const payload = edited(menuSync, [0, "categories", 0, "subCategories"], [id("0102"), id("0103"), id("0102")])
    const snapshot = await succeeded(decode(payload))
    expect(snapshot.menus[0]?.sections[0]?.subSections.map((sub) => sub.externalId)).toEqual([id("0102"), id("0103")])
  })

  it("a bundle listed in a category is sold as a product", async () => {
    const listed = edited(menuSync, [0, "categories", 3, "subProducts"], [cola, drinkBundle])
    // sold on its own (no longer the combo's group), a bundle's subProducts are its modifier groups
    const notInCombo = edited(listed, [0, "products", combo, "subProducts"], [])
    const snapshot = await succeeded(decode(edited(notInCombo, [0, "bundles", drinkBundle, "subProducts"], [milk])))
    expect(snapshot.products.find((product) => product.externalId === drinkBundle)).toEqual({
      externalId: drinkBundle,
      posCode: "BND-DRINK",
      name: "Choose your drink",
      description: null,
      imageUrl: null,
      price: 0,
      taxRatePpm: null,
      taxRatesPpm: {},
      modifierGroupIds: [milk],
      snoozedUntil: null
    })
  })

  it("an asynchronous push without stores names each menu's channel link", async () => {
    const snapshot = await succeeded(decode(edited(menuAsync, ["body", "stores"], [])))
    expect(snapshot.outletIds).toEqual(["65ddbe003110fd505a9e7be4"])
  })

  it.each([
    [9000, 90000],
    [8875, 88750],
    [7, 70],
    [0, 0],
    [100000, 1000000]
  ])("a tax of %i thousandths of a percent is exactly %i ppm", async (tax, ppm) => {
    const payload = edited(menuSync, [0, "products", steak, "deliveryTax"], tax)
    const snapshot = await succeeded(decode(payload))
    expect(snapshot.products.find((product) => product.externalId === steak)?.taxRatePpm).toBe(ppm)
  })

  it("keeps the delivery, takeaway and eat-in taxes apart, by fulfilment type", async () => {
    const delivery = edited(menuSync, [0, "products", steak, "deliveryTax"], 9000)
    const takeaway = edited(delivery, [0, "products", steak, "takeawayTax"], 7000)
    const eatIn = edited(takeaway, [0, "products", steak, "eatInTax"], 8875)
    const product = (await succeeded(decode(eatIn))).products.find((p) => p.externalId === steak)
    expect(product?.taxRatesPpm).toEqual({ DELIVERY: 90000, PICKUP: 70000, CURBSIDE: 70000, DINE_IN: 88750 })
    const noEatIn = (await succeeded(decode(edited(takeaway, [0, "products", steak, "eatInTax"], null)))).products
    expect(noEatIn.find((p) => p.externalId === steak)?.taxRatesPpm).toEqual({
      DELIVERY: 90000,
      PICKUP: 70000,
      CURBSIDE: 70000
    })
  })

  it("refuses an eat-in tax above 100%, naming it", async () => {
    const payload = edited(menuSync, [0, "products", steak, "eatInTax"], 100001)
    const issues = issuesOf(await failed(decode(payload)))
    expect(issues.map((i) => i.path)).toEqual([`[0].products.${steak}.eatInTax`])
  })

  it("without a delivery tax the takeaway tax applies; without either there is no rate", async () => {
    const noDelivery = edited(menuSync, [0, "products", steak, "deliveryTax"], null)
    const takeaway = edited(noDelivery, [0, "products", steak, "takeawayTax"], 8875)
    expect(
      (await succeeded(decode(takeaway))).products.find((product) => product.externalId === steak)?.taxRatePpm
    ).toBe(88750)
    const neither = edited(
      edited(noDelivery, [0, "products", steak, "takeawayTax"]),
      [0, "products", steak, "eatInTax"],
      6000
    )
    expect(
      (await succeeded(decode(neither))).products.find((product) => product.externalId === steak)?.taxRatePpm
    ).toBeNull()
  })
})

describe("decodeCatalog: rejections name the path", () => {
  const rejects = async (payload: unknown, path: string, fragment: string) => {
    const issues = issuesOf(await failed(decode(payload)))
    expect(issues).toContainEqual({ path, message: expect.stringContaining(fragment) })
  }

  it.each([
    ["null", null],
    ["a number", 42],
    ["a string", '[{"menu":"Lunch"}]'],
    ["a boolean", true],
    ["an empty array", []],
    ["an object that is no menu push", { menus: [] }],
    ["an empty asynchronous push", { body: { menus: [] } }]
  ])("%s", async (_name, payload) => {
    expect(issuesOf(await failed(decode(payload))).length).toBeGreaterThan(0)
  })

  it("an array of junk names each element", async () => {
    const issues = issuesOf(await failed(decode([null, 1, "x", []])))
    expect(issues.map((issue) => issue.path)).toEqual(["[0]", "[1]", "[2]", "[3]"])
  })

  it("a truncated product (no price)", () =>
    rejects(edited(menuSync, [0, "products", steak, "price"]), `[0].products.${steak}.price`, "is required"))

  it("a truncated menu (no menuId)", () => rejects(edited(menuSync, [1, "menuId"]), "[1].menuId", "is required"))

  it("a negative price", () =>
    rejects(
      edited(menuSync, [0, "modifiers", id("0504"), "price"], -300),
      `[0].modifiers.${id("0504")}.price`,
      "greater than or equal to 0"
    ))

  it("a negative tax", () =>
    rejects(
      edited(menuSync, [0, "products", steak, "deliveryTax"], -9000),
      `[0].products.${steak}.deliveryTax`,
      "greater than or equal to 0"
    ))

  it("a tax that is no integer (a percentage written as a decimal)", () =>
    rejects(
      edited(menuSync, [0, "products", steak, "takeawayTax"], 8.875),
      `[0].products.${steak}.takeawayTax`,
      "integer"
    ))

  it.each([100001, 900000, Number.MAX_SAFE_INTEGER])("a tax above 100%% (%i)", (tax) =>
    rejects(
      edited(menuSync, [0, "products", steak, "deliveryTax"], tax),
      `[0].products.${steak}.deliveryTax`,
      `a tax rate above 100% (thousandths of a percent: 9000 is 9%): ${tax}`
    )
  )

  it("a takeaway tax above 100% where it applies", () =>
    rejects(
      edited(menuSync, [0, "products", halloumi, "takeawayTax"], 700000),
      `[0].products.${halloumi}.takeawayTax`,
      "a tax rate above 100%"
    ))

  it("a decimal price", () =>
    rejects(edited(menuSync, [0, "products", cola, "price"], 3.5), `[0].products.${cola}.price`, "integer"))

  it("a day of week outside 1..7", () =>
    rejects(
      edited(menuSync, [1, "availabilities", 0, "dayOfWeek"], 0),
      "[1].availabilities[0].dayOfWeek",
      "expected one of 1, 2, 3, 4, 5, 6, 7, got 0"
    ))

  it("a product referencing a missing modifier group", () =>
    rejects(
      edited(menuSync, [0, "modifierGroups", sides]),
      `[0].products.${steak}.subProducts[1]`,
      `modifier group ${sides} is missing`
    ))

  it("a group referencing a missing modifier", () =>
    rejects(
      edited(menuSync, [0, "modifiers", id("0505")]),
      `[0].modifierGroups.${sides}.subProducts[1]`,
      `option ${id("0505")} is missing`
    ))

  it("a category referencing a missing product", () =>
    rejects(
      edited(menuSync, [0, "products", halloumi]),
      "[0].categories[2].products[0]",
      `product ${halloumi} is missing`
    ))

  it("a sub-category that is not in the menu", () =>
    rejects(
      edited(menuSync, [0, "categories", 0, "subCategories", 1], "nope"),
      "[0].categories[0].subCategories[1]",
      "category nope is not in this menu"
    ))

  it("sub-categories nested two levels deep", () =>
    rejects(
      edited(menuSync, [0, "categories", 1, "subCategories"], [id("0103")]),
      "[0].categories[0].subCategories[0]",
      "nest one level only"
    ))

  it("a category that is its own sub-category", () =>
    rejects(
      edited(menuSync, [0, "categories", 3, "subCategories"], [id("0104")]),
      "[0].categories[3].subCategories[0]",
      "has sub-categories of its own"
    ))

  it("a sub-category under two parents", () =>
    rejects(
      edited(menuSync, [0, "categories", 3, "subCategories"], [id("0103")]),
      "[0].categories[3].subCategories[0]",
      `category ${id("0103")} is already a sub-category of ${id("0101")}`
    ))

  it("an inline sub-category reusing another category's id", () =>
    rejects(
      edited(menuSync, [0, "categories", 3, "subCategories", 0, "_id"], id("0101")),
      "[0].categories[3].subCategories[0]._id",
      "one id, two sections"
    ))

  it("one id describing two different products", () =>
    rejects(
      edited(menuSync, [1, "products", burger, "price"], 1750),
      `[1].products.${burger}`,
      `also described at [0].products.${burger}`
    ))

  it("one id describing two different modifier groups", () =>
    rejects(edited(menuSync, [1, "modifierGroups", extras, "max"], 5), `[1].modifierGroups.${extras}`, "differently"))

  it("a map key that differs from the item's _id", () =>
    rejects(
      edited(menuSync, [0, "modifiers", id("0501"), "_id"], "other"),
      `[0].modifiers.${id("0501")}._id`,
      "differs from its key"
    ))

  it("min above max", () =>
    rejects(
      edited(menuSync, [0, "modifierGroups", cooking, "min"], 2),
      `[0].modifierGroups.${cooking}.min`,
      "min 2 exceeds max 1"
    ))

  it("nested modifiers (a modifier with groups of its own)", () =>
    rejects(
      edited(menuSync, [0, "modifiers", id("0504"), "subProducts"], [milk]),
      `[0].modifiers.${id("0504")}.subProducts`,
      "nested modifiers"
    ))

  it("a product with its own groups offered as an option", () =>
    rejects(
      edited(menuSync, [0, "bundles", drinkBundle, "subProducts"], [flatWhite]),
      `[0].bundles.${drinkBundle}.subProducts[0]`,
      "nested modifiers"
    ))

  it("an unreadable snooze end", () =>
    rejects(
      edited(menuSync, [0, "snoozedProducts", id("0901"), "snoozeEnd"], "tomorrow"),
      `[0].snoozedProducts.${id("0901")}.snoozeEnd`,
      "not a Deliverect date-time"
    ))

  it("names the first ten problems, each once, however many items are broken", async () => {
    const products = Object.fromEntries(
      Array.from({ length: 25 }, (_, i) => [
        `p${i}`,
        { name: "X", plu: `P${i}`, price: 100, snoozed: true, snoozeEnd: "never" }
      ])
    )
    const issues = issuesOf(await failed(decode([{ menu: "M", menuId: "m", channelLinkId: "c", products }])))
    expect(issues).toEqual(
      Array.from({ length: 10 }, (_, i) => ({
        path: `[0].products.p${i}.snoozeEnd`,
        message: "not a Deliverect date-time: never"
      }))
    )
  })

  it("a synchronous menu without its channelLinkId", () =>
    rejects(edited(menuSync, [1, "channelLinkId"]), "[1].channelLinkId", "is missing"))

  it("an asynchronous push with a callback that is no URL", () =>
    rejects(edited(menuAsync, ["body", "callback"], "menuStatus/1"), "body.callback", 'got "menuStatus/1"'))

  it.each(fixtures.foreignCatalogs)("another vendor's payload: $name", async ({ payload }) => {
    expect(issuesOf(await failed(decode(payload)))).toEqual([
      { path: "(root)", message: expect.stringContaining("not a Deliverect menu push") }
    ])
  })

  it("a Lightspeed businesses answer", async () => {
    expect(issuesOf(await failed(decode(foreignLightspeedBusinesses))).length).toBeGreaterThan(0)
  })
})

describe("decodeCatalog: never a defect", () => {
  const typedOutcome = async (payload: unknown) => {
    const result = await outcome(decode(payload))
    if (result._tag === "Failure") expect(result.failure._tag).toBe("PayloadRejected")
    else expect(brokenInvariants(result.success)).toEqual([])
  }

  it("arbitrary values", async () => {
    await fc.assert(fc.asyncProperty(fc.anything(), typedOutcome), { numRuns: 300 })
  })

  it("arbitrary JSON", async () => {
    await fc.assert(fc.asyncProperty(fc.jsonValue(), typedOutcome), { numRuns: 300 })
  })

  // Every place of a real payload, replaced with anything JSON: decoded or rejected, never thrown.
  const pathsOf = (
    value: unknown,
    prefix: ReadonlyArray<string | number> = []
  ): Array<ReadonlyArray<string | number>> =>
    typeof value === "object" && value !== null
      ? Object.entries(value).flatMap(([key, child]) => {
          const path = [...prefix, Array.isArray(value) ? Number(key) : key]
          return [path, ...pathsOf(child, path)]
        })
      : []

  for (const [name, payload] of [
    ["synchronous", menuSync],
    ["asynchronous", menuAsync]
  ] as const) {
    it(`a ${name} push with one place replaced or removed`, async () => {
      const paths = pathsOf(payload)
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...paths), fc.option(fc.jsonValue(), { nil: undefined }), (path, value) =>
          typedOutcome(edited(payload, path, value))
        ),
        { numRuns: 400 }
      )
    })
  }
})
