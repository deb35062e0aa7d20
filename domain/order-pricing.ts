/**
 * An order checked and priced against the outlet's effective menu (SPEC section 10). The server
 * prices every order; what the partner sends as `payment.amount` must equal what comes out here.
 *
 * Pricing rules (all amounts are integers in the outlet's currency's minor units; the arithmetic is
 * done on BigInt, so nothing overflows or drifts however large the amounts):
 * - A line's unit price is the product's price on the effective menu (a V2 menu's special price, else
 *   its base price, else the POS's price at the outlet). A modifier option adds its price (always the
 *   POS's) per unit of the line, times its quantity. Line subtotal = quantity × (unit price + Σ option
 *   price × option quantity).
 * - Order discounts (given by the partner, never more than the subtotal together) are spread over the
 *   lines in proportion to their subtotals by the largest-remainder method: each line takes the whole
 *   part of discount × line subtotal / subtotal, and the minor units left over go one each to the lines
 *   with the largest remainders (the earlier line on a tie). The shares add up to the discount exactly
 *   and never exceed a line's subtotal. A line's net = its subtotal − its share.
 * - Tax is computed per line on its net, rounded half-up to the minor unit. The rate is the product's
 *   rate for the order's fulfilment type when its POS gives one, else the product's single rate, else
 *   the outlet's, else the tenant's default, else there is no tax (rate null, amount 0). Where prices
 *   include tax (the outlet says so, else the tenant's default), tax = net × rate / (1,000,000 + rate)
 *   and the total does not grow; otherwise tax = net × rate / 1,000,000 and is added.
 * - Charges (delivery, service, packaging, tip, other) are taken as the partner gives them; we do not
 *   tax them (a charge's tax, if any, is the partner's to include in its amount). A charge without a
 *   name is called by its kind ("Delivery fee", "Service charge", ...).
 * - Line total = net, plus its tax when prices exclude tax. Order subtotal = Σ line subtotals; discount
 *   = Σ discounts; charges = Σ charges; tax = Σ line taxes; total = subtotal − discount + charges, plus
 *   tax when prices exclude it; equivalently total = Σ line totals + charges, with nothing lost to
 *   rounding between the lines and the total.
 * - `pricing` is "POS" when every line's unit price equals the POS's own price for the product (option
 *   prices always are the POS's), else "PARTNER". Where the POS prices orders itself (its plugin does not
 *   take line prices), a line whose price differs from the POS's is refused: the POS would charge an
 *   amount other than the one we computed.
 * - Every amount we hand on is at most Number.MAX_SAFE_INTEGER; an order beyond that is refused.
 *
 * What is checked against the menu: the outlet is active at its POS; each product is on the menu and
 * can be ordered now (else the menu's reason: `not-sold-here`, `inactive`, `snoozed`, `paused`,
 * `closed`, `no-price`); line quantities are 1 to 99; each option is in one of the product's groups
 * (an option listed in two of them counts in the first), available, and chosen 1 to the group's
 * `maxPerOption` times; the quantities chosen in each group add up to its min to max; an option given
 * twice on one line is refused (not merged), naming both places.
 *
 * Every problem found is reported, each with its request path (`body.items[1].modifiers[0].optionId`)
 * and what is wrong with which value. Problems that need the order's total (discounts above the
 * subtotal, the payment amount) are reported only once every line could be priced. Shape and format
 * problems are the HTTP schema's; the few repeated here (quantities, amounts) keep this module safe
 * to call with any decoded request.
 */
import type { FulfilmentType } from "./catalog.ts"
import type {
  DiscountType,
  NotOrderableReason,
  OrderableGroup,
  OrderableMenu,
  OrderableOption,
  OrderableProduct,
  OrderItemRequest,
  OrderProblem,
  OrderRequest,
  PricedCharge,
  PricedDiscount,
  PricedLine,
  PricedModifier,
  PricedOrder,
  TaxSettings
} from "./order.ts"
import type { PosOrderChargeKind } from "./pos-order.ts"

