import type { CatalogSnapshot } from "@pos-integration/sdk"
import { describe, expect, it } from "vitest"
import { fixtures, payloads } from "./fixtures/index.ts"
import plugin from "./index.ts"
import { clone, rejected, succeed } from "./test-support.ts"

const sgd = { externalOutletId: "45454565682155", currency: "SGD" } as const
const jpy = { externalOutletId: "141948669832802", currency: "JPY" } as const

const noodleFirmness = {
  externalId: "7001",
  posCode: null,
  name: "Noodle firmness",
  min: 0,
  max: 1,
  maxPerOption: 1,
  optionIds: ["7002", "7003", "7004"]
}

const ramen = (sku: string, name: string, price: number) => ({
  externalId: sku,
  posCode: sku,
  name,
  description: null,
  imageUrl: null,
  price,
  taxRatePpm: 100000,
  modifierGroupIds: ["7001"],
  snoozedUntil: null
})

/** The whole expected snapshot of the Ramen Bar menu load, field by field. */
const ramenBar: CatalogSnapshot = {
  outletIds: [],
  products: [
    ramen("R-01", "Tonkotsu Ramen", 1200),
    ramen("R-02", "Shoyu Ramen", 1100),
    { ...ramen("S-01", "Gyoza (6)", 600), modifierGroupIds: [] },
    // 9.975% (given as a string) is exact in parts per million.
    { ...ramen("D-01", "Asahi Draft", 700), modifierGroupIds: [], taxRatePpm: 99750 }
  ],
  modifierGroups: [noodleFirmness],
  modifierOptions: [
    { externalId: "7002", posCode: "7002", name: "Soft", price: 0, snoozedUntil: null },
    { externalId: "7003", posCode: "7003", name: "Regular", price: 0, snoozedUntil: null },
    { externalId: "7004", posCode: "7004", name: "Firm", price: 0, snoozedUntil: null }
  ],
  menus: [
    {
      externalId: "141948669132999",
      name: "Ramen Bar",
      availabilities: [],
      sections: [
        { externalId: "menuEntryGroups[0]", name: "Ramen", position: 0, productIds: ["R-01", "R-02"], subSections: [] },
        {
          externalId: "menuEntryGroups[1]",
          name: "Sides",
          position: 1,
          productIds: ["S-01"],
          subSections: [
            { externalId: "141948669133999", name: "Drinks", position: 0, productIds: ["D-01"], subSections: [] }
          ]
        },
        { externalId: "menuEntryGroups[2]", name: "Chef's picks", position: 2, productIds: ["R-01"], subSections: [] }
      ]
    }
  ],
  callback: null
}

