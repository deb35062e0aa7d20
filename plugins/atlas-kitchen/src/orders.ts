import {
  MissingCredentials,
  type PosCallContext,
  type PosOrder,
  type PosOrderModifier,
  PosRejected,
  PosUnavailable,
  type SubmittedOrder
} from "@pos-integration/sdk"
import { Clock, Effect, Option, Schema } from "effect"
import { HttpClientRequest } from "effect/http"
import { type AtlasAnswer, type AtlasCall, below, exchange, parsed, refusal, unavailable } from "./atlas-api.ts"
import { type AccountCredentials, type OutletCredentials, secretsOf } from "./credentials.ts"
import { adminHeaders, merchantCredentials } from "./merchant.ts"
import { servingTime } from "./time.ts"
import {
  type AtlasOrderItem,
  type AtlasOrderPayment,
  type AtlasOrderRequest,
  type AtlasSubItem,
  ErrorAnswer,
  OrderAnswer
} from "./vendor-order.ts"

type Context = PosCallContext<OutletCredentials, AccountCredentials>

/**
 * How long a timeslot this plugin asks for is: Atlas's timeslots are windows (its examples are
 * half an hour, 54000..55800), the order's time is their start.
 */
const timeslotSeconds = 30 * 60

/** Atlas ids are integers (`"item_id": 380`); a POS code or outlet id is their digits. */
const atlasIdPattern = /^\d{1,15}$/

/** A refusal of the order itself, before anything is sent: final, retrying changes nothing. */
const refused = (reason: string): PosRejected => new PosRejected({ status: null, reason })

const atlasId = (text: string, what: string): Effect.Effect<number, PosRejected> =>
  atlasIdPattern.test(text)
    ? Effect.succeed(Number(text))
    : Effect.fail(refused(`${what} is ${JSON.stringify(text)}, not an Atlas id (the digits of an integer)`))

/** A whole number of at least `min` that is exact in JSON: quantities and cents. */
const whole = (value: number, min: number, what: string): Effect.Effect<number, PosRejected> =>
  Number.isSafeInteger(value) && value >= min
    ? Effect.succeed(value)
    : Effect.fail(refused(`${what} is ${String(value)}, not a whole number of at least ${min}`))

/**
 * A line's modifiers as Atlas `sub_items`. Atlas's request nests one level (an order item and its
 * sub-items), so a modifier's own modifiers (a drink's size, then its milk) follow it on the same
 * item: each with its quantity per unit of the line (its own times its parents'), and its own unit
 * price. The line's price in Atlas is then exactly the one the order carries.
 */
const subItems = (
  modifiers: ReadonlyArray<PosOrderModifier>,
  perUnit: number,
  at: string
): Effect.Effect<ReadonlyArray<AtlasSubItem>, PosRejected> =>
  Effect.map(
    Effect.forEach(modifiers, (modifier, i) =>
      Effect.gen(function* () {
        const where = `${at}.modifiers[${i}] (${modifier.name})`
        const item_id = yield* atlasId(modifier.posCode, `${where}: the POS code`)
        const own = yield* whole(modifier.quantity, 1, `${where}: the quantity`)
        const quantity = yield* whole(own * perUnit, 1, `${where}: the quantity per unit of the line`)
        const price_cents = yield* whole(modifier.unitPrice, 0, `${where}: the unit price`)
        const nested = yield* subItems(modifier.modifiers, quantity, where)
        return [{ item_id, quantity, price_cents }, ...nested]
      })
    ),
    (lists) => lists.flat()
  )

const orderItems = (order: PosOrder): Effect.Effect<ReadonlyArray<AtlasOrderItem>, PosRejected> =>
  Effect.forEach(order.lines, (line, i) =>
    Effect.gen(function* () {
      const at = `lines[${i}]`
      const where = `${at} (${line.name})`
      const item_id = yield* atlasId(line.posCode, `${where}: the POS code`)
      const quantity = yield* whole(line.quantity, 1, `${where}: the quantity`)
      const price_cents = yield* whole(line.unitPrice, 0, `${where}: the unit price`)
      const sub_items = yield* subItems(line.modifiers, 1, at)
      const note = present(line.note)
      return {
        item_id,
        name: line.name,
        quantity,
        price_cents,
        ...(note === undefined ? {} : { notes: note }),
        sub_items
      } satisfies AtlasOrderItem
    })
  )

