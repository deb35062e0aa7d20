import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { maxDescriptionLength } from "../../application/webhook-endpoints/endpoints.ts"
import type { Scope } from "../../domain/api-key.ts"
import { WebhookEventType } from "../../domain/webhook-endpoint.ts"
import { secured } from "./api-middleware.ts"
import { DateTime, doc } from "./api-types.ts"
import { RequiredScopes } from "./context.ts"
import { BadRequestJson, NotFoundJson } from "./errors.ts"

const Url = Schema.String.pipe(Schema.check(Schema.isMaxLength(2048))).annotate({
  description:
    "Where events are POSTed: an https URL whose host resolves to public addresses only (no loopback, private, link-local or metadata ranges), checked again at every delivery. Redirects are not followed.",
  examples: ["https://hooks.partner.example/pos-integration"]
})

const EventTypes = Schema.Array(WebhookEventType).annotate({
  description: "The events to hear; empty or absent: every one"
})

const Description = Schema.String.pipe(Schema.check(Schema.isMaxLength(maxDescriptionLength)))

export const WebhookEndpointView = Schema.Struct({
  endpointId: Schema.String.annotate({ examples: ["whe_6f1c2a9e4b7d4c0fa1e2b3c4d5e6f708"] }),
  url: Schema.String,
  eventTypes: Schema.Array(WebhookEventType),
  description: Schema.String,
  enabled: Schema.Boolean,
  disabledReason: Schema.NullOr(Schema.String).annotate({
    description: "Why it is disabled (by its owner, an operator, or a day of failed deliveries); null when enabled"
  }),
  previousSecretExpiresAt: Schema.NullOr(DateTime).annotate({
    description: "Until when the secret before the latest rotation still signs beside the new one; null: it does not"
  }),
  createdAt: DateTime,
  updatedAt: DateTime
}).annotate({ identifier: "WebhookEndpoint" })

const Secret = Schema.String.annotate({
  description:
    "The signing secret (Standard Webhooks: `whsec_` and base64), shown this once: verify each delivery's `webhook-signature` with it",
  examples: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]
})

export const WebhookEndpointCreated = Schema.Struct({ endpoint: WebhookEndpointView, secret: Secret })
  .annotate({ identifier: "WebhookEndpointCreated" })
  .pipe(HttpApiSchema.status(201))

export const WebhookEndpointSecret = Schema.Struct({ endpoint: WebhookEndpointView, secret: Secret }).annotate({
  identifier: "WebhookEndpointSecret"
})

export const WebhookEndpointCreate = Schema.Struct({
  url: Url,
  eventTypes: Schema.optional(EventTypes),
  description: Schema.optional(Description)
}).annotate({
  identifier: "WebhookEndpointCreate",
  examples: [{ url: "https://hooks.partner.example/pos", eventTypes: ["order.status_changed"], description: "orders" }]
})

export const WebhookEndpointChange = Schema.Struct({
  url: Schema.optional(Url),
  eventTypes: Schema.optional(EventTypes),
  description: Schema.optional(Description),
  enabled: Schema.optional(Schema.Boolean)
}).annotate({
  identifier: "WebhookEndpointChange",
  description: "The fields to change; the others stay as they are",
  examples: [{ enabled: false }]
})

export const WebhookSecretRotate = Schema.Struct({
  overlapSeconds: Schema.optional(
    Schema.Int.annotate({
      description: "How long the old secret keeps signing beside the new one, 0 to 2592000 (30 days); default 86400",
      default: 86400
    })
  )
}).annotate({ identifier: "WebhookSecretRotate", examples: [{ overlapSeconds: 3600 }] })

export const WebhookTestResult = Schema.Struct({
  delivered: Schema.Boolean.annotate({ description: "The receiver answered 2xx" }),
  webhookId: Schema.String.annotate({ description: "The `webhook-id` the ping carried" }),
  status: Schema.NullOr(Schema.Int).annotate({ description: "The receiver's HTTP status; null when none came" }),
  latencyMs: Schema.Number,
  error: Schema.NullOr(Schema.String).annotate({
    description: "Why no 2xx came: a timeout, a reset, a refused destination; null when delivered"
  })
}).annotate({ identifier: "WebhookTestResult" })

