import { describe, expect, it } from "vitest"
import type {
  Order,
  OrderableMenu,
  OrderableProduct,
  OrderChargeRequest,
  OrderDiscountRequest,
  OrderItemRequest,
  OrderRequest,
  TaxSettings
} from "./order.ts"
import { posOrderProblems, toPosOrder } from "./order-pos.ts"
import { priceOrder } from "./order-pricing.ts"
import type { PosOrder } from "./pos-order.ts"

const latte: OrderableProduct = {
  productId: "p_latte",
  posCode: "LAT-01",
  name: "Latte",
  price: 550,
  posPrice: 550,
  unavailable: null,
  taxRatesPpm: {},
  taxRatePpm: null,
  modifierGroups: [
    {
      modifierGroupId: "g_size",
      name: "Size",
      min: 1,
      max: 1,
      maxPerOption: 1,
      options: [{ optionId: "o_large", posCode: "SIZE-L", name: "Large", price: 100, available: true }]
    },
    {
      modifierGroupId: "g_syrup",
      name: "Syrups",
      min: 0,
      max: 3,
      maxPerOption: 2,
      options: [{ optionId: "o_vanilla", posCode: "SYR-V", name: "Vanilla", price: 50, available: true }]
    }
  ]
}
const cookie: OrderableProduct = {
  ...latte,
  productId: "p_cookie",
  posCode: "COO-01",
  name: "Cookie",
  price: 300,
  posPrice: 320,
  modifierGroups: []
}

const menu: OrderableMenu = {
  outletId: "out_1",
  outletExternalId: "649ad021949cfa36470f9ea9",
  provider: "deliverect",
  currency: "SGD",
  outletActive: true,
  source: "menu-v2",
  menus: [{ menuId: "menu_1", version: 3 }],
  products: new Map([
    [latte.productId, latte],
    [cookie.productId, cookie]
  ])
}

const exclusive9: TaxSettings = {
  outletTaxInclusive: false,
  outletTaxRatePpm: 90_000,
  tenantTaxInclusive: true,
  tenantTaxRatePpm: null
}

const items: ReadonlyArray<OrderItemRequest> = [
  {
    productId: "p_latte",
    quantity: 2,
    note: "extra hot",
    modifiers: [
      { optionId: "o_large", quantity: 1 },
      { optionId: "o_vanilla", quantity: 2 }
    ]
  },
  { productId: "p_cookie", quantity: 3, note: null, modifiers: [] }
]

const orderRequest = (
  amount: number,
  discounts: ReadonlyArray<OrderDiscountRequest> = [],
  charges: ReadonlyArray<OrderChargeRequest> = []
): OrderRequest => ({
  refCode: "CATA-000123",
  outletId: "out_1",
  fulfilment: {
    type: "DELIVERY",
    asap: false,
    scheduledFor: new Date("2026-03-16T23:05:33+08:00"),
    table: null,
    address: {
      line1: "8 Temasek Blvd",
      line2: null,
      city: "Singapore",
      postalCode: "038988",
      country: "SG",
      latitude: 1.2936,
      longitude: 103.8572
    }
  },
  customer: { customerId: "cus_1", name: "Tan Wei", phone: "+6591234567", email: "tan@example.com" },
  items,
  charges,
  discounts,
  payment: { status: "PAID", amount, method: "card", reference: "pi_123" },
  notes: "ring twice",
  displayId: "A123"
})

/** The order as kept: priced for real, so the mapping sees what placement stores. */
const placed = (request: OrderRequest, tax: TaxSettings = exclusive9): Order => {
  const result = priceOrder(request, menu, tax, { linePrices: true })
  if (result._tag === "Refused") throw new Error(JSON.stringify(result.problems))
  return {
    orderId: "ord_1",
    refCode: request.refCode,
    fingerprint: "f".repeat(64),
    outletId: menu.outletId,
    provider: menu.provider,
    outletExternalId: menu.outletExternalId,
    status: "RECEIVED",
    request,
    priced: result.priced,
    menuSource: menu.source,
    menus: menu.menus,
    posOrderId: null,
    createdAt: new Date("2026-03-16T15:05:33Z"),
    updatedAt: new Date("2026-03-16T15:06:00Z")
  }
}

const allCharges: ReadonlyArray<OrderChargeRequest> = [
  { kind: "DELIVERY", name: null, amount: 300 },
  { kind: "SERVICE", name: "Service 10%", amount: 210 },
  { kind: "PACKAGING", name: null, amount: 20 },
  { kind: "TIP", name: null, amount: 100 },
  { kind: "OTHER", name: "Small order fee", amount: 50 }
]

