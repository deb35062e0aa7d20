import { Schema } from "effect"
import { orderStatuses } from "../../domain/order.ts"
import { Money } from "./api-types.ts"

/**
 * The events partner webhooks carry, as schemas: the OpenAPI document's `webhooks` section is made
 * from them (one entry per event type), and the tests decode every delivery they receive with them,
 * so the documented payloads are the sent ones.
 */

const Instant = Schema.String.annotate({ format: "date-time", description: "RFC 3339, UTC, milliseconds" })
const OrderStatus = Schema.Literals(orderStatuses)
const BusyMode = Schema.Literals(["ONLINE", "BUSY", "PAUSED"])

const orderFields = {
  orderId: Schema.String,
  refCode: Schema.String,
  outletId: Schema.String,
  status: OrderStatus.annotate({ description: "The order's status after the change" }),
  posOrderId: Schema.NullOr(Schema.String).annotate({ description: "The POS's id for the order, once it gave one" }),
  total: Money
}

const SyncCounts = Schema.Struct({
  created: Schema.Int,
  updated: Schema.Int,
  unchanged: Schema.Int,
  deactivated: Schema.Int
})

const syncData = Schema.Struct({
  syncId: Schema.String,
  kind: Schema.Literals(["outlets", "products"]),
  provider: Schema.String,
  outletId: Schema.NullOr(Schema.String).annotate({ description: "The outlet a products sync was for" }),
  status: Schema.Literals(["succeeded", "failed"]),
  counts: Schema.Record(Schema.String, SyncCounts).annotate({ description: "What the sync did, by kind of object" }),
  error: Schema.NullOr(Schema.String),
  startedAt: Instant,
  finishedAt: Instant
})

/** Each event type: its summary, when it is sent, and its `data`. */
export const webhookEventData = {
  "order.created": {
    summary: "An order was placed",
    description:
      "Sent to the endpoints of the API key or OAuth client that placed the order, once it is stored (status RECEIVED).",
    data: Schema.Struct(orderFields)
  },
  "order.status_changed": {
    summary: "An order's status changed",
    description:
      "Every move of the order's status (SUBMITTED when the POS took it, then the POS's own progress, or a cancellation), to the endpoints of whoever placed it. `from` and `to` are the statuses; `source` says who moved it.",
    data: Schema.Struct({
      ...orderFields,
      from: OrderStatus,
      to: OrderStatus,
      reason: Schema.NullOr(Schema.String),
      source: Schema.Literals(["service", "partner", "pos"])
    })
  },
  "order.rejected": {
    summary: "The POS rejected an order",
    description: "Sent beside `order.status_changed` when an order becomes REJECTED, with the POS's reason.",
    data: Schema.Struct({ ...orderFields, reason: Schema.NullOr(Schema.String) })
  },
  "order.failed": {
    summary: "An order could not be delivered to the POS",
    description: "Sent beside `order.status_changed` when an order becomes FAILED (its delivery gave up), with why.",
    data: Schema.Struct({ ...orderFields, reason: Schema.NullOr(Schema.String) })
  },
  "menu.published": {
    summary: "A Menu V2 menu was published",
    description: "A new version of a menu, and the outlets it is on: fetch their effective menus again.",
    data: Schema.Struct({
      menuId: Schema.String,
      version: Schema.Int,
      name: Schema.String,
      items: Schema.Int.annotate({ description: "How many items its sections hold" }),
      publishedAt: Instant,
      outletIds: Schema.Array(Schema.String)
    })
  },
  "outlet.busy_changed": {
    summary: "An outlet's busy mode changed",
    description: "The POS set an outlet ONLINE, BUSY or PAUSED; `previous` is ONLINE when none was set before.",
    data: Schema.Struct({ outletId: Schema.String, busyMode: BusyMode, previous: BusyMode })
  },
  "product.availability_changed": {
    summary: "A product was snoozed or made available again at an outlet",
    description:
      "The POS snoozed a product until `snoozedUntil`, or until further notice (`indefinitely`), or lifted its snooze (`snoozedUntil` null, `indefinitely` false).",
    data: Schema.Struct({
      outletId: Schema.String,
      productId: Schema.String,
      snoozedUntil: Schema.NullOr(Instant),
      indefinitely: Schema.Boolean
    })
  },
  "sync.completed": {
    summary: "A POS sync succeeded",
    description: "An outlets or products sync (pushed by the POS or pulled by us) was applied.",
    data: syncData
  },
  "sync.failed": {
    summary: "A POS sync failed",
    description: "An outlets or products sync was refused or failed; `error` says why.",
    data: syncData
  },
  "endpoint.disabled": {
    summary: "Another endpoint of the tenant was disabled",
    description:
      "Sent to the other enabled endpoints of the same owner, whatever events they hear, when one of its endpoints failed every try for a day and was disabled. Enable it again with PATCH `enabled: true`: its waiting deliveries then go out, with a day of retries from then.",
    data: Schema.Struct({ endpointId: Schema.String, url: Schema.String, reason: Schema.String, disabledAt: Instant })
  },
  ping: {
    summary: "A test delivery",
    description: "Sent by POST /api/v1/webhook-endpoints/{endpointId}/test only, once, to check a receiver.",
    data: Schema.Struct({ endpointId: Schema.String })
  }
} as const

