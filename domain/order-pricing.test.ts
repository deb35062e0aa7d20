import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { FulfilmentType } from "./catalog.ts"
import {
  chargeKinds,
  type DiscountType,
  discountTypes,
  fulfilmentTypes,
  type NotOrderableReason,
  type Order,
  type OrderableGroup,
  type OrderableMenu,
  type OrderableOption,
  type OrderableProduct,
  type OrderChargeRequest,
  type OrderDiscountRequest,
  type OrderItemRequest,
  type OrderProblem,
  type OrderRequest,
  type PricedOrder,
  type TaxSettings
} from "./order.ts"
import { posOrderProblems, toPosOrder } from "./order-pos.ts"
import { allocate, type PricingResult, priceOrder } from "./order-pricing.ts"

// ---------------------------------------------------------------------------------------------
// Builders

const option = (optionId: string, price: number, over: Partial<OrderableOption> = {}): OrderableOption => ({
  optionId,
  posCode: `MOD-${optionId}`,
  name: `Option ${optionId}`,
  price,
  available: true,
  ...over
})

const group = (
  modifierGroupId: string,
  name: string,
  min: number,
  max: number,
  options: ReadonlyArray<OrderableOption>,
  maxPerOption = 1
): OrderableGroup => ({ modifierGroupId, name, min, max, maxPerOption, options })

const product = (productId: string, price: number | null, over: Partial<OrderableProduct> = {}): OrderableProduct => ({
  productId,
  posCode: `PLU-${productId}`,
  name: `Product ${productId}`,
  price,
  posPrice: price,
  unavailable: null,
  taxRatesPpm: {},
  taxRatePpm: null,
  modifierGroups: [],
  ...over
})

const menuOf = (products: ReadonlyArray<OrderableProduct>, over: Partial<OrderableMenu> = {}): OrderableMenu => ({
  outletId: "out_1",
  outletExternalId: "ext-out-1",
  provider: "deliverect",
  currency: "SGD",
  outletActive: true,
  source: "pos",
  menus: [],
  products: new Map(products.map((p) => [p.productId, p] as const)),
  ...over
})

const noTax: TaxSettings = {
  outletTaxInclusive: null,
  outletTaxRatePpm: null,
  tenantTaxInclusive: false,
  tenantTaxRatePpm: null
}

const taxed = (ratePpm: number, inclusive: boolean): TaxSettings => ({
  ...noTax,
  tenantTaxInclusive: inclusive,
  tenantTaxRatePpm: ratePpm
})

/** A line of `quantity` of a product, with its options as [optionId, quantity] pairs. */
const item = (
  productId: string,
  quantity = 1,
  ...modifiers: ReadonlyArray<readonly [string, number]>
): OrderItemRequest => ({
  productId,
  quantity,
  note: null,
  modifiers: modifiers.map(([optionId, q]) => ({ optionId, quantity: q }))
})

const noted = (line: OrderItemRequest, note: string | null): OrderItemRequest => ({ ...line, note })

interface RequestParts {
  readonly amount?: number
  readonly charges?: ReadonlyArray<OrderChargeRequest>
  readonly discounts?: ReadonlyArray<OrderDiscountRequest>
  readonly type?: FulfilmentType
}

const request = (items: ReadonlyArray<OrderItemRequest>, parts: RequestParts = {}): OrderRequest => ({
  refCode: "ORDER-1",
  outletId: "out_1",
  fulfilment: { type: parts.type ?? "PICKUP", asap: true, scheduledFor: null, table: null, address: null },
  customer: { customerId: null, name: "Tan Wei", phone: null, email: null },
  items,
  charges: parts.charges ?? [],
  discounts: parts.discounts ?? [],
  payment: { status: "PAID", amount: parts.amount ?? 0, method: "card", reference: null },
  notes: null,
  displayId: null
})

const discount = (
  amount: number,
  type: DiscountType = "VOUCHER",
  name: string | null = null
): OrderDiscountRequest => ({
  type,
  name,
  reference: null,
  amount
})

const linePrices = { linePrices: true }

const expectPriced = (result: PricingResult): PricedOrder => {
  if (result._tag === "Refused") throw new Error(`refused: ${JSON.stringify(result.problems, null, 2)}`)
  return result.priced
}

const expectRefused = (result: PricingResult): ReadonlyArray<OrderProblem> => {
  if (result._tag === "Priced") throw new Error(`priced: ${JSON.stringify(result.priced.totals)}`)
  return result.problems
}

// A café: a latte with a required size, an optional milk and up to three syrup pumps (two of a kind at most).
const large = option("o_large", 100)
const small = option("o_small", 0)
const oat = option("o_oat", 80)
const soy = option("o_soy", 60, { available: false })
const vanilla = option("o_vanilla", 50)
const caramel = option("o_caramel", 50)
const latte = product("p_latte", 550, {
  name: "Latte",
  modifierGroups: [
    group("g_size", "Size", 1, 1, [small, large]),
    group("g_milk", "Milk", 0, 1, [oat, soy]),
    group("g_syrup", "Syrups", 0, 3, [vanilla, caramel], 2)
  ]
})
const cookie = product("p_cookie", 300, { name: "Cookie" })
const cafe = menuOf([latte, cookie])

// ---------------------------------------------------------------------------------------------
// Rules, by example

