import { Schema } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiMiddleware, HttpApiSecurity, OpenApi } from "effect/http-api"
import type { TenantRepositories } from "../../application/ports/tenant-storage.ts"
import type { CurrentPrincipal, CurrentTenant } from "./context.ts"
import {
  BadRequestJson,
  ForbiddenJson,
  ServiceUnavailableJson,
  UnauthorizedJson,
  UnsupportedMediaTypeJson
} from "./errors.ts"

/** Host -> tenant. Provides the tenant and its repositories; an unknown tenant is the invalid-key 401. */
export class Tenancy extends HttpApiMiddleware.Service<Tenancy, { provides: CurrentTenant | TenantRepositories }>()(
  "pos/http/Tenancy",
  { error: UnauthorizedJson }
) {}

/** X-Api-Key against the tenant's own key store, then the endpoint's scopes (403). */
export class ApiKeyAuth extends HttpApiMiddleware.Service<
  ApiKeyAuth,
  { provides: CurrentPrincipal; requires: CurrentTenant | TenantRepositories }
>()("pos/http/ApiKeyAuth", {
  error: [UnauthorizedJson, ForbiddenJson],
  security: { apiKey: HttpApiSecurity.apiKey({ key: "X-Api-Key", in: "header" }) }
}) {}

/** A JSON body is required where an endpoint takes one: anything else is a 415 before the body is read. */
export class RequireJson extends HttpApiMiddleware.Service<RequireJson>()("pos/http/RequireJson", {
  error: UnsupportedMediaTypeJson
}) {}

/** Decode failures of params, query, headers and body become a 400 naming the field and the problem. */
export class SchemaErrors extends HttpApiMiddleware.Service<SchemaErrors>()("pos/http/SchemaErrors", {
  error: BadRequestJson
}) {}

export const WhoAmI = Schema.Struct({
  authenticated: Schema.Literal(true),
  tenantId: Schema.String,
  apiKeyId: Schema.Int,
  expiresAt: Schema.NullOr(Schema.String),
  name: Schema.String,
  kind: Schema.String,
  scopes: Schema.Array(Schema.String)
})

export const AuthGroup = HttpApiGroup.make("auth")
  .add(HttpApiEndpoint.get("whoami", "/auth/whoami", { success: WhoAmI }))
  // The last middleware added runs first: tenant and key (401), scope (403), content type (415),
  // then body size (413) and validation (400), as SPEC section 3 orders them.
  .middleware(SchemaErrors)
  .middleware(RequireJson)
  .middleware(ApiKeyAuth)
  .middleware(Tenancy)
  .prefix("/api/v1")
  .annotateMerge(OpenApi.annotations({ title: "Authentication", description: "Check a partner key" }))

const Health = Schema.Struct({ status: Schema.String })

export const SystemGroup = HttpApiGroup.make("system", { topLevel: true })
  .add(HttpApiEndpoint.get("healthz", "/healthz", { success: Health }))
  .add(HttpApiEndpoint.get("readyz", "/readyz", { success: Health, error: ServiceUnavailableJson }))

export const Api = HttpApi.make("pos-integration")
  .add(SystemGroup)
  .add(AuthGroup)
  .annotateMerge(
    OpenApi.annotations({
      title: "pos-integration",
      description: "One standard partner API over many Point-of-Sale systems. Every error is the JSON envelope."
    })
  )
