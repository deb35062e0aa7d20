import {
  currencyDecimals,
  type PosOrder,
  type PosOrderChargeKind,
  type PosOrderDiscount,
  type PosOrderLine,
  type PosOrderModifier,
  PosRejected
} from "@pos-integration/sdk"
import { Effect } from "effect"
import type { AccountCredentials } from "./credentials.ts"
import { JsonNumber, type JsonValue, jsonText } from "./json-text.ts"

/** Dine-in orders join the location's tables; every other kind is taken away or delivered. */
export const LOCAL_ORDER = "/o/op/1/order/local"
export const TO_GO_ORDER = "/o/op/1/order/toGo"

/** What the business's credentials say about ordering, besides the tokens. */
export interface OrderSettings {
  readonly endpointId: string
  readonly orderProfileCodes: NonNullable<AccountCredentials["orderProfileCodes"]>
  readonly paymentMethodCode: string | undefined
  readonly chargeSkus: NonNullable<AccountCredentials["chargeSkus"]>
  /**
   * `maxTimeToAttemptOrderDeliverToPos`, in milliseconds (at least 60000): how long Lightspeed keeps
   * trying to reach the location's POS devices before it gives the order up (a FAILURE notification).
   */
  readonly deliveryWindowMs: number
}

/** A K-Series order request: which endpoint, and the exact JSON text of its body. */
export interface OrderRequest {
  readonly path: typeof LOCAL_ORDER | typeof TO_GO_ORDER
  readonly json: string
}

/** `thirdPartyReference`: 1 to 48 characters, unique per order (Lightspeed refuses a second order under one). */
const maxReference = 48
/** `customerInfo.firstName`: 1 to 128 characters. */
const maxFirstName = 128
/** Quantities are int32. */
const maxQuantity = 2_147_483_647

const refuse = (reason: string) => Effect.fail(new PosRejected({ reason, status: null }))

