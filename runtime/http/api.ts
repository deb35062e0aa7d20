import { Schema } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { KeyKind, Scope as ScopeSchema } from "../../domain/api-key.ts"
import { AdminGroup } from "./admin-api.ts"
import { AdminOAuthGroup } from "./admin-oauth-api.ts"
import { AdminWebhooksGroup } from "./admin-webhooks-api.ts"
import { ApiKeyAuth, RequireJson, SchemaErrors, secured, Tenancy } from "./api-middleware.ts"
import { DateTime, doc } from "./api-types.ts"
import { CatalogGroup, ProvidersGroup, SyncGroup } from "./catalog-api.ts"
import { CustomersGroup } from "./customers-api.ts"
import { ServiceUnavailableJson } from "./errors.ts"
import { LoyaltyGroup } from "./loyalty-api.ts"
import { MenusGroup } from "./menus-api.ts"
import { OrdersGroup } from "./orders-api.ts"
import { PullGroup } from "./pull-api.ts"
import { WebhookEndpointsGroup } from "./webhook-endpoints-api.ts"
import { WebhooksGroup } from "./webhooks-api.ts"

export { ApiKeyAuth, RequireJson, SchemaErrors, Tenancy }

export const WhoAmI = Schema.Struct({
  authenticated: Schema.Literal(true),
  tenantId: Schema.String,
  scheme: Schema.Literals(["apiKey", "bearer"]).annotate({
    description: "`apiKey`: an `X-Api-Key`; `bearer`: an OAuth 2.0 access token in `Authorization: Bearer`"
  }),
  apiKeyId: Schema.NullOr(Schema.Int).annotate({ description: "The key's id; null for an access token" }),
  clientId: Schema.NullOr(Schema.String).annotate({
    description: "The OAuth client the access token was issued to (`posc_<id>`); null for an API key",
    examples: ["posc_3"]
  }),
  expiresAt: Schema.NullOr(DateTime).annotate({
    description: "When the key expires (null: never), or when the access token does"
  }),
  name: Schema.NullOr(Schema.String).annotate({ description: "The key's name; null for an access token" }),
  kind: Schema.NullOr(KeyKind).annotate({ description: "The key's kind; null for an access token" }),
  scopes: Schema.Array(ScopeSchema)
}).annotate({ identifier: "WhoAmI" })

export const AuthGroup = secured(
  HttpApiGroup.make("auth").add(
    HttpApiEndpoint.get("whoami", "/auth/whoami", { success: WhoAmI }).annotateMerge(
      doc(
        "Check a key or an access token",
        "The tenant, the scheme, the key (id, name, kind) or the OAuth client, the expiry and the scopes: the smoke test before integrating. 401 for every failure (a key or token missing, malformed, unknown, expired, revoked or of another tenant, both at once, or a host that names no tenant), always the same bytes."
      )
    )
  )
).annotateMerge(OpenApi.annotations({ title: "Authentication", description: "Check a partner key" }))

const Health = Schema.Struct({ status: Schema.String.annotate({ examples: ["ok", "ready"] }) }).annotate({
  identifier: "Health"
})

export const SystemGroup = HttpApiGroup.make("system", { topLevel: true })
  .add(
    HttpApiEndpoint.get("healthz", "/healthz", { success: Health }).annotateMerge(
      doc("Liveness", "The process is up (`ok`). No key and no tenant host needed.")
    )
  )
  .add(
    HttpApiEndpoint.get("readyz", "/readyz", { success: Health, error: ServiceUnavailableJson }).annotateMerge(
      doc(
        "Readiness",
        "`ready` once start-up work (migrations, the demo tenant) is done and while the control database answers; 503 `temporarily unavailable` while starting, while draining after SIGTERM or SIGINT, and when the control database does not answer. No key and no tenant host needed."
      )
    )
  )
  .annotateMerge(
    OpenApi.annotations({ title: "System", description: "Health checks for load balancers and operators" })
  )

export const Api = HttpApi.make("pos-integration")
  .add(SystemGroup)
  .add(AuthGroup)
  .add(ProvidersGroup)
  .add(SyncGroup)
  .add(PullGroup)
  .add(CatalogGroup)
  .add(CustomersGroup)
  .add(LoyaltyGroup)
  .add(MenusGroup)
  .add(OrdersGroup)
  .add(WebhooksGroup)
  .add(WebhookEndpointsGroup)
  .add(AdminGroup)
  .add(AdminOAuthGroup)
  .add(AdminWebhooksGroup)
  .annotateMerge(
    OpenApi.annotations({
      title: "pos-integration",
      description:
        'One standard partner API over many Point-of-Sale systems. The tenant is the first label of the request\'s host name (`acme.example.com`); every partner request carries an API key in `X-Api-Key`, with the scopes each operation names. Every error answers the JSON envelope `{"error":{"code","message","details"}}`, `code` equal to the HTTP status, and every response carries `X-Request-Id`. Date-times are RFC 3339; money is an integer in minor units with an ISO 4217 currency.'
    })
  )
