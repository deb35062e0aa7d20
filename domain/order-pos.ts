/**
 * A kept order as a POS plugin receives it (domain/pos-order.ts): every line with the POS's codes
 * and the prices we charged, so that whatever the POS adds up comes to our total.
 *
 * How the amounts fit together (what a plugin may rely on; `posOrderProblems` checks it):
 * - A line carries its unit price and its modifiers (flat: the catalog has no nested groups), each
 *   with its quantity per unit of the line and its unit price, so quantity × (unit price + Σ modifier
 *   quantity × modifier unit price) is the line's subtotal, and `totals.subtotal` is their sum.
 * - The order's discounts are listed once on the order (`discounts`, with the partner's names and
 *   codes) and also, spread over the lines, as each line's share (one entry per line, named after the
 *   order's discounts; absent when the share is 0). These are two views of the same money: a plugin
 *   whose POS takes discounts on the order sends the order's, one whose POS takes them on lines sends
 *   the lines'; never both. The shares add up to `totals.discount` exactly.
 * - A line's tax is computed on its subtotal less its share of the discounts (half-up per line), so a
 *   POS that taxes lines after their discounts finds the same amounts; a POS that cannot should be
 *   sent our per-line tax amounts rather than recompute them.
 * - A line's `total` is its subtotal less its share, plus its tax when prices exclude tax. Charges are
 *   untaxed (tax 0) and itemised with their kind. So `totals.total` = Σ line totals + Σ charges
 *   = subtotal − discount + deliveryFee + serviceCharge + packaging + tip (+ tax when prices exclude
 *   it), with no rounding left between the lines and the total.
 * - `totals` folds charges of kind OTHER into `serviceCharge` (every POS we know has a service charge,
 *   none a free "other"), so the totals' parts still add up; `charges` keeps each one's own kind.
 * - The payment is the partner's, whose amount was checked to equal the total.
 */
import type { Order, PricedOrder } from "./order.ts"
import type { PosOrder, PosOrderChargeKind, PosOrderDiscount, PosOrderLine } from "./pos-order.ts"

/** The one discount entry a line carries for its share: named after the order's discounts. */
const lineDiscount = (priced: PricedOrder, amount: number): ReadonlyArray<PosOrderDiscount> => {
  if (amount === 0) return []
  const only = priced.discounts.length === 1 ? priced.discounts[0] : undefined
  return [
    {
      name: only?.name ?? [...new Set(priced.discounts.map((d) => d.name))].join(" + "),
      posCode: null,
      // One discount's code applies to the share; several have theirs on the order's discounts.
      code: only?.reference ?? null,
      amount
    }
  ]
}

const chargesOf = (priced: PricedOrder, ...kinds: ReadonlyArray<PosOrderChargeKind>): number =>
  priced.charges.filter((c) => kinds.includes(c.kind)).reduce((total, c) => total + c.amount, 0)

export const toPosOrder = (order: Order): PosOrder => {
  const { request, priced } = order
  return {
    refCode: order.refCode,
    displayId: request.displayId,
    outletExternalId: order.outletExternalId,
    placedAt: order.createdAt.toISOString(),
    fulfilment: {
      type: request.fulfilment.type,
      asap: request.fulfilment.asap,
      scheduledFor: request.fulfilment.scheduledFor?.toISOString() ?? null,
      table: request.fulfilment.table,
      address: request.fulfilment.address === null ? null : { ...request.fulfilment.address }
    },
    customer: {
      name: request.customer.name,
      phone: request.customer.phone,
      email: request.customer.email
    },
    lines: priced.lines.map(
      (line): PosOrderLine => ({
        posCode: line.posCode,
        name: line.name,
        quantity: line.quantity,
        unitPrice: line.unitPrice,
        note: line.note,
        modifiers: line.modifiers.map((m) => ({
          posCode: m.posCode,
          name: m.name,
          quantity: m.quantity,
          unitPrice: m.unitPrice,
          modifiers: []
        })),
        discounts: lineDiscount(priced, line.discount),
        tax: { ratePpm: line.tax.ratePpm, amount: line.tax.amount },
        total: line.total
      })
    ),
    charges: priced.charges.map((c) => ({
      kind: c.kind,
      name: c.name,
      amount: c.amount,
      tax: { ratePpm: null, amount: 0 }
    })),
    discounts: priced.discounts.map((d) => ({ name: d.name, posCode: null, code: d.reference, amount: d.amount })),
    pricing: priced.pricing,
    taxInclusive: priced.taxInclusive,
    currency: priced.currency,
    totals: {
      subtotal: priced.totals.subtotal,
      deliveryFee: chargesOf(priced, "DELIVERY"),
      serviceCharge: chargesOf(priced, "SERVICE", "OTHER"),
      packaging: chargesOf(priced, "PACKAGING"),
      tip: chargesOf(priced, "TIP"),
      discount: priced.totals.discount,
      tax: priced.totals.tax,
      total: priced.totals.total
    },
    payment: {
      status: request.payment.status,
      amount: request.payment.amount,
      method: request.payment.method,
      reference: request.payment.reference
    },
    notes: request.notes
  }
}

