import { Schema } from "effect"
import { AtlasId, UnixSeconds } from "./vendor-values.ts"

/**
 * Atlas's outgoing webhooks (docs.atlas.kitchen, "Webhooks > Outgoing"): `{event_type, event_at,
 * payload}` with `event_at` in unix seconds. The payload's shape depends on the event type: each
 * event's Schema below decodes the whole body again, so its issues carry the body's paths.
 */
export const Envelope = Schema.Struct({
  event_type: Schema.String,
  event_at: UnixSeconds,
  payload: Schema.Unknown
})
export type Envelope = typeof Envelope.Type

/** `menu.updated`: `{"event": "menu.updated", "menu_id": 1}`; it names no outlet. */
export const MenuUpdated = Schema.Struct({ payload: Schema.Struct({ menu_id: AtlasId }) })

/** `stock.updated`: one item's availability at one outlet. */
export const StockUpdated = Schema.Struct({
  payload: Schema.Struct({
    item_id: AtlasId,
    outlet_id: AtlasId,
    is_available: Schema.Boolean
  })
})

/** `order.*`: the order (OrderCreatedPayload); `state` is a free string in the docs ("unpaid"). */
export const OrderEvent = Schema.Struct({
  payload: Schema.Struct({
    id: AtlasId,
    outlet_id: Schema.optionalKey(Schema.NullOr(AtlasId)),
    state: Schema.String,
    external_order_id: Schema.optionalKey(Schema.NullOr(Schema.String))
  })
})

/** What `webhookOutlet` reads before the request is verified: only the outlet, when there is one. */
export const OutletProbe = Schema.Struct({
  payload: Schema.Struct({ outlet_id: Schema.optionalKey(Schema.NullOr(AtlasId)) })
})