describe("priceOrder: prices", () => {
  it("prices a line as quantity × (unit price + each option's price × its quantity)", () => {
    const order = request(
      [noted(item("p_latte", 2, ["o_large", 1], ["o_vanilla", 2]), "extra hot"), item("p_cookie", 3)],
      { amount: 2400 }
    )
    const priced = expectPriced(priceOrder(order, cafe, noTax, linePrices))
    expect(priced.lines).toEqual([
      {
        lineNo: 1,
        productId: "p_latte",
        posCode: "PLU-p_latte",
        name: "Latte",
        quantity: 2,
        unitPrice: 550,
        note: "extra hot",
        modifiers: [
          {
            optionId: "o_large",
            modifierGroupId: "g_size",
            posCode: "MOD-o_large",
            name: "Option o_large",
            quantity: 1,
            unitPrice: 100
          },
          {
            optionId: "o_vanilla",
            modifierGroupId: "g_syrup",
            posCode: "MOD-o_vanilla",
            name: "Option o_vanilla",
            quantity: 2,
            unitPrice: 50
          }
        ],
        subtotal: 1500,
        discount: 0,
        tax: { ratePpm: null, amount: 0 },
        total: 1500
      },
      {
        lineNo: 2,
        productId: "p_cookie",
        posCode: "PLU-p_cookie",
        name: "Cookie",
        quantity: 3,
        unitPrice: 300,
        note: null,
        modifiers: [],
        subtotal: 900,
        discount: 0,
        tax: { ratePpm: null, amount: 0 },
        total: 900
      }
    ])
    expect(priced.totals).toEqual({ subtotal: 2400, charges: 0, discount: 0, tax: 0, total: 2400 })
    expect(priced.currency).toBe("SGD")
    expect(priced.taxInclusive).toBe(false)
  })

  it("adds tax on top where prices exclude it, rounded half-up per line", () => {
    const menu = menuOf([product("p_a", 1005), product("p_b", 1050)])
    // 9% of 1005 is 90.45 (90); 9% of 1050 is 94.5 (95).
    const priced = expectPriced(
      priceOrder(request([item("p_a"), item("p_b")], { amount: 2240 }), menu, taxed(90_000, false), linePrices)
    )
    expect(priced.lines.map((l) => [l.tax, l.total])).toEqual([
      [{ ratePpm: 90_000, amount: 90 }, 1095],
      [{ ratePpm: 90_000, amount: 95 }, 1145]
    ])
    expect(priced.totals).toEqual({ subtotal: 2055, charges: 0, discount: 0, tax: 185, total: 2240 })
    expect(priced.taxInclusive).toBe(false)
  })

  it("finds the tax inside the price where prices include it; the total does not grow", () => {
    const menu = menuOf([product("p_a", 1000), product("p_b", 1090)])
    // 1000 × 9/109 = 82.57 (83); 1090 × 9/109 = 90.
    const priced = expectPriced(
      priceOrder(request([item("p_a"), item("p_b")], { amount: 2090 }), menu, taxed(90_000, true), linePrices)
    )
    expect(priced.lines.map((l) => [l.tax.amount, l.total])).toEqual([
      [83, 1000],
      [90, 1090]
    ])
    expect(priced.totals).toEqual({ subtotal: 2090, charges: 0, discount: 0, tax: 173, total: 2090 })
    expect(priced.taxInclusive).toBe(true)
  })

  it("rounds an exact half up, inclusive or not", () => {
    // At 100%, 5 holds 2.5 of tax (3); at 50% on top, 5 owes 2.5 (3).
    const menu = menuOf([product("p_a", 5)])
    const inclusive = expectPriced(
      priceOrder(request([item("p_a")], { amount: 5 }), menu, taxed(1_000_000, true), linePrices)
    )
    expect(inclusive.lines[0]?.tax.amount).toBe(3)
    const exclusive = expectPriced(
      priceOrder(request([item("p_a")], { amount: 8 }), menu, taxed(500_000, false), linePrices)
    )
    expect(exclusive.lines[0]?.tax.amount).toBe(3)
    // 4.4999: down.
    const below = expectPriced(
      priceOrder(request([item("p_a")], { amount: 9 }), menu, taxed(899_980, false), linePrices)
    )
    expect(below.lines[0]?.tax.amount).toBe(4)
  })

  it("the outlet's inclusiveness wins over the tenant's", () => {
    const menu = menuOf([product("p_a", 1090)])
    const tax: TaxSettings = { ...taxed(90_000, false), outletTaxInclusive: true }
    expect(expectPriced(priceOrder(request([item("p_a")], { amount: 1090 }), menu, tax, linePrices)).totals.tax).toBe(
      90
    )
    const exclusive: TaxSettings = { ...taxed(90_000, true), outletTaxInclusive: false }
    expect(
      expectPriced(priceOrder(request([item("p_a")], { amount: 1188 }), menu, exclusive, linePrices)).totals.tax
    ).toBe(98)
  })

  it("takes the product's rate for the fulfilment type, else its own, else the outlet's, else the tenant's, else none", () => {
    const menu = menuOf([
      product("p_typed", 1000, { taxRatesPpm: { DELIVERY: 70_000, PICKUP: 50_000 }, taxRatePpm: 80_000 }),
      product("p_zero", 1000, { taxRatesPpm: { DELIVERY: 0 }, taxRatePpm: 80_000 }),
      product("p_own", 1000, { taxRatesPpm: { PICKUP: 50_000 }, taxRatePpm: 80_000 }),
      product("p_plain", 1000)
    ])
    const items = [item("p_typed"), item("p_zero"), item("p_own"), item("p_plain")]
    const rates = (tax: TaxSettings, amount: number) =>
      expectPriced(priceOrder(request(items, { type: "DELIVERY", amount }), menu, tax, linePrices)).lines.map(
        (l) => l.tax
      )
    const outlet: TaxSettings = { ...taxed(90_000, false), outletTaxRatePpm: 60_000 }
    expect(rates(outlet, 4000 + 70 + 0 + 80 + 60)).toEqual([
      { ratePpm: 70_000, amount: 70 },
      { ratePpm: 0, amount: 0 },
      { ratePpm: 80_000, amount: 80 },
      { ratePpm: 60_000, amount: 60 }
    ])
    expect(rates(taxed(90_000, false), 4000 + 70 + 0 + 80 + 90)[3]).toEqual({ ratePpm: 90_000, amount: 90 })
    expect(rates(noTax, 4000 + 70 + 0 + 80)[3]).toEqual({ ratePpm: null, amount: 0 })
  })

  it("spreads discounts over the lines by their subtotals, largest remainder first, and taxes what is left", () => {
    const menu = menuOf([product("p_a", 1000), product("p_b", 2000), product("p_c", 3000)])
    // 100 over 1000/2000/3000: 16.67, 33.33, 50 -> 17, 33, 50. Tax 10% on top of 983, 1967, 2950: 98, 197, 295.
    const order = request([item("p_a"), item("p_b"), item("p_c")], {
      discounts: [discount(60, "PROMOTION", "Lunch deal"), discount(40)],
      amount: 6000 - 100 + 590
    })
    const priced = expectPriced(priceOrder(order, menu, taxed(100_000, false), linePrices))
    expect(priced.lines.map((l) => [l.subtotal, l.discount, l.tax.amount, l.total])).toEqual([
      [1000, 17, 98, 1081],
      [2000, 33, 197, 2164],
      [3000, 50, 295, 3245]
    ])
    expect(priced.totals).toEqual({ subtotal: 6000, charges: 0, discount: 100, tax: 590, total: 6490 })
    expect(priced.discounts).toEqual([
      { type: "PROMOTION", name: "Lunch deal", reference: null, amount: 60 },
      { type: "VOUCHER", name: "Voucher", reference: null, amount: 40 }
    ])
  })

  it("gives the minor units left over to the earlier line on a tie", () => {
    const menu = menuOf([product("p_a", 1000)])
    const three = [item("p_a"), item("p_a"), item("p_a")]
    const priced = expectPriced(
      priceOrder(request(three, { discounts: [discount(100)], amount: 2900 }), menu, noTax, linePrices)
    )
    expect(priced.lines.map((l) => l.discount)).toEqual([34, 33, 33])
    const two = expectPriced(
      priceOrder(request(three, { discounts: [discount(2)], amount: 2998 }), menu, noTax, linePrices)
    )
    expect(two.lines.map((l) => l.discount)).toEqual([1, 1, 0])
  })

  it("gives a free line no share of a discount, and a discount of the whole subtotal leaves no tax", () => {
    const menu = menuOf([product("p_free", 0), product("p_a", 700)])
    const priced = expectPriced(
      priceOrder(
        request([item("p_free", 5), item("p_a", 2)], {
          discounts: [discount(1400)],
          charges: [{ kind: "DELIVERY", name: null, amount: 300 }],
          amount: 300
        }),
        menu,
        taxed(90_000, false),
        linePrices
      )
    )
    expect(priced.lines.map((l) => [l.subtotal, l.discount, l.tax.amount, l.total])).toEqual([
      [0, 0, 0, 0],
      [1400, 1400, 0, 0]
    ])
    expect(priced.totals).toEqual({ subtotal: 1400, charges: 300, discount: 1400, tax: 0, total: 300 })
  })

  it("takes charges as given, untaxed, named by their kind when the partner names none", () => {
    const charges: ReadonlyArray<OrderChargeRequest> = [
      { kind: "DELIVERY", name: null, amount: 300 },
      { kind: "SERVICE", name: null, amount: 100 },
      { kind: "PACKAGING", name: "Eco box", amount: 20 },
      { kind: "TIP", name: null, amount: 0 },
      { kind: "OTHER", name: null, amount: 5 }
    ]
    // 1000 + 9% = 1090, plus 425 of charges; no tax on the charges.
    const priced = expectPriced(
      priceOrder(
        request([item("p_a")], { charges, amount: 1515 }),
        menuOf([product("p_a", 1000)]),
        taxed(90_000, false),
        linePrices
      )
    )
    expect(priced.charges).toEqual([
      { kind: "DELIVERY", name: "Delivery fee", amount: 300 },
      { kind: "SERVICE", name: "Service charge", amount: 100 },
      { kind: "PACKAGING", name: "Eco box", amount: 20 },
      { kind: "TIP", name: "Tip", amount: 0 },
      { kind: "OTHER", name: "Other charge", amount: 5 }
    ])
    expect(priced.totals).toEqual({ subtotal: 1000, charges: 425, discount: 0, tax: 90, total: 1515 })
  })

  it("names a discount by its type when the partner names none", () => {
    const menu = menuOf([product("p_a", 1000)])
    const discounts = discountTypes.map((type) => discount(1, type))
    const priced = expectPriced(priceOrder(request([item("p_a")], { discounts, amount: 996 }), menu, noTax, linePrices))
    expect(priced.discounts.map((d) => d.name)).toEqual(["Promotion", "Voucher", "Loyalty reward", "Discount"])
  })

  it("says POS pricing when every line costs the POS's price, else PARTNER", () => {
    const special = product("p_special", 900, { posPrice: 1000 })
    const menu = menuOf([cookie, special])
    expect(
      expectPriced(priceOrder(request([item("p_cookie")], { amount: 300 }), menu, noTax, linePrices)).pricing
    ).toBe("POS")
    const mixed = request([item("p_cookie"), item("p_special")], { amount: 1200 })
    expect(expectPriced(priceOrder(mixed, menu, noTax, linePrices)).pricing).toBe("PARTNER")
  })

  it("where the POS prices orders itself, refuses a line whose price differs from the POS's", () => {
    const menu = menuOf([
      cookie,
      product("p_special", 900, { posPrice: 1000 }),
      product("p_v2only", 500, { posPrice: null })
    ])
    const order = request([item("p_cookie"), item("p_special"), item("p_v2only")], { amount: 1700 })
    expect(expectRefused(priceOrder(order, menu, noTax, { linePrices: false }))).toEqual([
      {
        path: "body.items[1]",
        message:
          "product 'p_special' (Product p_special) costs 900 SGD on this outlet's menu but 1000 SGD at its POS, which prices orders itself and would charge another amount"
      },
      {
        path: "body.items[2]",
        message:
          "product 'p_v2only' (Product p_v2only) costs 500 SGD on this outlet's menu but no price at its POS, which prices orders itself and would charge another amount"
      }
    ])
    // The same order where the POS takes our prices.
    expect(expectPriced(priceOrder(order, menu, noTax, linePrices)).totals.total).toBe(1700)
    // And one at the POS's prices.
    const atPos = request([item("p_cookie", 2)], { amount: 600 })
    expect(expectPriced(priceOrder(atPos, menu, noTax, { linePrices: false })).pricing).toBe("POS")
  })

  it("counts an option listed in two of a product's groups in the first", () => {
    const shared = option("o_shared", 10)
    const menu = menuOf([
      product("p_a", 100, {
        modifierGroups: [group("g_one", "One", 0, 1, [shared]), group("g_two", "Two", 1, 1, [shared])]
      })
    ])
    const problems = expectRefused(
      priceOrder(request([item("p_a", 1, ["o_shared", 1])], { amount: 110 }), menu, noTax, linePrices)
    )
    expect(problems).toEqual([
      {
        path: "body.items[0].modifiers",
        message: "group 'Two' (g_two) of product 'p_a' (Product p_a) takes exactly 1 choice in all, got 0"
      }
    ])
  })

  it("computes tax exactly where the intermediate products are far beyond 2^53", () => {
    // 99 × 90,000,000,000,000 = 8.91e15: still a safe integer; 9% on top is not.
    const menu = menuOf([product("p_big", 90_000_000_000_000)])
    const priced = expectPriced(
      priceOrder(request([item("p_big", 99)], { amount: 8_910_000_000_000_000 }), menu, taxed(90_000, true), linePrices)
    )
    // 8.91e15 × 9/109 = 735,688,073,394,495.41...
    expect(priced.totals).toEqual({
      subtotal: 8_910_000_000_000_000,
      charges: 0,
      discount: 0,
      tax: 735_688_073_394_495,
      total: 8_910_000_000_000_000
    })
  })
})