export type PricingResult =
  | { readonly _tag: "Priced"; readonly priced: PricedOrder }
  | { readonly _tag: "Refused"; readonly problems: ReadonlyArray<OrderProblem> }

export interface PricingOptions {
  /** The outlet's POS takes our line prices; false: it prices the order itself from its own prices. */
  readonly linePrices: boolean
}

export const MAX_LINE_QUANTITY = 99

/** The parts per million of a whole: a rate of 90,000 ppm is 9%. */
const PPM = 1_000_000n
const MAX_AMOUNT = BigInt(Number.MAX_SAFE_INTEGER)

export const defaultChargeNames: Readonly<Record<PosOrderChargeKind, string>> = {
  DELIVERY: "Delivery fee",
  SERVICE: "Service charge",
  PACKAGING: "Packaging",
  TIP: "Tip",
  OTHER: "Other charge"
}

export const defaultDiscountNames: Readonly<Record<DiscountType, string>> = {
  PROMOTION: "Promotion",
  VOUCHER: "Voucher",
  LOYALTY: "Loyalty reward",
  OTHER: "Discount"
}

const reasonWords: Readonly<Record<NotOrderableReason, string>> = {
  "not-sold-here": "this outlet's POS does not sell it",
  inactive: "it is deactivated at this outlet's POS",
  snoozed: "it is snoozed (out of stock for now)",
  paused: "the outlet is paused and takes no orders",
  closed: "its menu is closed at this time",
  "no-price": "no price is known for it at this outlet"
}

// ---------------------------------------------------------------------------------------------
// Exact arithmetic

const sum = (values: ReadonlyArray<bigint>): bigint => values.reduce((a, b) => a + b, 0n)

/** numerator / denominator rounded half-up, for a numerator of 0 or more and a positive denominator. */
const divideHalfUp = (numerator: bigint, denominator: bigint): bigint =>
  (2n * numerator + denominator) / (2n * denominator)

/**
 * `amount` spread over `weights` in proportion, by the largest-remainder method: the shares add up to
 * `amount` exactly. Ties go to the earlier weight. With `amount` at most the weights' sum (and every
 * weight 0 or more), no share exceeds its weight. All zero when the weights sum to zero.
 */
export const allocate = (amount: bigint, weights: ReadonlyArray<bigint>): ReadonlyArray<bigint> => {
  const total = sum(weights)
  if (amount === 0n || total === 0n) return weights.map(() => 0n)
  const shares = weights.map((w) => (amount * w) / total)
  const remainders = weights.map((w) => (amount * w) % total)
  let left = amount - sum(shares)
  const byRemainder = weights
    .map((_, i) => i)
    .sort((a, b) => {
      const ra = remainders[a] ?? 0n
      const rb = remainders[b] ?? 0n
      return ra === rb ? a - b : rb > ra ? 1 : -1
    })
  for (const i of byRemainder) {
    if (left === 0n) break
    shares[i] = (shares[i] ?? 0n) + 1n
    left -= 1n
  }
  return shares
}

/** The tax on `net` at `ratePpm`, rounded half-up: contained in it (inclusive) or on top of it. */
export const taxOn = (net: bigint, ratePpm: number | null, inclusive: boolean): bigint => {
  if (ratePpm === null || ratePpm === 0 || net === 0n) return 0n
  const rate = BigInt(ratePpm)
  return inclusive ? divideHalfUp(net * rate, PPM + rate) : divideHalfUp(net * rate, PPM)
}

/** The rate a product is taxed at for a fulfilment type (see the rules above); null: no tax. */
export const taxRateFor = (product: OrderableProduct, fulfilment: FulfilmentType, tax: TaxSettings): number | null =>
  product.taxRatesPpm[fulfilment] ?? product.taxRatePpm ?? tax.outletTaxRatePpm ?? tax.tenantTaxRatePpm ?? null

export const pricesIncludeTax = (tax: TaxSettings): boolean => tax.outletTaxInclusive ?? tax.tenantTaxInclusive