/** Minor units as the decimal K-Series reads (1250 SGD is 12.50, 800 JPY is 800), by string arithmetic. */
const decimalText = (minor: number, decimals: number): string => {
  const digits = String(minor).padStart(decimals + 1, "0")
  return decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`
}

const e164 = /^\+[1-9]\d{6,14}$/

/** A phone number in E.164 once spaces, dashes, dots and parentheses are taken out; null when it is not one. */
const phoneE164 = (phone: string): string | null => {
  const compact = phone.replace(/[\s\-.()]/g, "")
  return e164.test(compact) ? compact : null
}

/** At most `max` characters, never cutting a character in two. */
const cut = (text: string, max: number): string => [...text].slice(0, max).join("")

const present = (text: string | null | undefined): text is string =>
  text !== null && text !== undefined && text.trim() !== ""

const chargeKeys: Readonly<Record<Exclude<PosOrderChargeKind, "TIP">, keyof OrderSettings["chargeSkus"]>> = {
  DELIVERY: "delivery",
  SERVICE: "service",
  PACKAGING: "packaging",
  OTHER: "other"
}

const chargeWords: Readonly<Record<PosOrderChargeKind, string>> = {
  DELIVERY: "Delivery fee",
  SERVICE: "Service charge",
  PACKAGING: "Packaging",
  TIP: "Tip",
  OTHER: "Charge"
}

/**
 * Maps a priced order to its K-Series order request (`POST /o/op/1/order/local` for dine-in,
 * `POST /o/op/1/order/toGo` for pickup, curbside and delivery). Lightspeed prices orders itself:
 * lines carry SKUs, quantities and production instructions, never prices. What K-Series has no field
 * for (line notes, discounts without a Lightspeed discount code, charges without an item, an unpaid
 * tip, a phone number that is not E.164, the partner's display id) is written in the order note,
 * which the location's dockets print. An order K-Series cannot take as it is is refused
 * (`PosRejected`) before anything is sent.
 */
export const orderRequest = (order: PosOrder, settings: OrderSettings): Effect.Effect<OrderRequest, PosRejected> =>
  Effect.gen(function* () {
    if (order.pricing !== "POS") {
      return yield* refuse(
        "Lightspeed prices orders itself: an order carrying the partner's own prices (pricing PARTNER) cannot be sent"
      )
    }
    if (order.refCode.length === 0 || order.refCode.length > maxReference) {
      return yield* refuse(
        `the refCode has ${order.refCode.length} characters: Lightspeed's thirdPartyReference takes 1 to ${maxReference}`
      )
    }
    if (!/^\d{1,19}$/.test(order.outletExternalId)) {
      return yield* refuse(`${JSON.stringify(order.outletExternalId)} is not a Lightspeed business location id (blID)`)
    }
    const decimals = currencyDecimals(order.currency) ?? 2
    const amount = (minor: number, what: string): Effect.Effect<JsonNumber, PosRejected> =>
      Number.isSafeInteger(minor) && minor >= 0
        ? Effect.succeed(new JsonNumber(decimalText(minor, decimals)))
        : refuse(`${what} is not a non-negative amount in minor units: ${String(minor)}`)
    /** An amount as the note shows it, checked as any amount sent: `3.00 SGD`. */
    const shown = (minor: number, what: string): Effect.Effect<string, PosRejected> =>
      Effect.map(amount(minor, what), (exact) => `${exact.text} ${order.currency}`)
    const notes: Array<string> = []

    const items: Array<JsonValue> = []
    for (const [index, line] of order.lines.entries()) {
      items.push(yield* itemOf(line, `lines[${index}]`, amount, notes, shown))
    }

    for (const discount of order.discounts) {
      if (discount.amount !== 0) {
        notes.push(`Discount: ${discountText(discount)} -${yield* shown(discount.amount, "a discount")}`)
      }
    }

    for (const charge of order.charges) {
      if (charge.kind === "TIP" || charge.amount === 0) continue
      const sku = settings.chargeSkus[chargeKeys[charge.kind]]
      if (sku === undefined) {
        notes.push(
          `${chargeWords[charge.kind]}${present(charge.name) ? ` (${charge.name})` : ""}: ${yield* shown(charge.amount, "a charge")}`
        )
      } else {
        items.push({
          sku,
          quantity: new JsonNumber("1"),
          customItemPrice: yield* amount(charge.amount, `the ${chargeWords[charge.kind].toLowerCase()}`)
        })
      }
    }

    const paidAmount = yield* amount(order.payment.amount, "the amount paid")
    const tip = order.totals.tip
    const tipAmount = yield* amount(tip, "the tip")
    // A paid order of nothing (all discounted) has no payment to book.
    const paid = order.payment.status === "PAID" && order.payment.amount > 0
    if (!paid && tip > 0) notes.push(`Tip (unpaid): ${yield* shown(tip, "the tip")}`)
    const payment: JsonValue | undefined = paid
      ? {
          paymentMethod: settings.paymentMethodCode,
          // The whole amount paid, tip included, as K-Series' order payment counts it; the tip also on its own.
          paymentAmount: paidAmount,
          tipAmount: tip > 0 ? tipAmount : undefined
        }
      : undefined

    const customer = yield* customerOf(order, notes)
    const fulfilment = order.fulfilment
    const local = fulfilment.type === "DINE_IN"
    if (fulfilment.type === "CURBSIDE") notes.unshift("Curbside pickup")
    let deliveryAddress: JsonValue | undefined
    if (fulfilment.type === "DELIVERY") {
      const address = fulfilment.address
      if (address === null || !present(address.line1)) {
        return yield* refuse("a delivery order needs the address to deliver to")
      }
      deliveryAddress = {
        addressLine1: address.line1,
        addressLine2: present(address.line2) ? address.line2 : undefined,
        zip: present(address.postalCode) ? address.postalCode : undefined,
        city: present(address.city) ? address.city : undefined
      }
    }
    let collectionTime: string | undefined
    if (!fulfilment.asap && fulfilment.scheduledFor !== null) {
      const at = Date.parse(fulfilment.scheduledFor)
      if (Number.isNaN(at)) return yield* refuse(`the scheduled time is not a date-time: ${fulfilment.scheduledFor}`)
      collectionTime = new Date(at).toISOString()
    }

    const heading = [
      ...(present(order.displayId) ? [`Order ${order.displayId}`] : []),
      ...(present(order.notes) ? [order.notes.trim()] : [])
    ]
    const orderNote = [...heading, ...notes].join("\n")
    const profiles = settings.orderProfileCodes
    const body: JsonValue = {
      businessLocationId: new JsonNumber(order.outletExternalId.replace(/^0+(?=\d)/, "")),
      thirdPartyReference: order.refCode,
      endpointId: settings.endpointId,
      accountProfileCode: local
        ? profiles.local
        : fulfilment.type === "DELIVERY"
          ? profiles.delivery
          : profiles.takeaway,
      customerInfo: customer,
      orderNote: orderNote === "" ? undefined : orderNote,
      maxTimeToAttemptOrderDeliverToPos: new JsonNumber(String(settings.deliveryWindowMs)),
      orderCollectionTimeAsIso8601: collectionTime,
      tableNumber: local && present(fulfilment.table) ? fulfilment.table.trim() : undefined,
      deliveryAddress,
      items,
      payment
    }
    return { path: local ? LOCAL_ORDER : TO_GO_ORDER, json: jsonText(body) }
  })