describe("toPosOrder", () => {
  it("maps a kept order to what a plugin receives", () => {
    // Lines 1500 and 900; discounts 60 + 40 over them: 62.5 -> 63 (earlier on the tie) and 37.5 -> 37.
    // Tax 9% on top of 1437 (129.33: 129) and 863 (77.67: 78); charges 680.
    const discounts: ReadonlyArray<OrderDiscountRequest> = [
      { type: "PROMOTION", name: "Lunch deal", reference: null, amount: 60 },
      { type: "VOUCHER", name: null, reference: "SAVE4", amount: 40 }
    ]
    const total = 2400 - 100 + 680 + 207
    const pos = toPosOrder(placed(orderRequest(total, discounts, allCharges)))
    expect(pos).toEqual({
      refCode: "CATA-000123",
      displayId: "A123",
      outletExternalId: "649ad021949cfa36470f9ea9",
      placedAt: "2026-03-16T15:05:33.000Z",
      fulfilment: {
        type: "DELIVERY",
        asap: false,
        scheduledFor: "2026-03-16T15:05:33.000Z",
        table: null,
        address: {
          line1: "8 Temasek Blvd",
          line2: null,
          city: "Singapore",
          postalCode: "038988",
          country: "SG",
          latitude: 1.2936,
          longitude: 103.8572
        }
      },
      customer: { name: "Tan Wei", phone: "+6591234567", email: "tan@example.com" },
      lines: [
        {
          posCode: "LAT-01",
          name: "Latte",
          quantity: 2,
          unitPrice: 550,
          note: "extra hot",
          modifiers: [
            { posCode: "SIZE-L", name: "Large", quantity: 1, unitPrice: 100, modifiers: [] },
            { posCode: "SYR-V", name: "Vanilla", quantity: 2, unitPrice: 50, modifiers: [] }
          ],
          discounts: [{ name: "Lunch deal + Voucher", posCode: null, code: null, amount: 63 }],
          tax: { ratePpm: 90_000, amount: 129 },
          total: 1500 - 63 + 129
        },
        {
          posCode: "COO-01",
          name: "Cookie",
          quantity: 3,
          unitPrice: 300,
          note: null,
          modifiers: [],
          discounts: [{ name: "Lunch deal + Voucher", posCode: null, code: null, amount: 37 }],
          tax: { ratePpm: 90_000, amount: 78 },
          total: 900 - 37 + 78
        }
      ],
      charges: [
        { kind: "DELIVERY", name: "Delivery fee", amount: 300, tax: { ratePpm: null, amount: 0 } },
        { kind: "SERVICE", name: "Service 10%", amount: 210, tax: { ratePpm: null, amount: 0 } },
        { kind: "PACKAGING", name: "Packaging", amount: 20, tax: { ratePpm: null, amount: 0 } },
        { kind: "TIP", name: "Tip", amount: 100, tax: { ratePpm: null, amount: 0 } },
        { kind: "OTHER", name: "Small order fee", amount: 50, tax: { ratePpm: null, amount: 0 } }
      ],
      discounts: [
        { name: "Lunch deal", posCode: null, code: null, amount: 60 },
        { name: "Voucher", posCode: null, code: "SAVE4", amount: 40 }
      ],
      pricing: "PARTNER",
      taxInclusive: false,
      currency: "SGD",
      totals: {
        subtotal: 2400,
        deliveryFee: 300,
        serviceCharge: 260,
        packaging: 20,
        tip: 100,
        discount: 100,
        tax: 207,
        total: 3187
      },
      payment: { status: "PAID", amount: 3187, method: "card", reference: "pi_123" },
      notes: "ring twice"
    } satisfies PosOrder)
    expect(posOrderProblems(pos)).toEqual([])
  })

  it("names a line's share after the one discount, with its code, and leaves a line without a share bare", () => {
    // 1 off 2400: all of it to the latte line (1500 × 1/2400 has the larger remainder).
    const discounts: ReadonlyArray<OrderDiscountRequest> = [
      { type: "VOUCHER", name: "Welcome", reference: "HELLO1", amount: 1 }
    ]
    const pos = toPosOrder(placed(orderRequest(2399, discounts), { ...exclusive9, outletTaxRatePpm: null }))
    expect(pos.lines.map((l) => l.discounts)).toEqual([
      [{ name: "Welcome", posCode: null, code: "HELLO1", amount: 1 }],
      []
    ])
    expect(pos.discounts).toEqual([{ name: "Welcome", posCode: null, code: "HELLO1", amount: 1 }])
    expect(posOrderProblems(pos)).toEqual([])
  })

  it("keeps the tax inside line totals where prices include it", () => {
    const inclusive: TaxSettings = { ...exclusive9, outletTaxInclusive: true }
    const pos = toPosOrder(placed(orderRequest(2400), inclusive))
    // 1500 × 9/109 = 123.85 (124); 900 × 9/109 = 74.31 (74).
    expect(pos.lines.map((l) => [l.tax.amount, l.total])).toEqual([
      [124, 1500],
      [74, 900]
    ])
    expect(pos.totals).toMatchObject({ subtotal: 2400, tax: 198, total: 2400 })
    expect(pos.taxInclusive).toBe(true)
    expect(posOrderProblems(pos)).toEqual([])
  })

  it("sends no scheduled time for an order as soon as possible, and no address for a pickup", () => {
    const request = orderRequest(2400 + 216)
    const asap: OrderRequest = {
      ...request,
      fulfilment: { type: "PICKUP", asap: true, scheduledFor: null, table: null, address: null },
      customer: { customerId: "cus_1", name: null, phone: null, email: null }
    }
    const pos = toPosOrder(placed(asap))
    expect(pos.fulfilment).toEqual({ type: "PICKUP", asap: true, scheduledFor: null, table: null, address: null })
    expect(pos.customer).toEqual({ name: null, phone: null, email: null })
    expect(pos.totals).toMatchObject({ deliveryFee: 0, serviceCharge: 0, packaging: 0, tip: 0, discount: 0 })
  })
})