// ---------------------------------------------------------------------------------------------
// Refusals, by example

const refuse = (order: OrderRequest, menu: OrderableMenu = cafe, tax: TaxSettings = noTax) =>
  expectRefused(priceOrder(order, menu, tax, linePrices))

describe("priceOrder: refusals", () => {
  it("refuses an order for an outlet not active at its POS, and still says what else is wrong", () => {
    const problems = refuse(
      request([item("p_cookie"), item("p_nope")], { amount: 300 }),
      menuOf([cookie], { outletActive: false })
    )
    expect(problems).toEqual([
      { path: "body.outletId", message: "outlet 'out_1' is not active at its POS" },
      { path: "body.items[1].productId", message: "product 'p_nope' is not on this outlet's menu" }
    ])
  })

  it("refuses an inactive outlet's otherwise correct order", () => {
    expect(refuse(request([item("p_cookie")], { amount: 300 }), menuOf([cookie], { outletActive: false }))).toEqual([
      { path: "body.outletId", message: "outlet 'out_1' is not active at its POS" }
    ])
  })

  it("refuses a product not on the outlet's menu", () => {
    expect(refuse(request([item("p_cookie"), item("p_steak", 2)], { amount: 300 }))).toEqual([
      { path: "body.items[1].productId", message: "product 'p_steak' is not on this outlet's menu" }
    ])
  })

  const reasons: ReadonlyArray<readonly [NotOrderableReason, string]> = [
    ["snoozed", "it is snoozed (out of stock for now)"],
    ["closed", "its menu is closed at this time"],
    ["not-sold-here", "this outlet's POS does not sell it"],
    ["inactive", "it is deactivated at this outlet's POS"],
    ["paused", "the outlet is paused and takes no orders"],
    ["no-price", "no price is known for it at this outlet"]
  ]
  it.each(reasons)("refuses a product that cannot be ordered now: %s", (reason, words) => {
    const menu = menuOf([cookie, product("p_cake", 450, { name: "Cake", unavailable: reason })])
    expect(refuse(request([item("p_cookie"), item("p_cake")], { amount: 750 }), menu)).toEqual([
      {
        path: "body.items[1].productId",
        message: `product 'p_cake' (Cake) cannot be ordered now: ${reason} (${words})`
      }
    ])
  })

  it("refuses a product without a price as no-price, even when the menu gives no reason", () => {
    const menu = menuOf([product("p_cake", null, { name: "Cake" })])
    expect(refuse(request([item("p_cake")], { amount: 0 }), menu)).toEqual([
      {
        path: "body.items[0].productId",
        message: "product 'p_cake' (Cake) cannot be ordered now: no-price (no price is known for it at this outlet)"
      }
    ])
  })

  it.each([0, 100, -1, 1.5, Number.NaN, 1e20])("refuses a line quantity of %s", (quantity) => {
    expect(refuse(request([item("p_cookie", quantity)], { amount: 300 }))).toEqual([
      { path: "body.items[0].quantity", message: `must be a whole number from 1 to 99, got ${quantity}` }
    ])
  })

  it("accepts the line quantities 1 and 99", () => {
    const order = request([item("p_cookie", 1), item("p_cookie", 99)], { amount: 30_000 })
    expect(expectPriced(priceOrder(order, cafe, noTax, linePrices)).totals.total).toBe(30_000)
  })

  it("refuses an option that is not in any of the product's groups", () => {
    const problems = refuse(
      request([item("p_latte", 1, ["o_small", 1], ["o_pickle", 1]), item("p_cookie", 1, ["o_large", 1])], {
        amount: 850
      })
    )
    expect(problems).toEqual([
      {
        path: "body.items[0].modifiers[1].optionId",
        message: "option 'o_pickle' is not in any modifier group of product 'p_latte' (Latte)"
      },
      {
        path: "body.items[1].modifiers[0].optionId",
        message: "option 'o_large' is not in any modifier group of product 'p_cookie' (Cookie)"
      }
    ])
  })

  it("refuses an option that is not available now", () => {
    expect(refuse(request([item("p_latte", 1, ["o_small", 1], ["o_soy", 1])], { amount: 610 }))).toEqual([
      { path: "body.items[0].modifiers[1].optionId", message: "option 'o_soy' (Option o_soy) is not available now" }
    ])
  })

  it.each([0, 3, -2, 0.5])("refuses an option quantity of %s where 1 to 2 are allowed", (quantity) => {
    const problems = refuse(request([item("p_latte", 1, ["o_small", 1], ["o_caramel", quantity])], { amount: 650 }))
    expect(problems).toContainEqual({
      path: "body.items[0].modifiers[1].quantity",
      message: `must be a whole number from 1 to 2 for option 'o_caramel' (Option o_caramel) in group 'Syrups', got ${quantity}`
    })
  })

  it("refuses a group with fewer choices than its minimum", () => {
    expect(refuse(request([item("p_latte", 1, ["o_oat", 1])], { amount: 630 }))).toEqual([
      {
        path: "body.items[0].modifiers",
        message: "group 'Size' (g_size) of product 'p_latte' (Latte) takes exactly 1 choice in all, got 0"
      }
    ])
  })

  it("refuses a group whose options' quantities add up to more than its maximum", () => {
    const order = request([item("p_latte", 1, ["o_small", 1], ["o_vanilla", 2], ["o_caramel", 2])], { amount: 750 })
    expect(refuse(order)).toEqual([
      {
        path: "body.items[0].modifiers",
        message: "group 'Syrups' (g_syrup) of product 'p_latte' (Latte) takes 0 to 3 choices in all, got 4"
      }
    ])
    const twoSizes = request([item("p_latte", 1, ["o_small", 1], ["o_large", 1])], { amount: 650 })
    expect(refuse(twoSizes)).toEqual([
      {
        path: "body.items[0].modifiers",
        message: "group 'Size' (g_size) of product 'p_latte' (Latte) takes exactly 1 choice in all, got 2"
      }
    ])
  })

  it("refuses an option given twice on one line, rather than merging", () => {
    const order = request([item("p_latte", 1, ["o_vanilla", 1], ["o_small", 1], ["o_vanilla", 1])], { amount: 650 })
    expect(refuse(order)).toEqual([
      {
        path: "body.items[0].modifiers[2].optionId",
        message: "option 'o_vanilla' is given twice on this line (also at modifiers[0]): give it once with its quantity"
      }
    ])
  })

  it("refuses discounts that together exceed the subtotal, stating both", () => {
    const order = request([item("p_cookie", 2)], { discounts: [discount(400), discount(201)], amount: 0 })
    expect(refuse(order)).toEqual([
      { path: "body.discounts", message: "the discounts total 601 SGD, more than the items' subtotal of 600 SGD" }
    ])
  })

  it.each([2_506, 2_508, 0])("refuses a payment amount of %s for an order totalling 2507, stating both", (amount) => {
    // 2 × (550 + 100 + 50 × 2) + 3 × 300 = 2400, and 107 of delivery.
    const order = request([item("p_latte", 2, ["o_large", 1], ["o_vanilla", 2]), item("p_cookie", 3)], {
      charges: [{ kind: "DELIVERY", name: null, amount: 107 }],
      amount
    })
    expect(refuse(order)).toEqual([
      { path: "body.payment.amount", message: `is ${amount} SGD, but the order totals 2507 SGD` }
    ])
  })

  it.each([-1, 1.25, Number.NaN])("refuses a payment amount of %s that is not a whole number", (amount) => {
    expect(refuse(request([item("p_cookie")], { amount }))).toEqual([
      { path: "body.payment.amount", message: `must be a whole number of minor units, 0 or more, got ${amount}` }
    ])
  })

  it("refuses charge and discount amounts that are not whole minor units", () => {
    const order = request([item("p_cookie")], {
      charges: [
        { kind: "TIP", name: null, amount: 10 },
        { kind: "DELIVERY", name: null, amount: -5 }
      ],
      discounts: [discount(0), discount(2.5)],
      amount: 305
    })
    expect(refuse(order)).toEqual([
      { path: "body.charges[1].amount", message: "must be a whole number of minor units, 0 or more, got -5" },
      { path: "body.discounts[0].amount", message: "must be a whole number of minor units, 1 or more, got 0" },
      { path: "body.discounts[1].amount", message: "must be a whole number of minor units, 1 or more, got 2.5" }
    ])
  })

  it("refuses an order without items", () => {
    expect(refuse(request([], { amount: 0 }))).toEqual([
      { path: "body.items", message: "an order needs at least one item, got none" }
    ])
  })

  it("refuses a menu price or tax rate it cannot use instead of failing", () => {
    const menu = menuOf([
      product("p_odd", 10.5),
      product("p_rate", 100, { taxRatePpm: -1 }),
      product("p_opt", 100, { modifierGroups: [group("g", "G", 0, 1, [option("o_odd", -3)])] })
    ])
    expect(
      refuse(request([item("p_odd"), item("p_rate"), item("p_opt", 1, ["o_odd", 1])], { amount: 0 }), menu)
    ).toEqual([
      { path: "body.items[0].productId", message: "product 'p_odd' (Product p_odd) has no usable price, got 10.5" },
      {
        path: "body.items[1].productId",
        message: "product 'p_rate' (Product p_rate) has an unusable tax rate, got -1"
      },
      {
        path: "body.items[2].modifiers[0].optionId",
        message: "option 'o_odd' (Option o_odd) has no usable price, got -3"
      }
    ])
  })

  it("refuses amounts beyond what can be charged instead of losing precision", () => {
    const huge = menuOf([product("p_huge", 4_000_000_000_000_000)])
    const limit = `at most ${Number.MAX_SAFE_INTEGER} minor units`
    expect(refuse(request([item("p_huge", 3)], { amount: 0 }), huge)).toEqual([
      { path: "body.items", message: `the items total 12000000000000000 SGD, more than can be charged (${limit})` }
    ])
    // Two lines each fine, their sum not.
    expect(refuse(request([item("p_huge", 2), item("p_huge", 1)], { amount: 0 }), huge)[0]?.path).toBe("body.items")
    // Tax on top takes it over.
    expect(refuse(request([item("p_huge", 2)], { amount: 0 }), huge, taxed(200_000, false))).toEqual([
      {
        path: "body.items",
        message: `the items with their tax total 9600000000000000 SGD, more than can be charged (${limit})`
      }
    ])
    // Charges beyond.
    const charges: ReadonlyArray<OrderChargeRequest> = [
      { kind: "TIP", name: null, amount: Number.MAX_SAFE_INTEGER },
      { kind: "TIP", name: null, amount: 1 }
    ]
    expect(refuse(request([item("p_cookie")], { charges, amount: 0 }))).toEqual([
      { path: "body.charges", message: `the charges total 9007199254740992 SGD, more than can be charged (${limit})` }
    ])
    // Each part fine, the total not.
    const tip: ReadonlyArray<OrderChargeRequest> = [{ kind: "TIP", name: null, amount: 2_000_000_000_000_000 }]
    expect(refuse(request([item("p_huge", 2)], { charges: tip, amount: 0 }), huge)).toEqual([
      { path: "body", message: `the order totals 10000000000000000 SGD, more than can be charged (${limit})` }
    ])
  })

  it("reports every problem of a bad order, in the order of the request", () => {
    const order = request(
      [
        item("p_latte", 0, ["o_large", 1], ["o_large", 1], ["o_soy", 1]),
        item("p_ghost"),
        item("p_latte", 1, ["o_vanilla", 5])
      ],
      { charges: [{ kind: "SERVICE", name: null, amount: -1 }], discounts: [discount(10)], amount: 1 }
    )
    expect(refuse(order, menuOf([latte, cookie], { outletActive: false })).map((p) => p.path)).toEqual([
      "body.outletId",
      "body.items[0].quantity",
      "body.items[0].modifiers[1].optionId",
      "body.items[0].modifiers[2].optionId",
      "body.items[1].productId",
      "body.items[2].modifiers[0].quantity",
      "body.items[2].modifiers",
      "body.items[2].modifiers",
      "body.charges[0].amount"
    ])
  })
})