// ---------------------------------------------------------------------------------------------
// Checks

const isAmount = (value: number): boolean => Number.isSafeInteger(value) && value >= 0
const isRate = (value: number | null): boolean => value === null || (Number.isSafeInteger(value) && value >= 0)

const show = (value: unknown): string => (typeof value === "string" ? `'${value}'` : String(value))

/** A line whose product, quantity and modifiers all passed, ready to be priced. */
interface CheckedLine {
  readonly product: OrderableProduct
  readonly quantity: number
  readonly note: string | null
  readonly price: number
  readonly ratePpm: number | null
  readonly modifiers: ReadonlyArray<PricedModifier>
}

interface Found {
  readonly group: OrderableGroup
  readonly option: OrderableOption
}

/** The option's first place among the product's groups (an option listed in two groups counts in the first). */
const findOption = (product: OrderableProduct, optionId: string): Found | null => {
  for (const group of product.modifierGroups) {
    const option = group.options.find((o) => o.optionId === optionId)
    if (option !== undefined) return { group, option }
  }
  return null
}

const choices = (min: number, max: number): string =>
  `${min === max ? `exactly ${min}` : `${min} to ${max}`} choice${max === 1 ? "" : "s"}`

/** Checks one item against the menu, adding its problems; the line ready to price when it has none. */
const checkItem = (
  request: OrderRequest,
  item: OrderItemRequest,
  index: number,
  menu: OrderableMenu,
  tax: TaxSettings,
  options: PricingOptions,
  problems: Array<OrderProblem>
): CheckedLine | null => {
  const at = `body.items[${index}]`
  const before = problems.length
  const money = (amount: number | null) => (amount === null ? "no price" : `${amount} ${menu.currency}`)

  if (!(Number.isSafeInteger(item.quantity) && item.quantity >= 1 && item.quantity <= MAX_LINE_QUANTITY)) {
    problems.push({
      path: `${at}.quantity`,
      message: `must be a whole number from 1 to ${MAX_LINE_QUANTITY}, got ${show(item.quantity)}`
    })
  }

  const product = menu.products.get(item.productId)
  if (product === undefined) {
    problems.push({ path: `${at}.productId`, message: `product ${show(item.productId)} is not on this outlet's menu` })
    return null
  }
  const named = `product ${show(product.productId)} (${product.name})`
  const reason: NotOrderableReason | null = product.unavailable ?? (product.price === null ? "no-price" : null)
  if (reason !== null) {
    problems.push({
      path: `${at}.productId`,
      message: `${named} cannot be ordered now: ${reason} (${reasonWords[reason]})`
    })
  } else if (product.price !== null && !isAmount(product.price)) {
    problems.push({ path: `${at}.productId`, message: `${named} has no usable price, got ${show(product.price)}` })
  } else if (!options.linePrices && product.price !== product.posPrice) {
    problems.push({
      path: at,
      message:
        `${named} costs ${money(product.price)} on this outlet's menu but ${money(product.posPrice)} at its POS, ` +
        "which prices orders itself and would charge another amount"
    })
  }
  const ratePpm = taxRateFor(product, request.fulfilment.type, tax)
  if (!isRate(ratePpm)) {
    problems.push({ path: `${at}.productId`, message: `${named} has an unusable tax rate, got ${show(ratePpm)}` })
  }

  const firstAt = new Map<string, number>()
  const chosen = new Map<string, number>()
  const modifiers: Array<PricedModifier> = []
  item.modifiers.forEach((modifier, j) => {
    const mat = `${at}.modifiers[${j}]`
    const earlier = firstAt.get(modifier.optionId)
    if (earlier !== undefined) {
      problems.push({
        path: `${mat}.optionId`,
        message: `option ${show(modifier.optionId)} is given twice on this line (also at modifiers[${earlier}]): give it once with its quantity`
      })
      return
    }
    firstAt.set(modifier.optionId, j)
    const found = findOption(product, modifier.optionId)
    if (found === null) {
      problems.push({
        path: `${mat}.optionId`,
        message: `option ${show(modifier.optionId)} is not in any modifier group of ${named}`
      })
      return
    }
    const { group, option } = found
    const optionNamed = `option ${show(option.optionId)} (${option.name})`
    if (!option.available) {
      problems.push({ path: `${mat}.optionId`, message: `${optionNamed} is not available now` })
    } else if (!isAmount(option.price)) {
      problems.push({
        path: `${mat}.optionId`,
        message: `${optionNamed} has no usable price, got ${show(option.price)}`
      })
    }
    const quantity = modifier.quantity
    if (Number.isSafeInteger(quantity) && quantity >= 1) {
      chosen.set(group.modifierGroupId, (chosen.get(group.modifierGroupId) ?? 0) + quantity)
    }
    if (!(Number.isSafeInteger(quantity) && quantity >= 1 && quantity <= group.maxPerOption)) {
      problems.push({
        path: `${mat}.quantity`,
        message: `must be a whole number from 1 to ${group.maxPerOption} for ${optionNamed} in group '${group.name}', got ${show(quantity)}`
      })
    }
    modifiers.push({
      optionId: option.optionId,
      modifierGroupId: group.modifierGroupId,
      posCode: option.posCode,
      name: option.name,
      quantity,
      unitPrice: option.price
    })
  })
  for (const group of product.modifierGroups) {
    const count = chosen.get(group.modifierGroupId) ?? 0
    if (count < group.min || count > group.max) {
      problems.push({
        path: `${at}.modifiers`,
        message: `group '${group.name}' (${group.modifierGroupId}) of ${named} takes ${choices(group.min, group.max)} in all, got ${count}`
      })
    }
  }

  if (problems.length > before || product.price === null) return null
  return { product, quantity: item.quantity, note: item.note, price: product.price, ratePpm, modifiers }
}

