import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import type { Scope } from "../../domain/api-key.ts"
import { secured } from "./api-middleware.ts"
import { DateTimeQuery, doc, Limit, NextCursor } from "./api-types.ts"
import { RequiredScopes } from "./context.ts"
import { BadRequestJson, ConflictJson, NotFoundJson } from "./errors.ts"
import { OrderCancel, OrderCreate, OrderPlaced, OrderStatus, OrderSummary, OrderView } from "./orders-schemas.ts"

const needs = (scopes: ReadonlyArray<Scope>) => RequiredScopes.context(scopes)

/** Orders: placed by partners, priced by the server, delivered to the outlet's POS exactly once. */
export const OrdersGroup = secured(
  HttpApiGroup.make("orders")
    .add(
      HttpApiEndpoint.post("placeOrder", "/orders", {
        payload: OrderCreate,
        success: OrderPlaced.pipe(HttpApiSchema.status(201)),
        error: [BadRequestJson, NotFoundJson, ConflictJson]
      })
        .annotateMerge(needs(["orders:write"]))
        .annotateMerge(
          doc(
            "Place an order",
            "Checks the order against the outlet's effective menu at placement (or at `fulfilment.scheduledFor`): the outlet active, the menu open, every product on it and available, quantities 1 to 99, each modifier group's min and max, options inside their product's groups. Prices are the server's (the menu's special, else base, else the POS's price); totals are itemised (line subtotals, the partner's charges and discounts, tax per line rounded half-up in minor units). 201 with the priced order, status RECEIVED; it is then delivered to the outlet's POS (GET /api/v1/orders/{orderId} shows how). `refCode` makes it idempotent: the same refCode and body again answers the first 201 byte for byte (even after the menu closed), another body 409 `refcode conflict`, while the first is still running 409 `request in progress`. 400 (every problem, each with its path; a `payment.amount` other than the total states both) and 404 (`outlet not found`, `customer not found`) leave the refCode free. 409 `outlet paused`: the kitchen set busy mode PAUSED at its POS. 409 `orders not supported`: the outlet's POS takes no orders through this service."
          )
        )
    )
    .add(
      HttpApiEndpoint.get("getOrder", "/orders/:orderId", {
        params: { orderId: Schema.String },
        success: OrderView,
        error: NotFoundJson
      })
        .annotateMerge(needs(["orders:read"]))
        .annotateMerge(
          doc(
            "Read an order",
            "The order with its current status, the POS's order id once known, its status timeline (each entry's time, status, source and the POS's own status word and reason) and every delivery attempt to the POS (time, outcome, the POS's reason). 404 `order not found`."
          )
        )
    )
    .add(
      HttpApiEndpoint.get("listOrders", "/orders", {
        query: {
          refCode: Schema.optional(Schema.String),
          outletId: Schema.optional(Schema.String),
          status: Schema.optional(OrderStatus),
          createdSince: Schema.optional(DateTimeQuery),
          limit: Schema.optional(Limit),
          cursor: Schema.optional(Schema.String)
        },
        success: Schema.Struct({ data: Schema.Array(OrderSummary), nextCursor: NextCursor }),
        error: BadRequestJson
      })
        .annotateMerge(needs(["orders:read"]))
        .annotateMerge(
          doc(
            "List orders",
            "Newest first, filtered by `refCode`, `outletId`, `status` and `createdSince` (RFC 3339). Cursor pagination: `limit` 1 to 500 (default 50), `cursor` the previous page's `nextCursor`. 400: a filter or `limit` out of range, or a cursor that does not decode."
          )
        )
    )
    .add(
      HttpApiEndpoint.post("cancelOrder", "/orders/:orderId/cancel", {
        params: { orderId: Schema.String },
        payload: OrderCancel,
        success: [OrderView, OrderView.pipe(HttpApiSchema.status(202))],
        error: [BadRequestJson, NotFoundJson, ConflictJson]
      })
        .annotateMerge(needs(["orders:write"]))
        .annotateMerge(
          doc(
            "Cancel an order",
            "An order the POS does not have yet (RECEIVED, or FAILED) is cancelled at once: 200, status CANCELLED. An order the POS has is cancelled there: 202, the cancellation is delivered to the POS as the order was, and the order becomes CANCELLED when the POS takes it (a refusal is in the timeline). Cancelling again is harmless: the same answer. 409 `cancel not supported`: the outlet's POS cannot receive cancellations through this service (cancel it at the restaurant); 409 `order not cancellable`: the order is COMPLETED or REJECTED. 404 `order not found`."
          )
        )
    )
).annotateMerge(
  OpenApi.annotations({
    title: "Orders",
    description:
      "Orders placed by partners, validated and priced against the outlet's effective menu, and delivered to its POS through a transactional outbox: one POS order per refCode, status from the POS's webhooks."
  })
)