describe("allocate", () => {
  it("splits an amount in proportion, leftovers to the largest remainders", () => {
    expect(allocate(100n, [1000n, 2000n, 3000n])).toEqual([17n, 33n, 50n])
    expect(allocate(10n, [1n, 1n, 1n])).toEqual([4n, 3n, 3n])
    expect(allocate(5n, [0n, 0n])).toEqual([0n, 0n])
    expect(allocate(0n, [3n, 4n])).toEqual([0n, 0n])
    expect(allocate(7n, [0n, 7n, 0n])).toEqual([0n, 7n, 0n])
  })
})

// ---------------------------------------------------------------------------------------------
// Properties over generated menus and orders

/** Rates a POS or an operator may give, the usual ones often. */
const rateArb = fc.oneof(
  fc.constantFrom(0, 70_000, 80_000, 88_750, 90_000, 100_000, 1_000_000),
  fc.integer({ min: 0, max: 1_000_000 })
)
const priceArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 3_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 1_000_000_000 }) }
)

const groupArb = fc.record({
  options: fc.array(fc.record({ price: priceArb, available: fc.boolean() }), { minLength: 1, maxLength: 4 }),
  maxPerOption: fc.integer({ min: 1, max: 3 }),
  minSeed: fc.nat(),
  maxSeed: fc.nat()
})

