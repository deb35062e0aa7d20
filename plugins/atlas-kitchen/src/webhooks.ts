import {
  decodePayload,
  PayloadRejected,
  type PosEvent,
  verifySharedToken,
  type WebhookRejected,
  type WebhookRequest,
  webhookHeader,
  webhookJson
} from "@pos-integration/sdk"
import { Effect } from "effect"
import type { Credentials } from "./credentials.ts"
import { orderStatus } from "./order-status.ts"
import { isoFromUnixSeconds } from "./time.ts"
import { Envelope, MenuUpdated, OrderEvent, OutletProbe, StockUpdated } from "./vendor-webhook.ts"

/**
 * The header an operator adds to the Atlas webhook endpoint to name the outlet for events that carry
 * none (`menu.updated`). Atlas's own incoming webhooks use the same header name.
 */
export const outletHeader = "x-outlet-id"

/** The custom header Atlas may send the token in, when the endpoint is not set up with a Bearer token. */
export const tokenHeader = "x-webhook-token"

/**
 * Which outlet's token verifies the request: `payload.outlet_id` when the event has one
 * (`stock.updated`, `order.*`); otherwise the `X-Outlet-Id` header. A menu is merchant-wide, but
 * Atlas's token is per endpoint and our secrets are per outlet, so one outlet must vouch for it.
 */
export const webhookOutlet = Effect.fnUntraced(function* (
  request: WebhookRequest
): Effect.fn.Return<string, PayloadRejected> {
  const probe = yield* Effect.flatMap(webhookJson(request), decodePayload(OutletProbe))
  const outletId = probe.payload.outlet_id
  if (outletId !== undefined && outletId !== null) return String(outletId)
  const named = webhookHeader(request, outletHeader)?.trim()
  if (named !== undefined && named !== "") return named
  return yield* PayloadRejected.one(
    "payload.outlet_id",
    "this event names no outlet: send an X-Outlet-Id header naming the outlet whose token the endpoint carries"
  )
})

const bearer = /^Bearer\s+(\S+)\s*$/i

/**
 * Atlas authenticates webhooks with a token configured per endpoint, sent as `Authorization: Bearer`
 * or in a custom header (`X-Webhook-Token` here). A token proves the sender, not the body: Atlas
 * does not sign bodies, so a body altered in transit under a valid token cannot be detected; an
 * altered outlet id is caught, since the request is then checked against that outlet's token.
 */
export const verifyWebhook = (
  request: WebhookRequest,
  credentials: Credentials
): Effect.Effect<void, WebhookRejected> => {
  const authorization = webhookHeader(request, "authorization")
  const presented =
    (authorization === undefined ? undefined : bearer.exec(authorization.trim())?.[1]) ??
    webhookHeader(request, tokenHeader)
  return verifySharedToken(credentials.webhookToken, presented?.trim())
}

/**
 * Atlas events in canonical terms. `menu.updated` -> MenuChanged (merchant-wide: no outlet);
 * `stock.updated` -> ItemsSnoozed for that item at that outlet: until null (indefinitely) when it is
 * unavailable, until the event's time when it is available again (a snooze that ended then: without
 * it an item once sold out would stay snoozed forever); `order.*` -> OrderStatusChanged with the
 * order's `state`. Other event types (outlets, users) carry nothing the core acts on: no events.
 */
export const decodeWebhook = Effect.fnUntraced(function* (
  request: WebhookRequest
): Effect.fn.Return<ReadonlyArray<PosEvent>, PayloadRejected> {
  const json = yield* webhookJson(request)
  const envelope = yield* decodePayload(Envelope)(json)
  const at = isoFromUnixSeconds(envelope.event_at)
  if (at === undefined) return yield* PayloadRejected.one("event_at", `not a time: ${envelope.event_at}`)
  const type = envelope.event_type
  if (type === "menu.updated") {
    yield* decodePayload(MenuUpdated)(json)
    return [{ _tag: "MenuChanged", externalOutletId: null }]
  }
  if (type === "stock.updated") {
    const stock = (yield* decodePayload(StockUpdated)(json)).payload
    return [
      {
        _tag: "ItemsSnoozed",
        externalOutletId: String(stock.outlet_id),
        items: [{ posCode: String(stock.item_id), until: stock.is_available ? at : null }]
      }
    ]
  }
  if (type.startsWith("order.")) {
    const order = (yield* decodePayload(OrderEvent)(json)).payload
    return [
      {
        _tag: "OrderStatusChanged",
        // The order was created with our refCode as external_order_id.
        refCode: order.external_order_id ?? null,
        posOrderId: String(order.id),
        status: orderStatus(order.state),
        vendorStatus: order.state,
        reason: null,
        at
      }
    ]
  }
  return []
})
