import { Schema } from "effect"
import { VendorId } from "./vendor-id.ts"

const OptionalText = Schema.optionalKey(Schema.NullOr(Schema.String))

/**
 * An order or payment notification, as Lightspeed K-Series POSTs it to the webhook endpoint named
 * on the order (api-docs.lsk.lightspeed.app, "Order notification" / "Payment notification"):
 * `{"status","type":"ORDER"|"PAYMENT","thirdPartyReference","businessLocationId",
 * "ikentooAccountIdentifier","reason","account"?}`. Status and type stay plain strings: a value this
 * plugin does not know must not make the notification undeliverable.
 */
export const OrderNotification = Schema.Struct({
  status: Schema.String,
  /** Documented default: ORDER. */
  type: OptionalText,
  thirdPartyReference: OptionalText,
  /** Absent from some documented examples (SUCCESS); needed to find the outlet's webhook token. */
  businessLocationId: Schema.optionalKey(Schema.NullOr(VendorId)),
  /** The account (ticket) identifier in the V3 format, e.g. "A123080.14". */
  ikentooAccountIdentifier: OptionalText,
  /** Deprecated V2 account id: documented as int64, sent as a string in the examples. */
  ikentooAccountId: Schema.optionalKey(Schema.NullOr(Schema.Union([Schema.String, VendorId]))),
  iKentooAccountId: Schema.optionalKey(Schema.NullOr(Schema.Union([Schema.String, VendorId]))),
  reason: OptionalText
})
export type OrderNotification = typeof OrderNotification.Type

/** Only the outlet, read before the notification is verified. */
export const NotificationOutlet = Schema.Struct({ businessLocationId: VendorId })