const productArb = fc.record({
  price: priceArb,
  posPriceDelta: fc.oneof(
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: -100, max: 100 }) }
  ),
  taxRatesPpm: fc.record(
    { PICKUP: rateArb, DELIVERY: rateArb, DINE_IN: rateArb, CURBSIDE: rateArb },
    { requiredKeys: [] }
  ),
  taxRatePpm: fc.option(rateArb),
  groups: fc.array(groupArb, { maxLength: 3 })
})

const lineArb = fc.record({
  productSeed: fc.nat(),
  quantity: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 99 })),
  picks: fc.array(fc.nat({ max: 20 }), { maxLength: 12 }),
  note: fc.option(fc.constantFrom("no ice", "well done"))
})

const taxArb = fc.record({
  outletTaxInclusive: fc.option(fc.boolean()),
  outletTaxRatePpm: fc.option(rateArb),
  tenantTaxInclusive: fc.boolean(),
  tenantTaxRatePpm: fc.option(rateArb)
})

const chargeArb = fc.record({
  kind: fc.constantFrom(...chargeKinds),
  name: fc.option(fc.constantFrom("Rider fee", "Bag")),
  amount: fc.oneof(fc.integer({ min: 0, max: 1_000 }), fc.integer({ min: 0, max: 100_000_000 }))
})