export const WebhookDeliveryAttemptView = Schema.Struct({
  attempt: Schema.Int.annotate({ description: "1 for the first try; a redelivery goes on counting" }),
  startedAt: DateTime,
  latencyMs: Schema.Int,
  statusCode: Schema.NullOr(Schema.Int).annotate({ description: "The receiver's HTTP status; null when none came" }),
  error: Schema.NullOr(Schema.String).annotate({
    description: "Why the try failed (`answered 500`, `timeout after 10000 ms`, `connection reset`); null for a 2xx"
  })
}).annotate({ identifier: "WebhookDeliveryAttempt" })

export const WebhookDeliveryView = Schema.Struct({
  deliveryId: Schema.String.annotate({ examples: ["whd_0c6b1f8e2a4d4e6f8a0b1c2d3e4f5a6b"] }),
  eventId: Schema.String.annotate({
    description: "The event's id: the `webhook-id` header of every try (de-duplicate on it)",
    examples: ["evt_5d2c7e1a9b3f4a6c8e0d1f2a3b4c5d6e"]
  }),
  eventType: Schema.String,
  sequence: Schema.Int.annotate({
    description: "The endpoint's own count of events, 1, 2, 3...: the order they were recorded in"
  }),
  state: Schema.Literals(["pending", "delivered", "failed"]).annotate({
    description:
      "`pending`: a try is due (`nextAttemptAt`); `delivered`: the receiver answered 2xx; `failed`: every try for a day failed"
  }),
  nextAttemptAt: Schema.NullOr(DateTime),
  createdAt: DateTime,
  finishedAt: Schema.NullOr(DateTime),
  attempts: Schema.Array(WebhookDeliveryAttemptView)
}).annotate({ identifier: "WebhookDelivery" })

export const WebhookDeliveryPage = Schema.Struct({
  data: Schema.Array(WebhookDeliveryView),
  nextBefore: Schema.NullOr(Schema.Int).annotate({
    description: "Pass as `before` for the next (older) page; null on the last page"
  })
}).annotate({ identifier: "WebhookDeliveryPage" })

const DeliveryLimit = Schema.Int.check(
  Schema.isBetween({ minimum: 1, maximum: 100 }, { message: "must be an integer from 1 to 100" })
).annotate({ description: "Page size, 1 to 100", default: 20 })

const Before = Schema.Int.check(
  Schema.isGreaterThanOrEqualTo(1, { message: "must be an integer of 1 or more" })
).annotate({ description: "Only deliveries with a lower `sequence` (the previous page's `nextBefore`)" })

const needs = (scopes: ReadonlyArray<Scope>) => RequiredScopes.context(scopes)
const endpointParams = { endpointId: Schema.String }

