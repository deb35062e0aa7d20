import type { CatalogSnapshot, PosOrder, PosOrderLine } from "@pos-integration/sdk"

/**
 * An order as the core would hand it to the plugin: one line of the catalog's first product (with
 * its first modifier option when it has one), tax exclusive, paid. Without a catalog, a line of a
 * made-up item.
 */
export const sampleOrder = (outletExternalId: string, catalog: CatalogSnapshot | null, currency: string): PosOrder => {
  const product = catalog?.products[0]
  const group = catalog?.modifierGroups.find((g) => g.externalId === product?.modifierGroupIds[0])
  const option = catalog?.modifierOptions.find((o) => o.externalId === group?.optionIds[0])
  const modifiers =
    option === undefined
      ? []
      : [{ posCode: option.posCode, name: option.name, quantity: 1, unitPrice: option.price, modifiers: [] }]
  const unitPrice = product?.price ?? 450
  const lineTotal = 2 * (unitPrice + (option?.price ?? 0))
  const line: PosOrderLine = {
    posCode: product?.posCode ?? "CONFORMANCE-ITEM",
    name: product?.name ?? "Conformance item",
    quantity: 2,
    unitPrice,
    note: "no ice",
    modifiers,
    discounts: [],
    tax: { ratePpm: 90000, amount: Math.round(lineTotal * 0.09) },
    total: lineTotal
  }
  const tax = line.tax.amount
  return {
    refCode: `conformance-${Date.now().toString(36)}`,
    displayId: "C-1",
    outletExternalId,
    placedAt: "2026-01-01T12:00:00.000Z",
    fulfilment: { type: "PICKUP", asap: true, scheduledFor: null, table: null, address: null },
    customer: { name: "Mei Ling", phone: "+6591234567", email: "mei@example.com" },
    lines: [line],
    charges: [],
    discounts: [],
    pricing: "POS",
    taxInclusive: false,
    currency,
    totals: {
      subtotal: lineTotal,
      deliveryFee: 0,
      serviceCharge: 0,
      packaging: 0,
      tip: 0,
      discount: 0,
      tax,
      total: lineTotal + tax
    },
    payment: { status: "PAID", amount: lineTotal + tax, method: "card", reference: "conformance-payment" },
    notes: null
  }
}