const discountArb = fc.record({
  type: fc.constantFrom(...discountTypes),
  name: fc.option(fc.constantFrom("Lunch deal", "Birthday")),
  reference: fc.option(fc.constantFrom("SAVE10", "VIP")),
  seed: fc.nat()
})

const rawArb = fc.record({
  products: fc.array(productArb, { minLength: 1, maxLength: 5 }),
  lines: fc.array(lineArb, { minLength: 1, maxLength: 6 }),
  tax: taxArb,
  type: fc.constantFrom(...fulfilmentTypes),
  charges: fc.array(chargeArb, { maxLength: 4 }),
  discounts: fc.array(discountArb, { maxLength: 3 }),
  exhaustDiscount: fc.integer({ min: 0, max: 4 }).map((n) => n === 0)
})

interface Scenario {
  readonly menu: OrderableMenu
  readonly tax: TaxSettings
  readonly request: OrderRequest
  /** What the order must cost, computed here independently. */
  readonly expected: Expected
}

interface Expected {
  readonly lines: ReadonlyArray<{
    subtotal: bigint
    discount: bigint
    ratePpm: number | null
    tax: bigint
    total: bigint
  }>
  readonly subtotal: bigint
  readonly discount: bigint
  readonly charges: bigint
  readonly tax: bigint
  readonly total: bigint
  readonly inclusive: boolean
}

/** The choices of one group for one line: quantities per available option, the group's min and max respected. */
const choose = (g: OrderableGroup, picks: Array<number>): Array<readonly [string, number]> => {
  const open = g.options.filter((o) => o.available)
  const q = open.map(() => (picks.shift() ?? 0) % (g.maxPerOption + 1))
  const total = () => q.reduce((a, b) => a + b, 0)
  while (total() > g.max) {
    const i = q.findLastIndex((n) => n > 0)
    q[i] = (q[i] ?? 0) - 1
  }
  while (total() < g.min) {
    const i = q.findIndex((n) => n < g.maxPerOption)
    q[i] = (q[i] ?? 0) + 1
  }
  return open.flatMap((o, i) => ((q[i] ?? 0) > 0 ? [[o.optionId, q[i] ?? 0] as const] : []))
}

/** Half-up division as a fraction: the whole part, plus one when the remainder is at least half the divisor. */
const referenceRound = (numerator: bigint, denominator: bigint): bigint => {
  const whole = numerator / denominator
  const remainder = numerator - whole * denominator
  return remainder * 2n >= denominator ? whole + 1n : whole
}

/** Largest remainder, one leftover unit at a time to the first line with the largest remainder not yet served. */
const referenceAllocate = (amount: bigint, weights: ReadonlyArray<bigint>): Array<bigint> => {
  const total = weights.reduce((a, b) => a + b, 0n)
  if (total === 0n) return weights.map(() => 0n)
  const shares = weights.map((w) => (amount * w) / total)
  const served = weights.map(() => false)
  let left = amount - shares.reduce((a, b) => a + b, 0n)
  while (left > 0n) {
    let best = -1
    weights.forEach((w, i) => {
      if (served[i]) return
      const r = (amount * w) % total
      if (best === -1 || r > (amount * (weights[best] ?? 0n)) % total) best = i
    })
    shares[best] = (shares[best] ?? 0n) + 1n
    served[best] = true
    left -= 1n
  }
  return shares
}