describe("decodeCatalog: fixtures", () => {
  it("decodes the Ramen Bar menu load to exactly the expected snapshot (JPY, string prices, groups without id)", async () => {
    expect(await succeed(plugin.decodeCatalog(payloads.menuRamenBar, jpy))).toEqual(ramenBar)
  })

  it("every fixture decodes to the counts it declares", async () => {
    for (const fixture of fixtures.catalogs) {
      const snapshot = await succeed(plugin.decodeCatalog(fixture.payload, fixture.context))
      expect({
        outletIds: snapshot.outletIds,
        products: snapshot.products.length,
        modifierGroups: snapshot.modifierGroups.length,
        modifierOptions: snapshot.modifierOptions.length,
        menus: snapshot.menus.length
      }).toEqual(fixture.expected)
    }
  })

  describe("All Day Menu (SGD)", async () => {
    const snapshot = await succeed(plugin.decodeCatalog(payloads.menuAllDay, sgd))
    const product = (sku: string) => snapshot.products.find((p) => p.externalId === sku)
    const group = (id: string) => snapshot.modifierGroups.find((g) => g.externalId === id)
    const menu = snapshot.menus[0]!

    it("keys products by SKU, orders them by SKU, prices them in cents exactly", () => {
      expect(snapshot.products.map((p) => [p.externalId, p.posCode, p.price])).toEqual([
        ["25", "25", 1850],
        ["31", "31", 3200],
        ["33", "33", 2890],
        ["26", "26", 1600],
        ["27", "27", 950],
        ["58", "58", 450],
        ["51", "51", 580],
        ["55", "55", 420],
        ["70", "70", 1200],
        ["71", "71", 850]
      ])
    })

    it("maps the rich data, the tax rate and the production instruction groups of a product", () => {
      expect(product("25")).toEqual({
        externalId: "25",
        posCode: "25",
        name: "Wagyu Burger",
        description: "A5 wagyu patty, aged cheddar, brioche bun",
        imageUrl:
          "https://s3-eu-west-1.amazonaws.com/com.ikentoo.trial.rich-content-store/8262_2f6c1716-0f06-488c-afc2-d888666d94fb_raw.image/png",
        price: 1850,
        taxRatePpm: 90000,
        modifierGroupIds: ["236025632784487", "236025632784510"],
        snoozedUntil: null
      })
      expect(product("71")?.taxRatePpm).toBeNull()
    })

    it("maps multiSelectionPermitted to min/max: single choice 0..1, multiple 0..all, each option once", () => {
      expect(group("236025632784487")).toEqual({
        externalId: "236025632784487",
        posCode: null,
        name: "Meat cooking",
        min: 0,
        max: 1,
        maxPerOption: 1,
        optionIds: [
          "236025632784488",
          "236025632784490",
          "236025632784492",
          "236025632784494",
          "236025632784496",
          "236025632784498"
        ]
      })
      expect(group("236025632784510")).toMatchObject({ name: "Burger instructions", min: 0, max: 3, maxPerOption: 1 })
    })

    it("production instructions are free options ordered by their ikentooModifierId", () => {
      expect(snapshot.modifierOptions.find((o) => o.externalId === "236025632784490")).toEqual({
        externalId: "236025632784490",
        posCode: "236025632784490",
        name: "Rare",
        price: 0,
        snoozedUntil: null
      })
      expect(snapshot.modifierOptions.every((o) => o.price === 0)).toBe(true)
    })

    it("lists a group shared by several products once", () => {
      expect(snapshot.modifierGroups.filter((g) => g.externalId === "236025632784487")).toHaveLength(1)
      expect(
        snapshot.products.filter((p) => p.modifierGroupIds.includes("236025632784487")).map((p) => p.externalId)
      ).toEqual(["25", "31", "27"])
    })

    it("makes menu screens sections and sub-screens sub-sections, in display order", () => {
      expect(menu.externalId).toBe("141948669132851")
      expect(menu.name).toBe("All Day Menu")
      expect(
        menu.sections.map((s) => ({
          id: s.externalId,
          name: s.name,
          position: s.position,
          productIds: s.productIds,
          sub: s.subSections.map((sub) => [
            sub.externalId,
            sub.name,
            sub.position,
            sub.productIds,
            sub.subSections.length
          ])
        }))
      ).toEqual([
        {
          id: "141948669133028",
          name: "Mains",
          position: 0,
          productIds: ["25", "31", "33"],
          sub: [
            ["141948669133101", "Burgers", 0, ["25", "26"], 0],
            // The third-level "Kids drinks" screen is flattened into "Kids".
            ["141948669133102", "Kids", 1, ["27", "58"], 0]
          ]
        },
        { id: "141948669133200", name: "Drinks", position: 1, productIds: ["51", "55"], sub: [] },
        { id: "141948669133300", name: "Desserts", position: 2, productIds: ["70", "71"], sub: [] }
      ])
    })

    it("keeps a product listed in two screens as one product in two sections", () => {
      expect(snapshot.products.filter((p) => p.externalId === "25")).toHaveLength(1)
      expect(menu.sections[0]?.productIds).toContain("25")
      expect(menu.sections[0]?.subSections[0]?.productIds).toContain("25")
    })

    it("does not import combos (menuDeal) nor sub-items sold only with a main item", () => {
      expect(product("90")).toBeUndefined()
      expect(product("52")).toBeUndefined()
    })

    it("names no outlet, no availabilities, no snoozes and no callback: the menu load has none", () => {
      expect(snapshot.outletIds).toEqual([])
      expect(menu.availabilities).toEqual([])
      expect(snapshot.products.every((p) => p.snoozedUntil === null)).toBe(true)
      expect(snapshot.modifierOptions.every((o) => o.snoozedUntil === null)).toBe(true)
      expect(snapshot.callback).toBeNull()
    })
  })

  it("is deterministic: the same payload always gives the same snapshot", async () => {
    for (const fixture of fixtures.catalogs) {
      const first = await succeed(plugin.decodeCatalog(fixture.payload, fixture.context))
      const second = await succeed(plugin.decodeCatalog(clone(fixture.payload), fixture.context))
      expect(JSON.stringify(second)).toBe(JSON.stringify(first))
    }
  })
})

