import {
  decodePayload,
  PayloadRejected,
  type PosCredentials,
  type PosEvent,
  UNTIL_FURTHER_NOTICE,
  verifySharedToken,
  WebhookRejected,
  type WebhookRequest,
  type WebhookSubject,
  webhookHeader,
  webhookJson
} from "@pos-integration/sdk"
import { Effect, Exit } from "effect"
import type { AccountCredentials, OutletCredentials } from "./credentials.ts"
import { orderStatus } from "./order-status.ts"
import { isoFromUnixSeconds } from "./time.ts"
import { Envelope, MenuUpdated, OrderEvent, OutletProbe, StockUpdated } from "./vendor-webhook.ts"

/**
 * The query parameter of the webhook URL that names the merchant: the operator registers the
 * endpoint at Atlas as `https://<tenant host>/api/v1/pos/atlas-kitchen/webhooks?merchant=<merchant id>`.
 * Atlas calls the URL exactly as registered, so every event of that endpoint carries it, and
 * events that name no outlet (`menu.updated`) are attributed to that merchant.
 */
export const merchantParameter = "merchant"

/**
 * The header an endpoint may carry to name an outlet for events that carry none, from before the
 * merchant query existed: such an event is then about that outlet only.
 */
export const outletHeader = "x-outlet-id"

/** The custom header Atlas may send the token in, when the endpoint is not set up with a Bearer token. */
export const tokenHeader = "x-webhook-token"

/** A merchant id as an operator writes it into a URL: printable, without spaces, at most 128 characters. */
const merchantIdPattern = /^[\x21-\x7e]{1,128}$/

/**
 * The merchant the webhook URL names, or null when it names none. Two values, or one that is not a
 * plain id, are refused rather than guessed at.
 */
export const webhookMerchant = (request: WebhookRequest): Effect.Effect<string | null, PayloadRejected> => {
  const values = Object.hasOwn(request.query, merchantParameter) ? (request.query[merchantParameter] ?? []) : []
  if (values.length === 0) return Effect.succeed(null)
  const [value] = values
  if (values.length > 1 || value === undefined) {
    return Effect.fail(PayloadRejected.one(`?${merchantParameter}`, "the webhook URL names more than one merchant"))
  }
  return merchantIdPattern.test(value)
    ? Effect.succeed(value)
    : Effect.fail(PayloadRejected.one(`?${merchantParameter}`, "not a merchant id"))
}

/**
 * Whom the webhook is about, read before it is verified, to find the credentials to verify it
 * with: the outlet of `payload.outlet_id` when the event has one (`stock.updated`, `order.*`);
 * otherwise the merchant of the URL's `?merchant=`; otherwise the outlet of an `X-Outlet-Id`
 * header. An event naming none of them is refused.
 */
export const webhookOutlet = Effect.fnUntraced(function* (
  request: WebhookRequest
): Effect.fn.Return<WebhookSubject, PayloadRejected> {
  const merchant = yield* webhookMerchant(request)
  const probe = yield* Effect.flatMap(webhookJson(request), decodePayload(OutletProbe))
  const outletId = probe.payload.outlet_id
  if (outletId !== undefined && outletId !== null) return { _tag: "Outlet", externalOutletId: String(outletId) }
  if (merchant !== null) return { _tag: "Account", accountId: merchant }
  const named = webhookHeader(request, outletHeader)?.trim()
  if (named !== undefined && named !== "") return { _tag: "Outlet", externalOutletId: named }
  return yield* PayloadRejected.one(
    "payload.outlet_id",
    `this event names no outlet: register the endpoint with ?${merchantParameter}=<merchant id> in its URL`
  )
})

const bearer = /^Bearer\s+(\S+)\s*$/i

/** The token as presented: `Authorization: Bearer <token>`, else the custom header. */
const presentedToken = (request: WebhookRequest): string | undefined => {
  const authorization = webhookHeader(request, "authorization")
  const fromBearer = authorization === undefined ? undefined : bearer.exec(authorization.trim())?.[1]
  return (fromBearer ?? webhookHeader(request, tokenHeader))?.trim()
}

/**
 * Atlas authenticates webhooks with a token configured per endpoint, sent as `Authorization: Bearer`
 * or in a custom header (`X-Webhook-Token` here). The token set for the outlet and the one set for
 * its merchant are both accepted (a merchant usually has one endpoint for all its outlets). A token
 * proves the sender, not the body: Atlas does not sign bodies, so a body altered in transit under
 * a valid token cannot be detected; an altered outlet or merchant is caught, since the request is
 * then checked against that outlet's or merchant's tokens. A URL naming a merchant other than the
 * one whose credentials are given is refused too.
 */
export const verifyWebhook = (
  request: WebhookRequest,
  credentials: PosCredentials<OutletCredentials, AccountCredentials>
): Effect.Effect<void, WebhookRejected> =>
  Effect.gen(function* () {
    const merchant = yield* webhookMerchant(request).pipe(
      Effect.mapError(() => new WebhookRejected({ reason: "the webhook URL does not name one merchant" }))
    )
    const account = credentials.account
    if (merchant !== null && account !== null && account.merchantId !== merchant) {
      return yield* new WebhookRejected({ reason: "the webhook URL names another merchant" })
    }
    const expected = [credentials.outlet?.webhookToken, account?.webhookToken].filter(
      (token): token is string => token !== undefined
    )
    if (expected.length === 0) {
      return yield* new WebhookRejected({ reason: "no webhook token is set for this outlet or its merchant" })
    }
    const presented = presentedToken(request)
    // Every token is compared, whichever matches, so the time taken does not tell which one did.
    const checks = yield* Effect.forEach(expected, (token) => Effect.exit(verifySharedToken(token, presented)))
    if (!checks.some(Exit.isSuccess)) {
      return yield* new WebhookRejected({ reason: presented === undefined ? "missing token" : "token mismatch" })
    }
  })

/**
 * Atlas events in canonical terms. `menu.updated` -> MenuChanged for every outlet of the merchant
 * the URL names (or, without one, for the webhook's own subject); `stock.updated` -> ItemsSnoozed
 * for that item at that outlet: until further notice when it is unavailable (an Atlas sell-out has
 * no end time: it lasts until the item is back in stock), null when it is available again;
 * `order.*` -> OrderStatusChanged with the order's `state`. Other event types (outlets, users)
 * carry nothing the core acts on: no events.
 */
export const decodeWebhook = Effect.fnUntraced(function* (
  request: WebhookRequest
): Effect.fn.Return<ReadonlyArray<PosEvent>, PayloadRejected> {
  const merchant = yield* webhookMerchant(request)
  const json = yield* webhookJson(request)
  const envelope = yield* decodePayload(Envelope)(json)
  const at = isoFromUnixSeconds(envelope.event_at)
  if (at === undefined) return yield* PayloadRejected.one("event_at", `not a time: ${envelope.event_at}`)
  const type = envelope.event_type
  if (type === "menu.updated") {
    yield* decodePayload(MenuUpdated)(json)
    return [{ _tag: "MenuChanged", externalOutletId: null, accountId: merchant }]
  }
  if (type === "stock.updated") {
    const stock = (yield* decodePayload(StockUpdated)(json)).payload
    return [
      {
        _tag: "ItemsSnoozed",
        externalOutletId: String(stock.outlet_id),
        items: [{ posCode: String(stock.item_id), until: stock.is_available ? null : UNTIL_FURTHER_NOTICE }]
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