// ---------------------------------------------------------------------------------------------
// Pricing

/** Checks `request` against `menu` and prices it, or says every problem found. */
export const priceOrder = (
  request: OrderRequest,
  menu: OrderableMenu,
  tax: TaxSettings,
  options: PricingOptions
): PricingResult => {
  const problems: Array<OrderProblem> = []
  const money = (amount: bigint | number) => `${amount} ${menu.currency}`
  const tooMuch = (amount: bigint) =>
    `${money(amount)}, more than can be charged (at most ${Number.MAX_SAFE_INTEGER} minor units)`

  if (!menu.outletActive) {
    problems.push({ path: "body.outletId", message: `outlet ${show(request.outletId)} is not active at its POS` })
  }
  if (request.items.length === 0) {
    problems.push({ path: "body.items", message: "an order needs at least one item, got none" })
  }
  const checked = request.items.map((item, i) => checkItem(request, item, i, menu, tax, options, problems))
  const lines = checked.flatMap((line) => (line === null ? [] : [line]))
  // The order's total is known only when every line, charge and discount could be read.
  let totalKnown = lines.length === checked.length

  request.charges.forEach((charge, k) => {
    if (isAmount(charge.amount)) return
    totalKnown = false
    problems.push({
      path: `body.charges[${k}].amount`,
      message: `must be a whole number of minor units, 0 or more, got ${show(charge.amount)}`
    })
  })
  request.discounts.forEach((discount, k) => {
    if (isAmount(discount.amount) && discount.amount >= 1) return
    totalKnown = false
    problems.push({
      path: `body.discounts[${k}].amount`,
      message: `must be a whole number of minor units, 1 or more, got ${show(discount.amount)}`
    })
  })
  const paymentReadable = isAmount(request.payment.amount)
  if (!paymentReadable) {
    problems.push({
      path: "body.payment.amount",
      message: `must be a whole number of minor units, 0 or more, got ${show(request.payment.amount)}`
    })
  }
  if (!totalKnown) return { _tag: "Refused", problems }

  const inclusive = pricesIncludeTax(tax)
  const subtotals = lines.map(
    (line) =>
      BigInt(line.quantity) *
      (BigInt(line.price) + sum(line.modifiers.map((m) => BigInt(m.unitPrice) * BigInt(m.quantity))))
  )
  const subtotal = sum(subtotals)
  const discount = sum(request.discounts.map((d) => BigInt(d.amount)))
  const charges = sum(request.charges.map((c) => BigInt(c.amount)))
  if (discount > subtotal) {
    problems.push({
      path: "body.discounts",
      message: `the discounts total ${money(discount)}, more than the items' subtotal of ${money(subtotal)}`
    })
    return { _tag: "Refused", problems }
  }

  const shares = allocate(discount, subtotals)
  const amounts = lines.map((line, i) => {
    const lineSubtotal = subtotals[i] ?? 0n
    const share = shares[i] ?? 0n
    const net = lineSubtotal - share
    const lineTax = taxOn(net, line.ratePpm, inclusive)
    return { subtotal: lineSubtotal, discount: share, tax: lineTax, total: inclusive ? net : net + lineTax }
  })
  const taxTotal = sum(amounts.map((l) => l.tax))
  const total = subtotal - discount + charges + (inclusive ? 0n : taxTotal)

  const before = problems.length
  if (subtotal > MAX_AMOUNT) {
    problems.push({ path: "body.items", message: `the items total ${tooMuch(subtotal)}` })
  } else if (taxTotal > MAX_AMOUNT || amounts.some((l) => l.total > MAX_AMOUNT)) {
    problems.push({ path: "body.items", message: `the items with their tax total ${tooMuch(subtotal + taxTotal)}` })
  }
  if (charges > MAX_AMOUNT) problems.push({ path: "body.charges", message: `the charges total ${tooMuch(charges)}` })
  if (problems.length === before && total > MAX_AMOUNT) {
    problems.push({ path: "body", message: `the order totals ${tooMuch(total)}` })
  }
  if (problems.length > before) return { _tag: "Refused", problems }

  if (paymentReadable && BigInt(request.payment.amount) !== total) {
    problems.push({
      path: "body.payment.amount",
      message: `is ${money(request.payment.amount)}, but the order totals ${money(total)}`
    })
  }
  if (problems.length > 0) return { _tag: "Refused", problems }

  const pricedLines: ReadonlyArray<PricedLine> = lines.map((line, i) => {
    const amount = amounts[i] ?? { subtotal: 0n, discount: 0n, tax: 0n, total: 0n }
    return {
      lineNo: i + 1,
      productId: line.product.productId,
      posCode: line.product.posCode,
      name: line.product.name,
      quantity: line.quantity,
      unitPrice: line.price,
      note: line.note,
      modifiers: line.modifiers,
      subtotal: Number(amount.subtotal),
      discount: Number(amount.discount),
      tax: { ratePpm: line.ratePpm, amount: Number(amount.tax) },
      total: Number(amount.total)
    }
  })
  const pricedCharges: ReadonlyArray<PricedCharge> = request.charges.map((c) => ({
    kind: c.kind,
    name: c.name ?? defaultChargeNames[c.kind],
    amount: c.amount
  }))
  const pricedDiscounts: ReadonlyArray<PricedDiscount> = request.discounts.map((d) => ({
    type: d.type,
    name: d.name ?? defaultDiscountNames[d.type],
    reference: d.reference,
    amount: d.amount
  }))
  return {
    _tag: "Priced",
    priced: {
      currency: menu.currency,
      taxInclusive: inclusive,
      lines: pricedLines,
      charges: pricedCharges,
      discounts: pricedDiscounts,
      totals: {
        subtotal: Number(subtotal),
        charges: Number(charges),
        discount: Number(discount),
        tax: Number(taxTotal),
        total: Number(total)
      },
      pricing: lines.every((line) => line.price === line.product.posPrice) ? "POS" : "PARTNER"
    }
  }
}
