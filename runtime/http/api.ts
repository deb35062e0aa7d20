import { Schema } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { ApiKeyAuth, RequireJson, SchemaErrors, secured, Tenancy } from "./api-middleware.ts"
import { CatalogGroup, ProvidersGroup, SyncGroup } from "./catalog-api.ts"
import { CustomersGroup } from "./customers-api.ts"
import { ServiceUnavailableJson } from "./errors.ts"
import { LoyaltyGroup } from "./loyalty-api.ts"

export { ApiKeyAuth, RequireJson, SchemaErrors, Tenancy }

export const WhoAmI = Schema.Struct({
  authenticated: Schema.Literal(true),
  tenantId: Schema.String,
  apiKeyId: Schema.Int,
  expiresAt: Schema.NullOr(Schema.String),
  name: Schema.String,
  kind: Schema.String,
  scopes: Schema.Array(Schema.String)
})

export const AuthGroup = secured(
  HttpApiGroup.make("auth").add(HttpApiEndpoint.get("whoami", "/auth/whoami", { success: WhoAmI }))
).annotateMerge(OpenApi.annotations({ title: "Authentication", description: "Check a partner key" }))

const Health = Schema.Struct({ status: Schema.String })

export const SystemGroup = HttpApiGroup.make("system", { topLevel: true })
  .add(HttpApiEndpoint.get("healthz", "/healthz", { success: Health }))
  .add(HttpApiEndpoint.get("readyz", "/readyz", { success: Health, error: ServiceUnavailableJson }))

export const Api = HttpApi.make("pos-integration")
  .add(SystemGroup)
  .add(AuthGroup)
  .add(ProvidersGroup)
  .add(SyncGroup)
  .add(CatalogGroup)
  .add(CustomersGroup)
  .add(LoyaltyGroup)
  .annotateMerge(
    OpenApi.annotations({
      title: "pos-integration",
      description: "One standard partner API over many Point-of-Sale systems. Every error is the JSON envelope."
    })
  )