/** A discount as the note names it: its name, and the partner's code when there is one. */
const discountText = (discount: PosOrderDiscount): string =>
  `${discount.name}${present(discount.code) ? ` (${discount.code})` : ""}`

/**
 * Production instructions, as K-Series takes them on an item: a flat list of `{"modifierId"}`, each
 * once. This plugin's catalog offers instructions only (`ikentooModifierId` as the option's POS code),
 * so modifiers nested under a modifier are instructions too, listed after their parent, depth first.
 */
const instructionsOf = (
  modifiers: ReadonlyArray<PosOrderModifier>,
  path: string
): Effect.Effect<ReadonlyArray<JsonValue>, PosRejected> =>
  Effect.gen(function* () {
    const flat: Array<JsonValue> = []
    for (const [index, modifier] of modifiers.entries()) {
      const at = `${path}.modifiers[${index}]`
      if (modifier.quantity !== 1) {
        return yield* refuse(
          `${at} (${modifier.name}) has quantity ${modifier.quantity}: a Lightspeed production instruction is given once per item`
        )
      }
      flat.push({ modifierId: modifier.posCode }, ...(yield* instructionsOf(modifier.modifiers, at)))
    }
    return flat
  })

/**
 * One order line: its SKU, quantity and instructions. A line with one discount that names a
 * Lightspeed discount code (`posCode`, a discount configured as a manual discount) carries it as
 * `discountCode` with the amount taken off the line as `discountAmountOverride`; other discounts,
 * and the line's note, go to the order note.
 */
const itemOf = (
  line: PosOrderLine,
  path: string,
  amount: (minor: number, what: string) => Effect.Effect<JsonNumber, PosRejected>,
  notes: Array<string>,
  shown: (minor: number, what: string) => Effect.Effect<string, PosRejected>
): Effect.Effect<JsonValue, PosRejected> =>
  Effect.gen(function* () {
    if (!Number.isSafeInteger(line.quantity) || line.quantity < 1 || line.quantity > maxQuantity) {
      return yield* refuse(
        `${path} (${line.name}) has quantity ${line.quantity}: Lightspeed takes a whole number from 1`
      )
    }
    const modifiers = yield* instructionsOf(line.modifiers, path)
    if (present(line.note)) notes.push(`${line.quantity} x ${line.name}: ${line.note.trim()}`)
    const discounts = line.discounts.filter((discount) => discount.amount !== 0)
    const coded = discounts.length === 1 && present(discounts[0]!.posCode) ? discounts[0]! : null
    if (coded === null) {
      for (const discount of discounts) {
        notes.push(
          `Discount on ${line.name}: ${discountText(discount)} -${yield* shown(discount.amount, `${path}'s discount`)}`
        )
      }
    }
    return {
      sku: line.posCode,
      quantity: new JsonNumber(String(line.quantity)),
      modifiers: modifiers.length === 0 ? undefined : modifiers,
      discountCode: coded?.posCode ?? undefined,
      discountAmountOverride: coded === null ? undefined : yield* amount(coded.amount, `${path}'s discount`)
    }
  })

/**
 * `customerInfo`, required by both endpoints with a `firstName`: the customer's whole name there (no
 * guess at where a first name ends), "Guest" when the order names nobody. The phone goes as
 * `contactNumberAsE164` when it is one, in the order note otherwise.
 */
const customerOf = (order: PosOrder, notes: Array<string>): Effect.Effect<JsonValue> =>
  Effect.sync(() => {
    const { name, phone, email } = order.customer
    const e164Phone = present(phone) ? phoneE164(phone) : null
    if (present(phone) && e164Phone === null) notes.push(`Phone: ${phone.trim()}`)
    return {
      firstName: present(name) ? cut(name.trim(), maxFirstName) : "Guest",
      email: present(email) ? email.trim() : undefined,
      contactNumberAsE164: e164Phone ?? undefined
    }
  })