describe("decodeCatalog: money", () => {
  const withPrice = (price: unknown) => ({
    ikentooMenuId: 1,
    menuName: "One item",
    menuEntryGroups: [
      {
        "@type": "group",
        id: "1",
        name: "All",
        menuEntry: [{ "@type": "menuItem", productName: "X", productPrice: price, sku: "X" }]
      }
    ]
  })
  const priceOf = async (price: unknown, currency: string | null) => {
    const snapshot = await succeed(plugin.decodeCatalog(withPrice(price), { externalOutletId: null, currency }))
    return snapshot.products[0]?.price
  }

  it("converts decimals exactly, never through floating point", async () => {
    expect(await priceOf(0.1, "SGD")).toBe(10)
    expect(await priceOf(1.15, "SGD")).toBe(115)
    expect(await priceOf(19.99, "SGD")).toBe(1999)
    expect(await priceOf("10.50", "SGD")).toBe(1050)
    expect(await priceOf(1e-7 * 0, "SGD")).toBe(0)
  })

  it("uses the context currency's decimals, or 2 when it is unknown", async () => {
    expect(await priceOf(1200, "JPY")).toBe(1200)
    expect(await priceOf(1.234, "KWD")).toBe(1234)
    expect(await priceOf(12.5, null)).toBe(1250)
  })

  it("refuses amounts the currency cannot hold, and negative prices, naming the path", async () => {
    const tooPrecise = await rejected(plugin.decodeCatalog(withPrice(10.005), sgd))
    expect(tooPrecise.issues[0]?.path).toBe("menuEntryGroups[0].menuEntry[0].productPrice")
    const yen = await rejected(plugin.decodeCatalog(withPrice(1200.5), jpy))
    expect(yen.issues[0]?.path).toBe("menuEntryGroups[0].menuEntry[0].productPrice")
    const negative = await rejected(plugin.decodeCatalog(withPrice(-1), sgd))
    expect(negative.issues[0]).toMatchObject({ path: "menuEntryGroups[0].menuEntry[0].productPrice" })
    expect((await rejected(plugin.decodeCatalog(withPrice("ten"), sgd))).issues[0]?.path).toBe(
      "menuEntryGroups[0].menuEntry[0].productPrice"
    )
  })
})

describe("decodeCatalog: tax", () => {
  const withTax = (percentage: unknown) => ({
    ikentooMenuId: 1,
    menuName: "One item",
    menuEntryGroups: [
      {
        "@type": "group",
        id: "1",
        name: "All",
        menuEntry: [
          { "@type": "menuItem", productName: "X", productPrice: 1, sku: "X", defaultTaxPercentage: percentage }
        ]
      }
    ]
  })
  const rateOf = async (percentage: unknown) =>
    (await succeed(plugin.decodeCatalog(withTax(percentage), sgd))).products[0]?.taxRatePpm
  const path = "menuEntryGroups[0].menuEntry[0].defaultTaxPercentage"

  it("converts the decimal percentage to parts per million exactly, by its digits", async () => {
    expect(await rateOf(8.875)).toBe(88750)
    expect(await rateOf(9)).toBe(90000)
    expect(await rateOf(9.975)).toBe(99750)
    expect(await rateOf("9.975")).toBe(99750)
    expect(await rateOf("8.87500")).toBe(88750)
    expect(await rateOf(0.0001)).toBe(1)
    expect(await rateOf(0)).toBe(0)
    expect(await rateOf(100)).toBe(1_000_000)
    // 0.07 * 10000 is 700.0000000000001 in floating point: digits, not multiplication.
    expect(await rateOf(0.07)).toBe(700)
    expect(await rateOf(null)).toBeNull()
  })

  it("refuses more than 4 decimals, never rounding, and anything that is no non-negative percentage, naming the path", async () => {
    for (const percentage of [9.97501, "8.87549", 1e-7, 0.00001]) {
      const error = await rejected(plugin.decodeCatalog(withTax(percentage), sgd))
      expect(error.issues).toEqual([{ path, message: expect.stringContaining("more than 4 decimals") }])
    }
    for (const percentage of [-1, "-0.5", "nine", "", "1e3", 1e21]) {
      const error = await rejected(plugin.decodeCatalog(withTax(percentage), sgd))
      expect(error.issues[0]?.path).toBe(path)
    }
  })
})

