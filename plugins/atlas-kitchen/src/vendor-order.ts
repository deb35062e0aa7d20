import { Schema } from "effect"

/**
 * Atlas's Admin API order creation, `POST /outlets/{outlet_id}/channels/{channel_id}/orders`
 * (docs.atlas.kitchen "Create Order" and its `OrderRequest` schema; connect.atlas.kitchen
 * "Create Order"). Money is integer cents; `serving_date` is `YYYY-MM-DD` and the timeslot seconds
 * from its midnight, in Atlas's time (GMT+08, docs "Date and Time"). Only documented fields are
 * sent; a field this plugin has nothing for is left out rather than sent empty.
 */
export interface AtlasOrderRequest {
  readonly fulfilment_type: "dine_in" | "pickup" | "delivery"
  readonly serving_date: string
  readonly timeslot_start: number
  readonly timeslot_end: number
  readonly timeslot_type: "asap" | "available_timeslots"
  readonly order_items: ReadonlyArray<AtlasOrderItem>
  readonly contact_name?: string
  readonly contact_email?: string
  readonly contact_number?: string
  readonly external_order_id: string
  readonly external_order_short_code?: string
  readonly address_line1?: string
  readonly address_line2?: string
  readonly postal_code?: string
  readonly address_latitude?: number
  readonly address_longitude?: number
  readonly notes?: string
  readonly is_paid: boolean
  readonly subtotal: number
  readonly delivery_fee: number
  readonly surcharge: number
  readonly discount: number
  readonly total: number
  readonly tax: number
  readonly tax_rate?: string
  readonly total_including_tax: number
  readonly order_payments?: ReadonlyArray<AtlasOrderPayment>
}

/** `OrderItemRequest`: the item (`item_id`), how many, its unit price, and its modifiers as `sub_items`. */
export interface AtlasOrderItem {
  readonly item_id: number
  readonly name: string
  readonly quantity: number
  readonly price_cents: number
  readonly notes?: string
  readonly sub_items: ReadonlyArray<AtlasSubItem>
}

/** A modifier of an order item: the modifier's item (`item_id`), per unit of the order item. */
export interface AtlasSubItem {
  readonly item_id: number
  readonly quantity: number
  readonly price_cents: number
}

/** `OrderPayment`: `amount`, `capture_id` and `capture_type` are required when a payment is sent. */
export interface AtlasOrderPayment {
  readonly amount: number
  readonly capture_id: string
  readonly capture_type: string
}

/** An Atlas id as answered: an integer (`"id": 85`), or its digits as a string. */
const AnsweredId = Schema.Union([Schema.Int, Schema.String.pipe(Schema.check(Schema.isPattern(/^\d{1,19}$/)))])

/**
 * What this plugin reads of the order Atlas answers with (`OrderResponse`): its id, and the
 * reference it was created with, to make sure the answer is about the order sent.
 */
export const OrderAnswer = Schema.Struct({
  id: AnsweredId,
  external_order_id: Schema.optionalKey(Schema.NullOr(Schema.String))
})

/**
 * An error answer (`ApiError`: `{type, message, details[{field, message}]}`), read to tell a
 * repeated `external_order_id` from other refusals. An id of the order Atlas already has is read
 * when the answer carries one (`order_id` or `id`); the documented shape has none.
 */
export const ErrorAnswer = Schema.Struct({
  type: Schema.optionalKey(Schema.NullOr(Schema.String)),
  message: Schema.optionalKey(Schema.NullOr(Schema.String)),
  details: Schema.optionalKey(
    Schema.NullOr(
      Schema.Array(
        Schema.Struct({
          field: Schema.optionalKey(Schema.NullOr(Schema.String)),
          message: Schema.optionalKey(Schema.NullOr(Schema.String))
        })
      )
    )
  ),
  order_id: Schema.optionalKey(Schema.NullOr(AnsweredId)),
  id: Schema.optionalKey(Schema.NullOr(AnsweredId))
})