describe("posOrderProblems", () => {
  const discounts: ReadonlyArray<OrderDiscountRequest> = [
    { type: "PROMOTION", name: "Lunch deal", reference: null, amount: 100 }
  ]
  const good = toPosOrder(placed(orderRequest(2400 - 100 + 680 + 207, discounts, allCharges)))
  const firstLine = good.lines[0]!

  it("finds nothing wrong with a mapped order", () => {
    expect(posOrderProblems(good)).toEqual([])
  })

  it("finds a line total one unit off", () => {
    const bad: PosOrder = { ...good, lines: [{ ...firstLine, total: firstLine.total + 1 }, ...good.lines.slice(1)] }
    expect(posOrderProblems(bad)).toContain(
      `line 1 totals ${firstLine.total + 1}, but its prices, discounts and tax come to ${firstLine.total}`
    )
  })

  it("finds an exclusive-tax line whose total leaves its tax out", () => {
    const bad: PosOrder = {
      ...good,
      lines: good.lines.map((l) => ({ ...l, total: l.total - l.tax.amount }))
    }
    const problems = posOrderProblems(bad)
    expect(problems).toHaveLength(3)
    expect(problems[2]).toMatch(/^totals\.total is 3187, the lines' totals and the charges 2980$/)
  })

  it("finds a discount given twice over: on the lines and again on the order", () => {
    const bad: PosOrder = { ...good, discounts: [...good.discounts, ...good.discounts] }
    expect(posOrderProblems(bad)).toEqual([
      "totals.discount is 100, the order's discounts 200, the lines' 100",
      "totals.total is 3187, subtotal - discount + charges (+ tax) 3087"
    ])
  })

  it("finds totals whose charges do not add up to the itemised charges", () => {
    const bad: PosOrder = { ...good, totals: { ...good.totals, serviceCharge: good.totals.serviceCharge - 50 } }
    expect(posOrderProblems(bad)).toEqual(["the totals' charges come to 630, the charges to 680"])
  })

  it("finds a subtotal, tax, total or payment that differs from the lines", () => {
    expect(posOrderProblems({ ...good, totals: { ...good.totals, subtotal: 2401 } })).toContain(
      "totals.subtotal is 2401, the lines' 2400"
    )
    expect(posOrderProblems({ ...good, totals: { ...good.totals, tax: 206 } })[0]).toBe(
      "totals.tax is 206, the lines' and charges' 207"
    )
    expect(posOrderProblems({ ...good, totals: { ...good.totals, total: 3186 } })).toHaveLength(3)
    expect(posOrderProblems({ ...good, payment: { ...good.payment, amount: 3186 } })).toEqual([
      "payment.amount is 3186, the total 3187"
    ])
  })

  it("finds a line discounted beyond its subtotal", () => {
    const line = { ...firstLine, discounts: [{ name: "x", posCode: null, code: null, amount: 5000 }] }
    expect(posOrderProblems({ ...good, lines: [line, ...good.lines.slice(1)] })).toContain(
      "line 1's discount is more than its subtotal"
    )
  })

  it("refuses amounts that are not whole minor units before adding anything", () => {
    const message = "every amount must be a whole number of minor units, 0 or more, and every quantity a whole number"
    expect(posOrderProblems({ ...good, totals: { ...good.totals, tip: 1.5 } })).toEqual([message])
    expect(posOrderProblems({ ...good, lines: [{ ...firstLine, unitPrice: -1 }] })).toEqual([message])
    expect(posOrderProblems({ ...good, lines: [{ ...firstLine, quantity: 0.5 }] })).toEqual([message])
  })
})