describe("decodeCatalog: identities", () => {
  type Entry = Record<string, unknown>
  const menuOf = () => clone(payloads.menuAllDay) as { menuEntryGroups: Array<{ menuEntry: Array<Entry> }> }

  it("refuses one SKU describing two different products, naming both places", async () => {
    const menu = menuOf()
    menu.menuEntryGroups[1]!.menuEntry[0]!["sku"] = "25"
    const error = await rejected(plugin.decodeCatalog(menu, sgd))
    expect(error.issues[0]?.path).toBe("menuEntryGroups[1].menuEntry[0].sku")
    expect(error.issues[0]?.message).toContain('sku "25"')
    expect(error.issues[0]?.message).toContain("menuEntryGroups[0].menuEntry[0].sku")
  })

  it("refuses one production instruction group id describing two different groups", async () => {
    const menu = menuOf()
    const steak = menu.menuEntryGroups[0]!.menuEntry[1]! as { productionInstructionList: Array<Entry> }
    steak.productionInstructionList[0]!["multiSelectionPermitted"] = true
    const error = await rejected(plugin.decodeCatalog(menu, sgd))
    expect(error.issues[0]?.path).toBe(
      "menuEntryGroups[0].menuEntry[1].productionInstructionList[0].productionIntructionGroupId"
    )
    expect(error.issues[0]?.message).toContain("236025632784487")
  })

  it("refuses one ikentooModifierId naming two different instructions", async () => {
    const menu = menuOf()
    const salmon = menu.menuEntryGroups[0]!.menuEntry[2]! as {
      productionInstructionList: Array<{ productionInstructionList: Array<Entry> }>
    }
    salmon.productionInstructionList[0]!.productionInstructionList[0]!["ikentooModifierId"] = 236025632784490
    const error = await rejected(plugin.decodeCatalog(menu, sgd))
    expect(error.issues[0]?.path).toBe(
      "menuEntryGroups[0].menuEntry[2].productionInstructionList[0].productionInstructionList[0].ikentooModifierId"
    )
  })

  it("refuses one screen id naming two different screens, naming both places", async () => {
    const menu = menuOf() as { menuEntryGroups: Array<Entry> }
    menu.menuEntryGroups.push({ ...clone(menu.menuEntryGroups[2]!), name: "Puddings" })
    const error = await rejected(plugin.decodeCatalog(menu, sgd))
    expect(error.issues[0]?.path).toBe("menuEntryGroups[3]")
    expect(error.issues[0]?.message).toContain("141948669133300")
    expect(error.issues[0]?.message).toContain("menuEntryGroups[2]")
  })

  it("refuses one sub-screen id naming two different sub-screens of one screen", async () => {
    const menu = menuOf()
    const mains = menu.menuEntryGroups[0]!.menuEntry
    const sub = mains.findIndex((entry) => entry["@type"] === "group")
    mains.push({ ...clone(mains[sub]!), name: "Renamed" })
    const error = await rejected(plugin.decodeCatalog(menu, sgd))
    expect(error.issues[0]?.path).toBe(`menuEntryGroups[0].menuEntry[${mains.length - 1}]`)
    expect(error.issues[0]?.message).toContain(`menuEntryGroups[0].menuEntry[${sub}]`)
  })

  it("keeps ids above 2^53 exact when sent as strings, and refuses them as rounded numbers", async () => {
    const menu = clone(payloads.menuRamenBar) as Record<string, unknown>
    menu["ikentooMenuId"] = "9007199254740993"
    expect((await succeed(plugin.decodeCatalog(menu, jpy))).menus[0]?.externalId).toBe("9007199254740993")
    menu["ikentooMenuId"] = 2 ** 53 + 2
    const error = await rejected(plugin.decodeCatalog(menu, jpy))
    expect(error.issues[0]?.path).toBe("ikentooMenuId")
  })
})
