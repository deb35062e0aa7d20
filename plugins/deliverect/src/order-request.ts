import type {
  FulfilmentType,
  PosOrder,
  PosOrderAddress,
  PosOrderCharge,
  PosOrderChargeKind,
  PosOrderDiscount,
  PosOrderModifier
} from "@pos-integration/sdk"
import { PosRejected } from "@pos-integration/sdk"
import { Effect } from "effect"
import { decimalDigits } from "./currency.ts"

/**
 * Deliverect's Channel API order ("Create / Cancel Order", POST /{channelName}/order/{channelLinkId};
 * field meanings from its "Channel Order Model"), in its field names. Optional fields are left out
 * rather than sent empty.
 */
export interface ChannelSubItem {
  readonly plu: string
  readonly name: string
  /** Integer, in units of 10^-decimalDigits, per unit of the item it sits under. */
  readonly price: number
  /** Per unit of the item it sits under. */
  readonly quantity: number
  readonly subItems: ReadonlyArray<ChannelSubItem>
}

export interface ChannelItem extends ChannelSubItem {
  readonly remark?: string
  /** The `referenceId`s of the `discounts` that apply to this item. */
  readonly discountReferenceIds?: ReadonlyArray<number>
}

export interface ChannelDiscount {
  /** From Deliverect's "List of Discount Types". */
  readonly type: "order_flat_off" | "item_flat_off"
  /** Who bears it: the order does not say, and Deliverect lists "unknown" for that case. */
  readonly provider: "unknown"
  readonly name: string
  readonly channelDiscountCode?: string
  readonly referenceId: number
  /** A flat discount's value is its amount. */
  readonly value: number
  readonly amount: number
}

export interface ChannelTax {
  readonly name: string
  readonly total: number
}

export interface ChannelOrder {
  readonly channelOrderId: string
  readonly channelOrderDisplayId: string
  /** 1 pickup, 2 delivery, 3 eat-in, 4 curbside. */
  readonly orderType: 1 | 2 | 3 | 4
  readonly courier: string
  readonly deliveryIsAsap: boolean
  /** UTC, `yyyy-MM-ddTHH:mm:ssZ`. */
  readonly pickupTime: string
  readonly deliveryTime?: string
  readonly placedTime: string
  readonly decimalDigits: number
  readonly items: ReadonlyArray<ChannelItem>
  readonly payment: { readonly amount: number; readonly type: 0 | 1; readonly due: number }
  readonly orderIsAlreadyPaid: boolean
  readonly taxes: ReadonlyArray<ChannelTax>
  readonly deliveryCost: number
  readonly deliveryCostTax?: number
  readonly serviceCharge: number
  readonly serviceChargeTax?: number
  readonly bagFee: number
  readonly tip: number
  /** Negative, as Deliverect wants it: -100 takes 1.00 off. */
  readonly discountTotal: number
  readonly discounts: ReadonlyArray<ChannelDiscount>
  readonly customer?: { readonly name?: string; readonly phoneNumber?: string; readonly email?: string }
  readonly deliveryAddress?: {
    readonly street: string
    readonly extraAddressInfo?: string
    readonly postalCode?: string
    readonly city?: string
    readonly country?: string
    readonly coordinates?: { readonly latitude: number; readonly longitude: number }
  }
  readonly table?: string
  readonly note?: string
}

/** The cancellation Deliverect documents: a second order with the same channelOrderId and status 100 (CANCEL). */
export interface ChannelCancellation {
  readonly channelOrderId: string
  readonly channelOrderDisplayId: string
  readonly status: 100
  readonly cancellationReason: string
}

const orderTypes: Readonly<Record<FulfilmentType, ChannelOrder["orderType"]>> = {
  PICKUP: 1,
  DELIVERY: 2,
  DINE_IN: 3,
  CURBSIDE: 4
}

/**
 * Checks what Deliverect requires of every amount and quantity before anything is sent: an order
 * the core handed over broken (a fraction, a negative price) is refused here, naming the field,
 * rather than sent for Deliverect to misread. Refused for good: sending it again changes nothing.
 */
class Invalid {
  readonly problems: Array<string> = []

  amount(path: string, value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) this.problems.push(`${path} is not a whole amount of minor units`)
  }

  quantity(path: string, value: number): void {
    if (!Number.isSafeInteger(value) || value < 1) this.problems.push(`${path} is not a whole positive quantity`)
  }

  text(path: string, value: string): void {
    if (value.trim() === "") this.problems.push(`${path} is empty`)
  }
}

/** `yyyy-MM-ddTHH:mm:ssZ` in UTC, as every time of Deliverect's API; the milliseconds are dropped. */
const deliverectTime = (instant: string, path: string, invalid: Invalid): string => {
  const time = Date.parse(instant)
  if (Number.isNaN(time)) {
    invalid.problems.push(`${path} is not an instant`)
    return instant
  }
  return new Date(time).toISOString().replace(/\.\d{3}Z$/, "Z")
}