/** Text worth sending: not null, not blank. */
const present = (text: string | null): string | undefined =>
  text === null || text.trim() === "" ? undefined : text.trim()

/** A tax rate in parts per million as Atlas writes one, in percent (`tax_rate: "9.0"`): 90000 -> "9.0", 88750 -> "8.875". */
export const percentText = (ppm: number): string => {
  const fraction = String(ppm % 10_000)
    .padStart(4, "0")
    .replace(/0+$/, "")
  return `${Math.floor(ppm / 10_000)}.${fraction === "" ? "0" : fraction}`
}

/** The order's one tax rate, when every line names the same one; otherwise none is sent (Atlas takes one rate). */
const taxRate = (order: PosOrder): string | undefined => {
  const rates = new Set(order.lines.map((line) => line.tax.ratePpm))
  const [rate] = rates
  return rates.size === 1 && rate !== null && rate !== undefined && Number.isSafeInteger(rate) && rate >= 0
    ? percentText(rate)
    : undefined
}

/** When Atlas should serve it: the scheduled time, or now for an order as soon as possible. */
const timeslot = (
  order: PosOrder
): Effect.Effect<
  Pick<AtlasOrderRequest, "serving_date" | "timeslot_start" | "timeslot_end" | "timeslot_type">,
  PosRejected
> =>
  Effect.gen(function* () {
    const { asap, scheduledFor } = order.fulfilment
    let at: number
    if (asap) {
      at = yield* Clock.currentTimeMillis
    } else {
      const scheduled = scheduledFor === null ? Number.NaN : Date.parse(scheduledFor)
      if (!Number.isFinite(scheduled)) {
        return yield* refused(
          `fulfilment.scheduledFor is ${JSON.stringify(scheduledFor)}, not an instant, for an order that is not as soon as possible`
        )
      }
      at = scheduled
    }
    const { date, seconds } = servingTime(at)
    return {
      serving_date: date,
      timeslot_start: seconds,
      timeslot_end: seconds + timeslotSeconds,
      timeslot_type: asap ? "asap" : "available_timeslots"
    }
  })

/** The delivery address as Atlas's fields; Atlas has none for the city, which joins the second line. */
const addressFields = (order: PosOrder): Effect.Effect<Partial<AtlasOrderRequest>, PosRejected> => {
  const address = order.fulfilment.address
  if (order.fulfilment.type !== "DELIVERY") return Effect.succeed({})
  if (address === null) return Effect.fail(refused("a delivery order has no fulfilment.address"))
  const line2 = [present(address.line2), present(address.city)].filter((part) => part !== undefined).join(", ")
  const postal = present(address.postalCode)
  return Effect.succeed({
    address_line1: address.line1,
    ...(line2 === "" ? {} : { address_line2: line2 }),
    ...(postal === undefined ? {} : { postal_code: postal }),
    ...(address.latitude === null || !Number.isFinite(address.latitude) ? {} : { address_latitude: address.latitude }),
    ...(address.longitude === null || !Number.isFinite(address.longitude)
      ? {}
      : { address_longitude: address.longitude })
  })
}

const fulfilmentTypes = { DELIVERY: "delivery", PICKUP: "pickup", CURBSIDE: "pickup", DINE_IN: "dine_in" } as const

/**
 * What the kitchen reads besides the items: the table of a dine-in order and a curbside pickup
 * (Atlas's request has no field for either), then the order's own notes.
 */
const orderNotes = (order: PosOrder): string | undefined => {
  const table = present(order.fulfilment.table)
  const parts = [
    order.fulfilment.type === "DINE_IN" && table !== undefined ? `Table ${table}` : undefined,
    order.fulfilment.type === "CURBSIDE" ? "Curbside pickup" : undefined,
    present(order.notes)
  ].filter((part) => part !== undefined)
  return parts.length === 0 ? undefined : parts.join("\n")
}

/**
 * The payment: a paid order carries one `order_payments` entry (its amount, the payment's
 * reference as `capture_id`, or the refCode when there is none, and its method as `capture_type`);
 * an unpaid one carries none and `is_paid: false`, so Atlas collects at the outlet.
 */
