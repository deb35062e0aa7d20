import { Schema } from "effect"

/**
 * The webhooks Deliverect sends a channel, in its own field names (Channel API: "Order Status
 * Update", "Snooze / Unsnooze Products", "Busy Mode"; POS API "Operational Callback").
 */

const optionalText = Schema.optionalKey(Schema.NullOr(Schema.String))

/** `{"orderId","channelOrderId","status":20,"timeStamp","receiptId","reason","location","channelLink"}`. */
export const OrderStatusUpdate = Schema.Struct({
  orderId: optionalText,
  channelOrderId: optionalText,
  /** A code (20) or, from some POS flows, a string ("20", "READY_FOR_PICKUP"): unknown ones are ignored. */
  status: Schema.Union([Schema.Number, Schema.String]),
  timeStamp: optionalText,
  reason: optionalText,
  location: optionalText,
  channelLink: optionalText
})
export type OrderStatusUpdate = typeof OrderStatusUpdate.Type

/** The docs' own example carries an item without a plu (`"items": [{}]`): such items are skipped. */
const SnoozeItem = Schema.Struct({
  plu: optionalText,
  snoozeStart: optionalText,
  snoozeEnd: optionalText
})
export type SnoozeItem = typeof SnoozeItem.Type

const SnoozeItems = Schema.optionalKey(Schema.Array(SnoozeItem))

/** `allSnoozedItems` is documented under `data` but seen one level up: both places are read. */
export const SnoozeOperation = Schema.Struct({
  action: Schema.String,
  data: Schema.optionalKey(Schema.Struct({ items: SnoozeItems, allSnoozedItems: SnoozeItems })),
  allSnoozedItems: SnoozeItems
})

export const SnoozeWebhook = Schema.Struct({
  accountId: optionalText,
  locationId: optionalText,
  channelLinkId: Schema.String.pipe(Schema.check(Schema.isMinLength(1))),
  operations: Schema.Array(SnoozeOperation)
})

/** `{"accountId","locationId","channelLinkId","status":"PAUSED"|"ONLINE"|"BUSY","delay":30}`. */
export const BusyModeWebhook = Schema.Struct({
  accountId: optionalText,
  locationId: optionalText,
  channelLinkId: Schema.String.pipe(Schema.check(Schema.isMinLength(1))),
  status: Schema.String,
  delay: Schema.optionalKey(Schema.NullOr(Schema.Number))
})

/** One entry of the operational callback: `eventType` "menuPush" reports a menu publish per channel link. */
export const OperationReport = Schema.Struct({
  eventType: Schema.String,
  accountId: optionalText,
  channelLinkId: optionalText,
  status: optionalText
})
export const OperationReports = Schema.Array(OperationReport)

/** Where a webhook names its store: `channelLinkId`, or `channelLink` in order status updates. */
export const OutletReference = Schema.Struct({
  channelLinkId: Schema.optionalKey(Schema.Unknown),
  channelLink: Schema.optionalKey(Schema.Unknown)
})