const subItems = (modifiers: ReadonlyArray<PosOrderModifier>, path: string, invalid: Invalid): Array<ChannelSubItem> =>
  modifiers.map((modifier, index) => {
    const at = `${path}[${index}]`
    invalid.text(`${at}.posCode`, modifier.posCode)
    invalid.amount(`${at}.unitPrice`, modifier.unitPrice)
    invalid.quantity(`${at}.quantity`, modifier.quantity)
    return {
      plu: modifier.posCode,
      name: modifier.name,
      price: modifier.unitPrice,
      quantity: modifier.quantity,
      subItems: subItems(modifier.modifiers, `${at}.modifiers`, invalid)
    }
  })

const discountEntry = (
  discount: PosOrderDiscount,
  type: ChannelDiscount["type"],
  referenceId: number
): ChannelDiscount => ({
  type,
  provider: "unknown",
  name: discount.name,
  ...(discount.code === null ? {} : { channelDiscountCode: discount.code }),
  referenceId,
  value: discount.amount,
  amount: discount.amount
})

/** A rate in parts per million as a percentage, exactly (90000 is "9", 88750 is "8.875"). */
const percent = (ppm: number): string => {
  const whole = Math.trunc(ppm / 10_000)
  const fraction = String(ppm % 10_000)
    .padStart(4, "0")
    .replace(/0+$/, "")
  return fraction === "" ? String(whole) : `${whole}.${fraction}`
}

/** Tax amounts by rate, in the order the rates first appear; amounts of zero are left out. */
class TaxesByRate {
  private readonly totals = new Map<number | null, number>()

  add(tax: { readonly ratePpm: number | null; readonly amount: number }): void {
    if (tax.amount === 0) return
    this.totals.set(tax.ratePpm, (this.totals.get(tax.ratePpm) ?? 0) + tax.amount)
  }

  entries(): Array<ChannelTax> {
    return [...this.totals].map(([ratePpm, total]) => ({
      name: ratePpm === null ? "Tax" : `Tax ${percent(ratePpm)}%`,
      total
    }))
  }
}

/**
 * Deliverect has a field for delivery, service, packaging (`bagFee`) and tips. A charge of no
 * other kind is a fee on the order like a service charge, so it is counted with them: the amounts
 * still add up to what the customer pays.
 */
const chargeField: Readonly<Record<PosOrderChargeKind, "deliveryCost" | "serviceCharge" | "bagFee" | "tip">> = {
  DELIVERY: "deliveryCost",
  SERVICE: "serviceCharge",
  OTHER: "serviceCharge",
  PACKAGING: "bagFee",
  TIP: "tip"
}

const sum = (charges: ReadonlyArray<PosOrderCharge>, pick: (charge: PosOrderCharge) => number): number =>
  charges.reduce((total, charge) => total + pick(charge), 0)

const address = (value: PosOrderAddress): NonNullable<ChannelOrder["deliveryAddress"]> => ({
  street: value.line1,
  ...(value.line2 === null ? {} : { extraAddressInfo: value.line2 }),
  ...(value.postalCode === null ? {} : { postalCode: value.postalCode }),
  ...(value.city === null ? {} : { city: value.city }),
  ...(value.country === null ? {} : { country: value.country }),
  ...(value.latitude === null || value.longitude === null
    ? {}
    : { coordinates: { latitude: value.latitude, longitude: value.longitude } })
})

const rejected = (problems: ReadonlyArray<string>): PosRejected =>
  new PosRejected({
    reason: `the order cannot be sent to Deliverect: ${problems.slice(0, 10).join("; ")}`,
    status: null
  })

/**
 * The order as Deliverect's Channel API takes it. Prices are the order's own (Deliverect takes the
 * channel's prices: `linePrices`), in the currency's minor units with `decimalDigits` saying how
 * many digits those are.
 *
 * Taxes follow Deliverect's "Tax Exclusive Orders": with tax-exclusive prices, the line taxes go in
 * `taxes` (one entry per rate) and the delivery and service charges' taxes in `deliveryCostTax`
 * and `serviceChargeTax`; with tax-inclusive prices every amount already holds its tax and
 * `taxes` is empty, as in Deliverect's tax-inclusive example.
 */
