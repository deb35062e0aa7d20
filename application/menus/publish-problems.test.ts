import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { MenuContent, MenuItem } from "../../domain/menu.ts"
import { type PublishFacts, publishProblems, type StoreFacts } from "./publish-problems.ts"

const store = (provider: string, pricesOrdersItself: boolean, prices: Record<string, number>): StoreFacts => ({
  provider,
  pricesOrdersItself,
  prices: new Map(Object.entries(prices))
})

const item = (productId: string, basePrice: number | null = null, specialPrice: number | null = null): MenuItem => ({
  productId,
  position: 0,
  basePrice,
  specialPrice
})

const content = (items: ReadonlyArray<MenuItem>, storeIds: ReadonlyArray<string>): MenuContent => ({
  name: "m",
  description: null,
  sections: [{ sectionId: "sec_1", name: "s", displayType: "LIST", position: 0, items }],
  hours: null,
  storeIds
})

describe("publish problems", () => {
  const facts: PublishFacts = {
    products: new Map([
      ["p1", { exists: true, active: true }],
      ["p2", { exists: true, active: true }],
      ["gone", { exists: true, active: false }]
    ]),
    stores: new Map([
      ["self", store("lightspeed", true, { p1: 500 })],
      ["lines", store("deliverect", false, { p1: 450, p2: 300 })]
    ])
  }

  it("accept a menu priced as the POS that prices orders itself, and freely where the POS takes line prices", () => {
    expect(publishProblems(content([item("p1", 500), item("p2", 900, 100)], ["self", "lines"]), facts)).toEqual([])
    expect(publishProblems(content([item("p1")], ["self"]), facts)).toEqual([])
  })

  it("list every problem with its path, in the order of the draft", () => {
    const draft: MenuContent = {
      ...content(
        [item("p1", 600), item("nope"), item("gone"), item("p2", 200, 250), item("p1", null, 480)],
        ["lines", "elsewhere", "self"]
      ),
      hours: {
        timezone: "Europe/Amsterdam",
        weekly: [
          { dayOfWeek: 1, opens: "09:00", closes: "12:00" },
          { dayOfWeek: 1, opens: "11:00", closes: "13:00" }
        ],
        exceptions: []
      }
    }
    expect(publishProblems(draft, facts).map((p) => `${p.path}: ${p.message}`)).toEqual([
      "draft.sections[0].items[0].basePrice: outlet 'self' is priced by its POS (lightspeed prices orders itself), at 500, got 600",
      'draft.sections[0].items[1].productId: is not a product of this tenant, got "nope"',
      'draft.sections[0].items[2].productId: is inactive: no outlet\'s POS sells it any more, got "gone"',
      "draft.sections[0].items[3].specialPrice: must be at most basePrice (200), got 250",
      "draft.sections[0].items[4].specialPrice: must be at most the base price, which is the POS price at outlet 'lines' (450), got 480",
      "draft.sections[0].items[4].specialPrice: outlet 'self' is priced by its POS (lightspeed prices orders itself), at 500, got 480",
      "draft.hours.weekly[1]: overlaps draft.hours.weekly[0] (Monday 09:00 to 12:00)",
      'draft.outletIds[1]: is not an outlet of this tenant, got "elsewhere"'
    ])
    expect(publishProblems(content([], []), facts)).toEqual([
      { path: "draft.outletIds", message: "names no outlet: a menu is published to at least one" }
    ])
  })

  it("find exactly the one fault put into an otherwise publishable menu", () => {
    // Products p0..p(n-1) sold at every outlet at 100 + i; outlets s0..s(k-1), some pricing orders themselves.
    const arbitrary = fc.record({
      products: fc.integer({ min: 1, max: 8 }),
      selfPricing: fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }),
      prices: fc.array(fc.option(fc.integer({ min: 0, max: 50 }), { nil: null }), { minLength: 8, maxLength: 8 }),
      fault: fc.constantFrom("unknown", "inactive", "special-above-base", "self-priced", "foreign-store"),
      at: fc.nat()
    })
    fc.assert(
      fc.property(arbitrary, ({ products, selfPricing, prices, fault, at }) => {
        const ids = Array.from({ length: products }, (_, i) => `p${i}`)
        const posPrice = (i: number) => 100 + i
        const storeFacts = new Map(
          selfPricing.map((self, s) => [
            `s${s}`,
            store("pos", self, Object.fromEntries(ids.map((id, i) => [id, posPrice(i)])))
          ])
        )
        const productFacts = new Map(ids.map((id) => [id, { exists: true, active: true }]))
        // A valid menu: where any outlet prices orders itself, only its prices; else any (special <= base).
        const items = ids.map((id, i) => {
          const offset = prices[i]
          if (selfPricing.some(Boolean) || offset === null || offset === undefined) return item(id)
          return item(id, posPrice(i) + offset, posPrice(i))
        })
        const valid = content(items, [...storeFacts.keys()])
        expect(publishProblems(valid, { products: productFacts, stores: storeFacts })).toEqual([])

        const i = at % products
        const broken = [...items]
        let expected: string
        switch (fault) {
          case "unknown":
            productFacts.set(ids[i]!, { exists: false, active: false })
            expected = `draft.sections[0].items[${i}].productId`
            break
          case "inactive":
            productFacts.set(ids[i]!, { exists: true, active: false })
            expected = `draft.sections[0].items[${i}].productId`
            break
          case "special-above-base":
            broken[i] = item(ids[i]!, 1, 2)
            expected = `draft.sections[0].items[${i}].specialPrice`
            if (selfPricing.some(Boolean)) return // then the prices also differ from the POS's: more than one fault
            break
          case "self-priced":
            if (!selfPricing.some(Boolean)) return
            broken[i] = item(ids[i]!, posPrice(i) + 1)
            expected = `draft.sections[0].items[${i}].basePrice`
            break
          case "foreign-store":
            expected = `draft.outletIds[${selfPricing.length}]`
            break
        }
        const storeIds = fault === "foreign-store" ? [...storeFacts.keys(), "elsewhere"] : [...storeFacts.keys()]
        const problems = publishProblems(content(broken, storeIds), { products: productFacts, stores: storeFacts })
        const paths = [...new Set(problems.map((p) => p.path))]
        expect(paths).toEqual([expected])
      })
    )
  })
})