export type DocumentedEventType = keyof typeof webhookEventData

/** The whole body of an event of `type`: the Standard Webhooks payload with our id, tenant and sequence. */
export const webhookEventSchema = (type: DocumentedEventType) =>
  Schema.Struct({
    id: Schema.String.annotate({
      description: "The event's id, also the `webhook-id` header: the same on every retry (de-duplicate on it)"
    }),
    type: Schema.Literal(type),
    tenantId: Schema.String,
    timestamp: Instant.annotate({ description: "When the change happened" }),
    ...(type === "ping"
      ? {}
      : {
          sequence: Schema.Int.annotate({
            description:
              "The endpoint's own count of events, 1, 2, 3...: deliveries may arrive out of order (retries, several at once); this orders them"
          })
        }),
    data: webhookEventData[type].data
    // One schema per type; its static type is no use to callers, who decode unknown bodies.
  }) as unknown as Schema.Codec<unknown, unknown>

const componentName = (type: string) =>
  `${type
    .split(/[._]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("")}Event`

const signatureHeaders = [
  {
    name: "webhook-id",
    in: "header",
    required: true,
    description: "The event's id; the same on every try of it",
    schema: { type: "string" }
  },
  {
    name: "webhook-timestamp",
    in: "header",
    required: true,
    description: "When this try was sent, in Unix seconds: refuse one more than 5 minutes away from your clock",
    schema: { type: "string" }
  },
  {
    name: "webhook-signature",
    in: "header",
    required: true,
    description:
      "Space-separated `v1,<base64>` signatures: HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<body>` keyed with the base64 after `whsec_` of the endpoint's secret. Two during a secret rotation's overlap: either verifying is enough.",
    schema: { type: "string" }
  }
]

/**
 * The `webhooks` section (OpenAPI 3.1) and the schemas it refers to: one POST per event type, as
 * a receiver gets it.
 */
export const webhooksSection = () => {
  const schemas: Record<string, unknown> = {}
  const webhooks: Record<string, unknown> = {}
  for (const [type, event] of Object.entries(webhookEventData)) {
    const name = componentName(type)
    const document = Schema.toJsonSchemaDocument(webhookEventSchema(type as DocumentedEventType))
    // Named schemas (Money) are the document's components, as the operations' are.
    const components = (json: unknown) =>
      JSON.parse(JSON.stringify(json).replaceAll('"#/$defs/', '"#/components/schemas/')) as Record<string, unknown>
    for (const [key, definition] of Object.entries(document.definitions)) schemas[key] = components(definition)
    schemas[name] = { ...components(document.schema), description: event.summary }
    webhooks[type] = {
      post: {
        operationId: `${name.charAt(0).toLowerCase()}${name.slice(1)}`,
        tags: ["Webhook events"],
        summary: event.summary,
        description: `${event.description}\n\nSigned by Standard Webhooks 1.0 with the endpoint's secret: verify with any Standard Webhooks library (\`standardwebhooks\` on npm). Answer 2xx within 10 s; anything else, no answer or a reset is retried with backoff for about a day, with the same \`webhook-id\`.`,
        parameters: signatureHeaders,
        requestBody: {
          required: true,
          content: { "application/json": { schema: { $ref: `#/components/schemas/${name}` } } }
        },
        responses: {
          "200": { description: "Received (any 2xx will do)" }
        },
        security: []
      }
    }
  }
  return { webhooks, schemas }
}