export const channelOrder = (order: PosOrder, courier: string): Effect.Effect<ChannelOrder, PosRejected> =>
  Effect.suspend(() => {
    const invalid = new Invalid()
    const digits = decimalDigits(order.currency)
    if (digits === undefined) invalid.problems.push(`currency ${order.currency} has no ISO 4217 minor unit`)
    invalid.text("refCode", order.refCode)

    const discounts: Array<ChannelDiscount> = []
    // A line's discounts are its share of the order's discounts (the same money): Deliverect gets the
    // order's own when it has any, else the lines' (an order whose discounts are only on its lines).
    const lineDiscounts = order.discounts.length === 0
    const items = order.lines.map((line, index): ChannelItem => {
      const at = `lines[${index}]`
      invalid.text(`${at}.posCode`, line.posCode)
      invalid.amount(`${at}.unitPrice`, line.unitPrice)
      invalid.quantity(`${at}.quantity`, line.quantity)
      invalid.amount(`${at}.tax.amount`, line.tax.amount)
      const references = (lineDiscounts ? line.discounts : []).map((discount, d) => {
        invalid.amount(`${at}.discounts[${d}].amount`, discount.amount)
        const referenceId = discounts.length + 1
        discounts.push(discountEntry(discount, "item_flat_off", referenceId))
        return referenceId
      })
      return {
        plu: line.posCode,
        name: line.name,
        price: line.unitPrice,
        quantity: line.quantity,
        ...(line.note === null ? {} : { remark: line.note }),
        subItems: subItems(line.modifiers, `${at}.modifiers`, invalid),
        ...(references.length === 0 ? {} : { discountReferenceIds: references })
      }
    })
    order.discounts.forEach((discount, d) => {
      invalid.amount(`discounts[${d}].amount`, discount.amount)
      discounts.push(discountEntry(discount, "order_flat_off", discounts.length + 1))
    })
    order.charges.forEach((charge, c) => {
      invalid.amount(`charges[${c}].amount`, charge.amount)
      invalid.amount(`charges[${c}].tax.amount`, charge.tax.amount)
    })
    invalid.amount("totals.total", order.totals.total)

    const { fulfilment } = order
    const scheduled = !fulfilment.asap && fulfilment.scheduledFor !== null
    const placedTime = deliverectTime(order.placedAt, "placedAt", invalid)
    // Deliverect files orders by pickupTime: "now" for an ASAP order, the time asked for otherwise.
    const pickupTime = scheduled
      ? deliverectTime(fulfilment.scheduledFor!, "fulfilment.scheduledFor", invalid)
      : placedTime
    if (invalid.problems.length > 0) return Effect.fail(rejected(invalid.problems))

    const ofKind = (field: (typeof chargeField)[PosOrderChargeKind]) =>
      order.charges.filter((charge) => chargeField[charge.kind] === field)
    const taxes = new TaxesByRate()
    if (!order.taxInclusive) {
      for (const line of order.lines) taxes.add(line.tax)
      // Deliverect has tax fields for delivery and service charges only; the others' taxes are listed with the lines'.
      for (const charge of [...ofKind("bagFee"), ...ofKind("tip")]) taxes.add(charge.tax)
    }
    const customer = {
      ...(order.customer.name === null ? {} : { name: order.customer.name }),
      ...(order.customer.phone === null ? {} : { phoneNumber: order.customer.phone }),
      ...(order.customer.email === null ? {} : { email: order.customer.email })
    }
    const paid = order.payment.status === "PAID"
    const body: ChannelOrder = {
      channelOrderId: order.refCode,
      channelOrderDisplayId:
        order.displayId === null || order.displayId.trim() === "" ? order.refCode : order.displayId,
      orderType: orderTypes[fulfilment.type],
      courier: fulfilment.type === "DELIVERY" ? courier : "restaurant",
      deliveryIsAsap: !scheduled,
      pickupTime,
      ...(scheduled && fulfilment.type === "DELIVERY" ? { deliveryTime: pickupTime } : {}),
      placedTime,
      decimalDigits: digits!,
      items,
      // Deliverect's channel payment types: 0 paid online (by card), 1 cash, to be paid on collection or delivery.
      payment: { amount: order.totals.total, type: paid ? 0 : 1, due: paid ? 0 : order.totals.total },
      orderIsAlreadyPaid: paid,
      taxes: taxes.entries(),
      deliveryCost: sum(ofKind("deliveryCost"), (c) => c.amount),
      ...(order.taxInclusive ? {} : { deliveryCostTax: sum(ofKind("deliveryCost"), (c) => c.tax.amount) }),
      serviceCharge: sum(ofKind("serviceCharge"), (c) => c.amount),
      ...(order.taxInclusive ? {} : { serviceChargeTax: sum(ofKind("serviceCharge"), (c) => c.tax.amount) }),
      bagFee: sum(ofKind("bagFee"), (c) => c.amount),
      tip: sum(ofKind("tip"), (c) => c.amount),
      discountTotal: 0 - discounts.reduce((total, discount) => total + discount.amount, 0),
      discounts,
      ...(Object.keys(customer).length === 0 ? {} : { customer }),
      ...(fulfilment.type === "DELIVERY" && fulfilment.address !== null
        ? { deliveryAddress: address(fulfilment.address) }
        : {}),
      ...(fulfilment.table === null ? {} : { table: fulfilment.table }),
      ...(order.notes === null ? {} : { note: order.notes })
    }
    return Effect.succeed(body)
  })

/**
 * The cancellation of the order with this refCode. The call carries no display id, so the refCode
 * stands in for it (Deliverect finds the order by its channelOrderId).
 */
export const channelCancellation = (refCode: string, reason: string | null): ChannelCancellation => ({
  channelOrderId: refCode,
  channelOrderDisplayId: refCode,
  status: 100,
  cancellationReason: reason === null || reason.trim() === "" ? "Cancelled by the ordering channel" : reason
})