const scenarioArb: fc.Arbitrary<Scenario> = rawArb.map((raw) => {
  const products = raw.products.map((p, k): OrderableProduct => {
    const groups = p.groups.map((g, gi): OrderableGroup => {
      const options = g.options.map((o, oi) => option(`o${k}_${gi}_${oi}`, o.price, { available: o.available }))
      const capacity = options.filter((o) => o.available).length * g.maxPerOption
      const min = g.minSeed % (capacity + 1)
      const max = min + (g.maxSeed % (capacity - min + 1))
      return group(`g${k}_${gi}`, `Group ${k}.${gi}`, min, max, options, g.maxPerOption)
    })
    return product(`p${k}`, p.price, {
      posPrice: Math.max(0, p.price + p.posPriceDelta),
      taxRatesPpm: p.taxRatesPpm,
      taxRatePpm: p.taxRatePpm,
      modifierGroups: groups
    })
  })
  // A product nobody orders that cannot be ordered, so a menu is not only what is ordered.
  const menu = menuOf([...products, product("p_snoozed", 100, { unavailable: "snoozed" })])
  const items = raw.lines.map((line) => {
    const p = products[line.productSeed % products.length] ?? products[0]!
    const picks = [...line.picks]
    const modifiers = p.modifierGroups.flatMap((g) => choose(g, picks))
    return noted(item(p.productId, line.quantity, ...modifiers), line.note)
  })

  const inclusive = raw.tax.outletTaxInclusive ?? raw.tax.tenantTaxInclusive
  const subtotals = items.map((it) => {
    const p = menu.products.get(it.productId)!
    const options = new Map(p.modifierGroups.flatMap((g) => g.options.map((o) => [o.optionId, o.price] as const)))
    const perUnit = it.modifiers.reduce(
      (a, m) => a + BigInt(options.get(m.optionId)!) * BigInt(m.quantity),
      BigInt(p.price!)
    )
    return BigInt(it.quantity) * perUnit
  })
  const subtotal = subtotals.reduce((a, b) => a + b, 0n)
  // Discounts of 1 or more each, never more than the subtotal together; sometimes all of it.
  const n = BigInt(raw.discounts.length)
  const discounts: Array<OrderDiscountRequest> =
    n === 0n || subtotal < n
      ? []
      : raw.discounts.map((d) => {
          const each = subtotal / n
          const amount = 1n + (BigInt(d.seed) % each)
          return { type: d.type, name: d.name, reference: d.reference, amount: Number(amount) }
        })
  if (raw.exhaustDiscount && discounts.length > 0) {
    const others = discounts.slice(0, -1).reduce((a, d) => a + BigInt(d.amount), 0n)
    const last = discounts[discounts.length - 1]!
    discounts[discounts.length - 1] = { ...last, amount: Number(subtotal - others) }
  }
  const discount = discounts.reduce((a, d) => a + BigInt(d.amount), 0n)
  const shares = referenceAllocate(discount, subtotals)
  const lines = items.map((it, i) => {
    const p = menu.products.get(it.productId)!
    const ratePpm =
      [p.taxRatesPpm[raw.type], p.taxRatePpm, raw.tax.outletTaxRatePpm, raw.tax.tenantTaxRatePpm].find(
        (r) => r !== undefined && r !== null
      ) ?? null
    const net = subtotals[i]! - shares[i]!
    const rate = BigInt(ratePpm ?? 0)
    const tax = referenceRound(net * rate, inclusive ? 1_000_000n + rate : 1_000_000n)
    return { subtotal: subtotals[i]!, discount: shares[i]!, ratePpm, tax, total: inclusive ? net : net + tax }
  })
  const charges = raw.charges.reduce((a, c) => a + BigInt(c.amount), 0n)
  const tax = lines.reduce((a, l) => a + l.tax, 0n)
  const total = lines.reduce((a, l) => a + l.total, 0n) + charges
  const req = request(items, { type: raw.type, charges: raw.charges, discounts, amount: Number(total) })
  return {
    menu,
    tax: raw.tax,
    request: req,
    expected: { lines, subtotal, discount, charges, tax, total, inclusive }
  }
})

const withAmount = (r: OrderRequest, amount: number): OrderRequest => ({ ...r, payment: { ...r.payment, amount } })

const orderOf = (scenario: Scenario, priced: PricedOrder): Order => ({
  orderId: "ord_1",
  refCode: scenario.request.refCode,
  fingerprint: "0".repeat(64),
  outletId: scenario.menu.outletId,
  provider: scenario.menu.provider,
  outletExternalId: scenario.menu.outletExternalId,
  status: "RECEIVED",
  request: scenario.request,
  priced,
  menuSource: scenario.menu.source,
  menus: scenario.menu.menus,
  posOrderId: null,
  createdAt: new Date("2026-03-16T15:05:33Z"),
  updatedAt: new Date("2026-03-16T15:05:33Z")
})

const big = (n: number) => BigInt(n)
const sumOf = (values: ReadonlyArray<number>) => values.reduce((a, b) => a + BigInt(b), 0n)