/**
 * Where a POS order breaks the rules above, in words (empty when it keeps them all). Sums are exact
 * (BigInt), so a mismatch of one minor unit is found however large the amounts.
 */
export const posOrderProblems = (order: PosOrder): ReadonlyArray<string> => {
  const problems: Array<string> = []
  const big = (n: number) => BigInt(n)
  const sum = (values: ReadonlyArray<bigint>) => values.reduce((a, b) => a + b, 0n)
  const amounts = [
    ...order.lines.flatMap((l) => [
      l.unitPrice,
      l.tax.amount,
      l.total,
      ...l.modifiers.map((m) => m.unitPrice),
      ...l.discounts.map((d) => d.amount)
    ]),
    ...order.charges.flatMap((c) => [c.amount, c.tax.amount]),
    ...order.discounts.map((d) => d.amount),
    ...Object.values(order.totals),
    order.payment.amount
  ]
  const counts = order.lines.flatMap((l) => [l.quantity, ...l.modifiers.map((m) => m.quantity)])
  if (!amounts.every((a) => Number.isSafeInteger(a) && a >= 0) || !counts.every((q) => Number.isSafeInteger(q))) {
    return ["every amount must be a whole number of minor units, 0 or more, and every quantity a whole number"]
  }
  const exclusive = !order.taxInclusive
  const subtotals = order.lines.map(
    (l) => big(l.quantity) * (big(l.unitPrice) + sum(l.modifiers.map((m) => big(m.quantity) * big(m.unitPrice))))
  )
  order.lines.forEach((line, i) => {
    const discount = sum(line.discounts.map((d) => big(d.amount)))
    const expected = (subtotals[i] ?? 0n) - discount + (exclusive ? big(line.tax.amount) : 0n)
    if (big(line.total) !== expected) {
      problems.push(`line ${i + 1} totals ${line.total}, but its prices, discounts and tax come to ${expected}`)
    }
    if (discount > (subtotals[i] ?? 0n)) problems.push(`line ${i + 1}'s discount is more than its subtotal`)
  })
  const { totals } = order
  const subtotal = sum(subtotals)
  if (big(totals.subtotal) !== subtotal) problems.push(`totals.subtotal is ${totals.subtotal}, the lines' ${subtotal}`)
  const orderDiscounts = sum(order.discounts.map((d) => big(d.amount)))
  const lineDiscounts = sum(order.lines.flatMap((l) => l.discounts.map((d) => big(d.amount))))
  if (big(totals.discount) !== orderDiscounts || orderDiscounts !== lineDiscounts) {
    problems.push(
      `totals.discount is ${totals.discount}, the order's discounts ${orderDiscounts}, the lines' ${lineDiscounts}`
    )
  }
  const tax = sum([...order.lines.map((l) => big(l.tax.amount)), ...order.charges.map((c) => big(c.tax.amount))])
  if (big(totals.tax) !== tax) problems.push(`totals.tax is ${totals.tax}, the lines' and charges' ${tax}`)
  const charges = sum(order.charges.map((c) => big(c.amount)))
  const chargeParts = sum([totals.deliveryFee, totals.serviceCharge, totals.packaging, totals.tip].map(big))
  if (chargeParts !== charges) problems.push(`the totals' charges come to ${chargeParts}, the charges to ${charges}`)
  const chargesTax = exclusive ? sum(order.charges.map((c) => big(c.tax.amount))) : 0n
  const fromLines = sum(order.lines.map((l) => big(l.total))) + charges + chargesTax
  if (big(totals.total) !== fromLines) {
    problems.push(`totals.total is ${totals.total}, the lines' totals and the charges ${fromLines}`)
  }
  const fromParts = subtotal - orderDiscounts + charges + (exclusive ? tax : 0n)
  if (big(totals.total) !== fromParts) {
    problems.push(`totals.total is ${totals.total}, subtotal - discount + charges (+ tax) ${fromParts}`)
  }
  if (big(order.payment.amount) !== big(totals.total)) {
    problems.push(`payment.amount is ${order.payment.amount}, the total ${totals.total}`)
  }
  return problems
}
