import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { WebhookEventType } from "../../domain/webhook-endpoint.ts"
import { adminSecured } from "./api-middleware.ts"
import { DateTime, doc } from "./api-types.ts"
import { BadRequestJson, NotFoundJson } from "./errors.ts"
import { WebhookDeliveryView } from "./webhook-endpoints-api.ts"

export const AdminWebhookEndpointView = Schema.Struct({
  endpointId: Schema.String,
  owners: Schema.Array(Schema.String).annotate({
    description: "Who registered it: `apiKey:<id>` or `oauthClient:<id>` (and the keys it was rotated into)",
    examples: [["apiKey:3"]]
  }),
  url: Schema.String,
  eventTypes: Schema.Array(WebhookEventType),
  description: Schema.String,
  enabled: Schema.Boolean,
  disabledReason: Schema.NullOr(Schema.String),
  previousSecretExpiresAt: Schema.NullOr(DateTime),
  createdAt: DateTime,
  updatedAt: DateTime,
  health: Schema.Struct({
    pending: Schema.Int.annotate({ description: "Deliveries waiting for a try (or under one)" }),
    oldestPendingAt: Schema.NullOr(DateTime),
    lastSuccessAt: Schema.NullOr(DateTime).annotate({ description: "When it last answered 2xx; null: never" }),
    lastAttemptAt: Schema.NullOr(DateTime),
    lastError: Schema.NullOr(Schema.String).annotate({
      description: "The latest try's error; null when it succeeded or none was made"
    })
  })
}).annotate({ identifier: "AdminWebhookEndpoint", description: "A partner's webhook endpoint: never its secret" })

export const AdminWebhookDisable = Schema.Struct({
  reason: Schema.optional(Schema.String.pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(500))))
}).annotate({ identifier: "AdminWebhookDisable", examples: [{ reason: "answers 500 to everything" }] })

const tenantParam = { tenantId: Schema.String }
const endpointParams = { tenantId: Schema.String, endpointId: Schema.String }

/** Operators' view of the partners' webhook endpoints of a tenant, and the switch to stop one. */
export const AdminWebhooksGroup = adminSecured(
  HttpApiGroup.make("adminWebhooks")
    .add(
      HttpApiEndpoint.get("adminListWebhookEndpoints", "/tenants/:tenantId/webhook-endpoints", {
        params: tenantParam,
        success: Schema.Struct({ data: Schema.Array(AdminWebhookEndpointView) }),
        error: NotFoundJson
      }).annotateMerge(
        doc(
          "List a tenant's webhook endpoints",
          "Every partner's, oldest first; never a secret. 404 `tenant not found`."
        )
      )
    )
    .add(
      HttpApiEndpoint.get("adminListWebhookDeliveries", "/tenants/:tenantId/webhook-endpoints/:endpointId/deliveries", {
        params: endpointParams,
        success: Schema.Struct({ data: Schema.Array(WebhookDeliveryView) }),
        error: NotFoundJson
      }).annotateMerge(
        doc(
          "List a webhook endpoint's recent deliveries",
          "Its latest 50 deliveries, newest first, each with every try (time, status code, latency, error). 404 `tenant not found`, `webhook endpoint not found`."
        )
      )
    )
    .add(
      HttpApiEndpoint.post("adminDisableWebhookEndpoint", "/tenants/:tenantId/webhook-endpoints/:endpointId/disable", {
        params: endpointParams,
        payload: AdminWebhookDisable,
        success: AdminWebhookEndpointView,
        error: [BadRequestJson, NotFoundJson]
      }).annotateMerge(
        doc(
          "Disable a webhook endpoint",
          "Nothing more is sent to it; its owner sees `disabledReason` (`disabled by an operator`, and the reason given) and may enable it again. Disabling a disabled endpoint answers it as it is. 404 `tenant not found`, `webhook endpoint not found`."
        )
      )
    )
).annotateMerge(
  OpenApi.annotations({
    title: "Admin webhooks",
    description: "Operators' API, as Admin (an admin key on any host): the partners' webhook endpoints of a tenant."
  })
)