export const WebhookEndpointsGroup = secured(
  HttpApiGroup.make("webhookEndpoints")
    .add(
      HttpApiEndpoint.post("create", "/webhook-endpoints", {
        payload: WebhookEndpointCreate,
        success: WebhookEndpointCreated,
        error: BadRequestJson
      })
        .annotateMerge(needs(["webhooks:write"]))
        .annotateMerge(
          doc(
            "Register a webhook endpoint",
            "Events are POSTed to it signed by Standard Webhooks 1.0 (`webhook-id`, `webhook-timestamp`, `webhook-signature`) with the secret answered here once. It belongs to the key or OAuth client that registers it (and to the keys it is rotated into): it hears the order events of that caller's orders and the tenant's menu, outlet and sync events; only its owner sees or changes it. 400: a URL that is not https, or whose host is or resolves to a loopback, private, link-local or metadata address; an unknown event type; more than 20 endpoints."
          )
        )
    )
    .add(
      HttpApiEndpoint.get("list", "/webhook-endpoints", {
        success: Schema.Struct({ data: Schema.Array(WebhookEndpointView) })
      })
        .annotateMerge(needs(["webhooks:read"]))
        .annotateMerge(doc("List webhook endpoints", "The caller's own endpoints, oldest first; never a secret."))
    )
    .add(
      HttpApiEndpoint.get("get", "/webhook-endpoints/:endpointId", {
        params: endpointParams,
        success: WebhookEndpointView,
        error: NotFoundJson
      })
        .annotateMerge(needs(["webhooks:read"]))
        .annotateMerge(
          doc("Show a webhook endpoint", "404 `webhook endpoint not found`: unknown, or another caller's.")
        )
    )
    .add(
      HttpApiEndpoint.patch("change", "/webhook-endpoints/:endpointId", {
        params: endpointParams,
        payload: WebhookEndpointChange,
        success: WebhookEndpointView,
        error: [BadRequestJson, NotFoundJson]
      })
        .annotateMerge(needs(["webhooks:write"]))
        .annotateMerge(
          doc(
            "Change a webhook endpoint",
            "The URL (checked as at registration), the event types, the description, or `enabled`: disabling stops its deliveries, enabling resumes them (an endpoint disabled after a day of failures is enabled this way). 404 `webhook endpoint not found`."
          )
        )
    )
    .add(
      HttpApiEndpoint.delete("remove", "/webhook-endpoints/:endpointId", {
        params: endpointParams,
        success: HttpApiSchema.NoContent,
        error: NotFoundJson
      })
        .annotateMerge(needs(["webhooks:write"]))
        .annotateMerge(
          doc("Remove a webhook endpoint", "204; nothing more is sent to it. 404 `webhook endpoint not found`.")
        )
    )
    .add(
      HttpApiEndpoint.post("rotateSecret", "/webhook-endpoints/:endpointId/rotate-secret", {
        params: endpointParams,
        payload: WebhookSecretRotate,
        success: WebhookEndpointSecret,
        error: [BadRequestJson, NotFoundJson]
      })
        .annotateMerge(needs(["webhooks:write"]))
        .annotateMerge(
          doc(
            "Rotate a webhook endpoint's secret",
            "A new secret, answered once; during the overlap (default 24 h) every delivery carries two signatures, one per secret, so a receiver verifies with either while it switches. 400: an overlap out of range. 404 `webhook endpoint not found`."
          )
        )
    )
    .add(
      HttpApiEndpoint.get("deliveries", "/webhook-endpoints/:endpointId/deliveries", {
        params: endpointParams,
        query: { before: Schema.optional(Before), limit: Schema.optional(DeliveryLimit) },
        success: WebhookDeliveryPage,
        error: [BadRequestJson, NotFoundJson]
      })
        .annotateMerge(needs(["webhooks:read"]))
        .annotateMerge(
          doc(
            "List an endpoint's deliveries",
            "Newest first (highest `sequence`), each with every try: when, the receiver's status, the latency and the error. Pages of `limit` (1 to 100, default 20); `before` the previous page's `nextBefore`. 404 `webhook endpoint not found`."
          )
        )
    )
    .add(
      HttpApiEndpoint.post("redeliver", "/webhook-endpoints/:endpointId/deliveries/:deliveryId/redeliver", {
        params: { endpointId: Schema.String, deliveryId: Schema.String },
        success: WebhookDeliveryView.pipe(HttpApiSchema.status(202)),
        error: NotFoundJson
      })
        .annotateMerge(needs(["webhooks:write"]))
        .annotateMerge(
          doc(
            "Send a delivery again",
            "202: a delivered or failed delivery is sent again now, with the same event and `webhook-id` (receivers drop it if they have it), and a day of retries; its earlier tries stay listed. A pending one is left as it is. A disabled endpoint's delivery waits until the endpoint is enabled. 404 `webhook endpoint not found` or `webhook delivery not found`."
          )
        )
    )
    .add(
      HttpApiEndpoint.post("test", "/webhook-endpoints/:endpointId/test", {
        params: endpointParams,
        success: WebhookTestResult,
        error: NotFoundJson
      })
        .annotateMerge(needs(["webhooks:write"]))
        .annotateMerge(
          doc(
            "Send a ping",
            "A `ping` event, signed like every delivery, sent now (10 s deadline, no retry); the answer says what the receiver answered. 404 `webhook endpoint not found`."
          )
        )
    )
).annotateMerge(
  OpenApi.annotations({
    title: "Webhook endpoints",
    description:
      "Partner webhooks: endpoints that hear about orders, menus, outlets and syncs, signed by Standard Webhooks 1.0"
  })
)