const payment = (order: PosOrder): Effect.Effect<Pick<AtlasOrderRequest, "is_paid" | "order_payments">, PosRejected> =>
  order.payment.status === "UNPAID"
    ? Effect.succeed({ is_paid: false })
    : Effect.map(whole(order.payment.amount, 0, "payment.amount"), (amount) => {
        const entry: AtlasOrderPayment = {
          amount,
          capture_id: present(order.payment.reference) ?? order.refCode,
          capture_type: present(order.payment.method) ?? "external"
        }
        return { is_paid: true, order_payments: [entry] }
      })

/**
 * The order as Atlas's create-order request, in the channel's prices. Money is integer cents, as
 * the order carries it: nothing is converted or rounded. A value Atlas cannot take (a POS code that
 * is not an Atlas id, a fractional quantity, a negative amount) refuses the order before any call.
 */
export const orderRequest = (order: PosOrder): Effect.Effect<AtlasOrderRequest, PosRejected> =>
  Effect.gen(function* () {
    if (present(order.refCode) === undefined) return yield* refused("the order has no refCode")
    if (order.lines.length === 0) return yield* refused("the order has no lines")
    const fulfilment_type = Object.hasOwn(fulfilmentTypes, order.fulfilment.type)
      ? fulfilmentTypes[order.fulfilment.type]
      : undefined
    if (fulfilment_type === undefined) {
      return yield* refused(`fulfilment.type ${JSON.stringify(order.fulfilment.type)} has no Atlas fulfilment type`)
    }
    const order_items = yield* orderItems(order)
    const slot = yield* timeslot(order)
    const address = yield* addressFields(order)
    const paid = yield* payment(order)
    const sum = (kind: (k: string) => boolean) =>
      order.charges.filter((charge) => kind(charge.kind)).reduce((total, charge) => total + charge.amount, 0)
    const totals = order.totals
    const subtotal = yield* whole(totals.subtotal, 0, "totals.subtotal")
    const discount = yield* whole(totals.discount, 0, "totals.discount")
    const tax = yield* whole(totals.tax, 0, "totals.tax")
    const total = yield* whole(totals.total, 0, "totals.total")
    // Atlas has a delivery fee and one surcharge: every other charge (service, packaging, tip) is the surcharge.
    const delivery_fee = yield* whole(
      sum((kind) => kind === "DELIVERY"),
      0,
      "the delivery charges"
    )
    const surcharge = yield* whole(
      sum((kind) => kind !== "DELIVERY"),
      0,
      "the charges besides delivery"
    )
    // `total` is before tax when prices exclude it; `total_including_tax` is what the customer pays.
    const totalBeforeTax = yield* whole(order.taxInclusive ? total : total - tax, 0, "totals.total less totals.tax")
    const customer = order.customer
    const name = present(customer.name)
    const email = present(customer.email)
    const phone = present(customer.phone)
    const shortCode = present(order.displayId)
    const notes = orderNotes(order)
    const rate = taxRate(order)
    return {
      fulfilment_type,
      ...slot,
      order_items,
      ...(name === undefined ? {} : { contact_name: name }),
      ...(email === undefined ? {} : { contact_email: email }),
      ...(phone === undefined ? {} : { contact_number: phone }),
      external_order_id: order.refCode,
      ...(shortCode === undefined ? {} : { external_order_short_code: shortCode }),
      ...address,
      ...(notes === undefined ? {} : { notes }),
      is_paid: paid.is_paid,
      subtotal,
      delivery_fee,
      surcharge,
      discount,
      total: totalBeforeTax,
      tax,
      ...(rate === undefined ? {} : { tax_rate: rate }),
      total_including_tax: total,
      ...(paid.order_payments === undefined ? {} : { order_payments: paid.order_payments })
    } satisfies AtlasOrderRequest
  })

const decodeOrderAnswer = Schema.decodeUnknownOption(OrderAnswer)
const decodeErrorAnswer = Schema.decodeUnknownOption(Schema.fromJsonString(ErrorAnswer))

/** Atlas's words for a value already used (Rails' "has already been taken"), and their kin. */
const alreadyUsed = /already|taken|exists|duplicate/i

/**
 * A refusal saying this `external_order_id` is already an order (a 409, or a 422 naming the field
 * as taken): Atlas has the order. Answers the id of that order when the refusal names one.
 */