describe("priceOrder: properties", () => {
  it("prices a valid order exactly as an independent reference does (tax inclusive and exclusive)", () => {
    fc.assert(
      fc.property(scenarioArb, ({ menu, tax, request: order, expected }) => {
        const priced = expectPriced(priceOrder(order, menu, tax, linePrices))
        expect(priced.taxInclusive).toBe(expected.inclusive)
        expect(priced.lines.map((l) => [l.subtotal, l.discount, l.tax.ratePpm, l.tax.amount, l.total])).toEqual(
          expected.lines.map((l) => [Number(l.subtotal), Number(l.discount), l.ratePpm, Number(l.tax), Number(l.total)])
        )
        expect(priced.totals).toEqual({
          subtotal: Number(expected.subtotal),
          charges: Number(expected.charges),
          discount: Number(expected.discount),
          tax: Number(expected.tax),
          total: Number(expected.total)
        })
      })
    )
  })

  it("adds up: the total is the sum of its parts and of its lines and charges, with no drift", () => {
    fc.assert(
      fc.property(scenarioArb, ({ menu, tax, request: order }) => {
        const { totals, lines, taxInclusive } = expectPriced(priceOrder(order, menu, tax, linePrices))
        const subtotal = sumOf(lines.map((l) => l.subtotal))
        const lineTax = sumOf(lines.map((l) => l.tax.amount))
        expect(big(totals.subtotal)).toBe(subtotal)
        expect(big(totals.discount)).toBe(sumOf(order.discounts.map((d) => d.amount)))
        expect(big(totals.charges)).toBe(sumOf(order.charges.map((c) => c.amount)))
        expect(big(totals.tax)).toBe(lineTax)
        expect(big(totals.total)).toBe(
          big(totals.subtotal) - big(totals.discount) + big(totals.charges) + (taxInclusive ? 0n : lineTax)
        )
        expect(big(totals.total)).toBe(sumOf(lines.map((l) => l.total)) + big(totals.charges))
        for (const l of lines) {
          const perUnit = big(l.unitPrice) + sumOf(l.modifiers.map((m) => m.unitPrice * m.quantity))
          expect(big(l.subtotal)).toBe(big(l.quantity) * perUnit)
          expect(big(l.total)).toBe(big(l.subtotal) - big(l.discount) + (taxInclusive ? 0n : big(l.tax.amount)))
        }
      })
    )
  })

  it("allocates the discounts exactly, never beyond a line's subtotal, each within one unit of its exact share", () => {
    fc.assert(
      fc.property(scenarioArb, ({ menu, tax, request: order }) => {
        const { totals, lines } = expectPriced(priceOrder(order, menu, tax, linePrices))
        const shares = lines.map((l) => big(l.discount))
        expect(shares.reduce((a, b) => a + b, 0n)).toBe(big(totals.discount))
        const D = big(totals.discount)
        const S = big(totals.subtotal)
        lines.forEach((l, i) => {
          expect(l.discount).toBeGreaterThanOrEqual(0)
          expect(l.discount).toBeLessThanOrEqual(l.subtotal)
          // |share × S − D × subtotal| < S: the share is the exact one rounded down or up.
          if (S > 0n) {
            const gap = shares[i]! * S - D * big(l.subtotal)
            expect(gap < S && gap > -S).toBe(true)
          }
        })
        // Largest remainder: a line rounded up never has a smaller remainder than a line rounded down
        // (and on a tie, the earlier line is the one rounded up).
        if (S > 0n) {
          const up = lines.map((l, i) => shares[i]! * S > D * big(l.subtotal))
          const remainder = lines.map((l) => (D * big(l.subtotal)) % S)
          for (const [i, isUp] of up.entries()) {
            for (const [j, otherUp] of up.entries()) {
              if (!isUp || otherUp || remainder[j] === 0n) continue
              expect(remainder[i]! > remainder[j]! || (remainder[i] === remainder[j] && i < j)).toBe(true)
            }
          }
        }
      })
    )
  })

  it("accepts the payment of exactly the total and refuses the total ± 1, stating both amounts", () => {
    fc.assert(
      fc.property(scenarioArb, fc.constantFrom(-1, 1), ({ menu, tax, request: order, expected }, delta) => {
        const total = Number(expected.total)
        expect(priceOrder(order, menu, tax, linePrices)._tag).toBe("Priced")
        fc.pre(total + delta >= 0)
        const problems = expectRefused(priceOrder(withAmount(order, total + delta), menu, tax, linePrices))
        expect(problems).toEqual([
          { path: "body.payment.amount", message: `is ${total + delta} SGD, but the order totals ${total} SGD` }
        ])
      })
    )
  })

  it("says POS pricing exactly when every line is at the POS's price, and refuses the others where the POS prices itself", () => {
    fc.assert(
      fc.property(scenarioArb, ({ menu, tax, request: order }) => {
        const priced = expectPriced(priceOrder(order, menu, tax, linePrices))
        const differing = order.items.flatMap((it, i) => {
          const p = menu.products.get(it.productId)!
          return p.price === p.posPrice ? [] : [`body.items[${i}]`]
        })
        expect(priced.pricing).toBe(differing.length === 0 ? "POS" : "PARTNER")
        const itself = priceOrder(order, menu, tax, { linePrices: false })
        if (differing.length === 0) expect(itself).toEqual({ _tag: "Priced", priced })
        else expect(expectRefused(itself).map((p) => p.path)).toEqual(differing)
      })
    )
  })

  it("hands the POS the prices we charged, in a POS order whose amounts add up", () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const priced = expectPriced(priceOrder(scenario.request, scenario.menu, scenario.tax, linePrices))
        const pos = toPosOrder(orderOf(scenario, priced))
        expect(posOrderProblems(pos)).toEqual([])
        expect(pos.totals.total).toBe(priced.totals.total)
        expect(pos.payment.amount).toBe(priced.totals.total)
        pos.lines.forEach((line, i) => {
          const it = scenario.request.items[i]!
          const p = scenario.menu.products.get(it.productId)!
          expect(line.posCode).toBe(p.posCode)
          expect(line.unitPrice).toBe(p.price)
          expect(line.quantity).toBe(it.quantity)
          expect(line.total).toBe(priced.lines[i]?.total)
          const options = new Map(p.modifierGroups.flatMap((g) => g.options.map((o) => [o.optionId, o] as const)))
          expect(line.modifiers.map((m) => [m.posCode, m.quantity, m.unitPrice])).toEqual(
            it.modifiers.map((m) => [options.get(m.optionId)!.posCode, m.quantity, options.get(m.optionId)!.price])
          )
        })
      })
    )
  })

  type Corruption = "unknown-product" | "quantity-0" | "quantity-100" | "group-max" | "unknown-option" | "snoozed"
  const corruptions: ReadonlyArray<Corruption> = [
    "unknown-product",
    "quantity-0",
    "quantity-100",
    "group-max",
    "unknown-option",
    "snoozed"
  ]

  it("refuses a corrupted order, naming the right path", () => {
    fc.assert(
      fc.property(scenarioArb, fc.constantFrom(...corruptions), fc.nat(), (scenario, corruption, seed) => {
        const { menu, tax } = scenario
        const items = [...scenario.request.items]
        const i = seed % items.length
        const line = items[i]!
        const at = `body.items[${i}]`
        let corruptMenu = menu
        let expected: OrderProblem | { path: string; message: RegExp }
        switch (corruption) {
          case "unknown-product":
            items[i] = { ...line, productId: "p_missing" }
            expected = { path: `${at}.productId`, message: "product 'p_missing' is not on this outlet's menu" }
            break
          case "quantity-0":
          case "quantity-100": {
            const quantity = corruption === "quantity-0" ? 0 : 100
            items[i] = { ...line, quantity }
            expected = { path: `${at}.quantity`, message: `must be a whole number from 1 to 99, got ${quantity}` }
            break
          }
          case "unknown-option":
            items[i] = { ...line, modifiers: [...line.modifiers, { optionId: "o_missing", quantity: 1 }] }
            expected = {
              path: `${at}.modifiers[${line.modifiers.length}].optionId`,
              message: /^option 'o_missing' is not in any modifier group of product /
            }
            break
          case "snoozed": {
            const p = menu.products.get(line.productId)!
            corruptMenu = menuOf([...menu.products.values(), { ...p, unavailable: "snoozed" }])
            expected = { path: `${at}.productId`, message: /cannot be ordered now: snoozed/ }
            break
          }
          case "group-max": {
            // Lower the maximum of a group this line chose from below what it chose.
            const p = menu.products.get(line.productId)!
            const chosen = (g: OrderableGroup) =>
              line.modifiers
                .filter((m) => g.options.some((o) => o.optionId === m.optionId))
                .reduce((a, m) => a + m.quantity, 0)
            const g = p.modifierGroups.find((candidate) => chosen(candidate) > 0)
            fc.pre(g !== undefined)
            if (g === undefined) return
            const max = chosen(g) - 1
            const lowered = { ...g, max, min: Math.min(g.min, max) }
            const changed = { ...p, modifierGroups: p.modifierGroups.map((x) => (x === g ? lowered : x)) }
            corruptMenu = menuOf([...menu.products.values(), changed])
            expected = {
              path: `${at}.modifiers`,
              message: new RegExp(`^group '${g.name}' \\(${g.modifierGroupId}\\) .* got ${chosen(g)}$`)
            }
            break
          }
        }
        const problems = expectRefused(priceOrder({ ...scenario.request, items }, corruptMenu, tax, linePrices))
        expect(problems).toContainEqual(
          typeof expected.message === "string"
            ? expected
            : { path: expected.path, message: expect.stringMatching(expected.message) }
        )
      })
    )
  })
})