const duplicateOf = (answer: AtlasAnswer): Option.Option<string | null> => {
  if (answer.status !== 409 && answer.status !== 422) return Option.none()
  const error = decodeErrorAnswer(answer.body)
  if (Option.isNone(error)) return Option.none()
  const { details, message, order_id, id } = error.value
  const named = (details ?? []).some((d) => d.field === "external_order_id" && alreadyUsed.test(d.message ?? ""))
  const said = /external.?order/i.test(message ?? "") && alreadyUsed.test(message ?? "")
  if (!named && !said) return Option.none()
  const existing = order_id ?? id
  return Option.some(existing === undefined || existing === null ? null : String(existing))
}

/**
 * What an answer to the create-order request means. A 2xx is the order: 201 (created) a new one,
 * 200 the one Atlas already had under this `external_order_id` (a repeat of an order whose first
 * answer was lost); either way it is submitted, with Atlas's id. A 2xx that is not such an order
 * (not JSON, no id, another `external_order_id`) leaves the outcome unknown: unavailable, and the
 * retry finds the order by its `external_order_id`. A refusal naming the `external_order_id` as
 * taken is a duplicate too. Other answers are refusals (4xx) or unavailable (408, 429, 5xx, 3xx).
 */
const outcomeOf = (
  call: AtlasCall,
  answer: AtlasAnswer,
  refCode: string
): Effect.Effect<SubmittedOrder, PosRejected | PosUnavailable> => {
  if (answer.status >= 200 && answer.status <= 299) {
    return Effect.flatMap(parsed(call, answer), (json) => {
      const order = decodeOrderAnswer(json)
      if (Option.isNone(order)) return Effect.fail(unavailable(call, `answered ${answer.status} without an order id`))
      const { id, external_order_id } = order.value
      if (external_order_id !== undefined && external_order_id !== null && external_order_id !== refCode) {
        return Effect.fail(unavailable(call, `answered ${answer.status} with another order than the one sent`))
      }
      return Effect.succeed({ posOrderId: String(id), duplicate: answer.status === 200 })
    })
  }
  const duplicate = duplicateOf(answer)
  if (Option.isSome(duplicate)) return Effect.succeed({ posOrderId: duplicate.value, duplicate: true })
  return Effect.fail(refusal(call, answer))
}

/**
 * Submits an order to Atlas: one `POST {adminBaseUrl}/outlets/{outlet_id}/channels/{orderChannelId}/orders`
 * with the merchant's `X-Api-Key` and `X-Merchant-Id`, the refCode as `external_order_id`. The
 * outlet is the order's (its external id is the Atlas outlet id).
 */
export const submitOrder = (
  order: PosOrder,
  context: Context
): Effect.Effect<SubmittedOrder, PosRejected | PosUnavailable | MissingCredentials> =>
  Effect.gen(function* () {
    const purpose = "submitting an order to Atlas"
    const account = yield* merchantCredentials(context, purpose)
    const channel = account.orderChannelId
    if (channel === undefined) {
      return yield* new MissingCredentials({
        level: "account",
        reason: `${purpose} needs the merchant's orderChannelId (the Atlas channel orders are created under: the {channel_id} of POST /outlets/{outlet_id}/channels/{channel_id}/orders)`
      })
    }
    const outletId = yield* atlasId(order.outletExternalId, "the order's outlet")
    const body = yield* orderRequest(order)
    const call: AtlasCall = {
      http: context.http,
      url: below(account.adminBaseUrl, `/outlets/${outletId}/channels/${encodeURIComponent(channel)}/orders`),
      name: `create order (outlet ${outletId})`,
      headers: adminHeaders(account),
      secrets: secretsOf(context.credentials.outlet, account)
    }
    const answer = yield* exchange(
      call,
      HttpClientRequest.post(call.url).pipe(HttpClientRequest.bodyText(JSON.stringify(body), "application/json"))
    )
    return yield* outcomeOf(call, answer, order.refCode)
  }).pipe(
    // Mapping is plain code over a validated order; should it ever throw, the order is not lost.
    Effect.catchDefect(() =>
      Effect.fail(
        new PosUnavailable({ reason: "Atlas create order: the order could not be sent (an unexpected failure)" })
      )
    )
  )
