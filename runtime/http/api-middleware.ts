import type { Context } from "effect"
import type { HttpApiEndpoint, HttpApiGroup } from "effect/http-api"
import { HttpApi, HttpApiMiddleware, HttpApiSecurity } from "effect/http-api"
import type { TenantRepositories } from "../../application/ports/tenant-storage.ts"
import { sessionCookieName } from "../console/session.ts"
import { type CurrentAdmin, type CurrentPrincipal, type CurrentTenant, VendorFormat } from "./context.ts"
import {
  BadRequestJson,
  ForbiddenJson,
  ServiceUnavailableJson,
  TooManyRequestsJson,
  UnauthorizedJson,
  UnsupportedMediaTypeJson
} from "./errors.ts"

// Every secured group declares these through `secured` (below).

/** Host -> tenant. Provides the tenant and its repositories; an unknown tenant is the invalid-key 401. */
export class Tenancy extends HttpApiMiddleware.Service<Tenancy, { provides: CurrentTenant | TenantRepositories }>()(
  "pos/http/Tenancy",
  { error: [UnauthorizedJson, ServiceUnavailableJson] }
) {}

/**
 * X-Api-Key against the tenant's own key store, else an OAuth 2.0 access token in `Authorization:
 * Bearer` (never both), then the tenant's rate limits (429), then the endpoint's scopes (403).
 */
export class ApiKeyAuth extends HttpApiMiddleware.Service<
  ApiKeyAuth,
  { provides: CurrentPrincipal; requires: CurrentTenant | TenantRepositories }
>()("pos/http/ApiKeyAuth", {
  error: [UnauthorizedJson, ForbiddenJson, TooManyRequestsJson, ServiceUnavailableJson],
  security: {
    apiKey: HttpApiSecurity.apiKey({ key: "X-Api-Key", in: "header" }),
    bearer: HttpApiSecurity.bearer
  }
}) {}

/** X-Api-Key against the operators' admin keys (control database): the admin API, on any host. */
export class AdminAuth extends HttpApiMiddleware.Service<AdminAuth, { provides: CurrentAdmin }>()(
  "pos/http/AdminAuth",
  {
    error: [UnauthorizedJson, ForbiddenJson, ServiceUnavailableJson],
    // An admin key, else the console's session cookie (its changes need the session's CSRF token).
    security: {
      adminKey: HttpApiSecurity.apiKey({ key: "X-Api-Key", in: "header" }),
      session: HttpApiSecurity.apiKey({ key: sessionCookieName, in: "cookie" })
    }
  }
) {}

/** A JSON body is required where an endpoint takes one: anything else is a 415 before the body is read. */
export class RequireJson extends HttpApiMiddleware.Service<RequireJson>()("pos/http/RequireJson", {
  error: UnsupportedMediaTypeJson
}) {}

/**
 * What the declared schemas cannot say, on the raw request: text PostgreSQL cannot store, unknown
 * and repeated query parameters, integers that are not plain digits (runtime/http/strict-input.ts).
 */
export class StrictInput extends HttpApiMiddleware.Service<StrictInput>()("pos/http/StrictInput", {
  error: BadRequestJson
}) {}

/** Decode failures of params, query, headers and body become a 400 naming the field and the problem. */
export class SchemaErrors extends HttpApiMiddleware.Service<SchemaErrors>()("pos/http/SchemaErrors", {
  error: BadRequestJson
}) {}

/**
 * Our own formats are strict: an unknown body field or query parameter is a 400 (POS payloads are
 * `Schema.Any`, so the vendors' fields stay untouched). Every problem is reported, each with the
 * value it refused, in the style of runtime/http/validation-details.ts.
 */
export const strict = { onExcessProperty: "error", errors: "all", reportInput: true } as const
/** Transport headers (host, user-agent, ...) are never declared: unknown headers are fine. */
export const lenient = { errors: "all", reportInput: true } as const

/**
 * An endpoint that takes a vendor's format (a POS webhook): query parameters we do not read are
 * tolerated, since vendors add them without notice. Text PostgreSQL cannot store is still refused.
 */
export const vendorFormat = <E extends { annotate: <I, S>(key: Context.Key<I, S>, value: S) => E }>(endpoint: E): E =>
  endpoint.annotate(VendorFormat, true).annotate(HttpApi.QueryParseOptions, lenient)

/**
 * A partner API group: under /api/v1 (Menu V2's under /api/v2), with the middleware every secured
 * group declares. The last added runs first: tenant and key (401), scope (403), content type (415),
 * then body size (413) and validation (400: the raw request's checks, then the decoder's), as SPEC
 * section 3 orders them.
 */
export const secured = <Id extends string, Endpoints extends HttpApiEndpoint.Constraint>(
  group: HttpApiGroup.HttpApiGroup<Id, Endpoints>,
  prefix: "/api/v1" | "/api/v2" = "/api/v1"
) =>
  group
    .middleware(SchemaErrors)
    .middleware(StrictInput)
    .middleware(RequireJson)
    .middleware(ApiKeyAuth)
    .middleware(Tenancy)
    .prefix(prefix)
    .annotate(HttpApi.PayloadParseOptions, strict)
    .annotate(HttpApi.QueryParseOptions, strict)
    .annotate(HttpApi.ParamsParseOptions, lenient)
    .annotate(HttpApi.HeadersParseOptions, lenient)

/** Where the admin API is served (under BASE_PATH, as every route is). */
export const adminApiPrefix = "/admin/api/v1"

/**
 * An admin API group: under /admin/api/v1, on any host, with an admin key or the console's session
 * (AdminAuth), then the same content type and validation checks as the partner API's.
 */
export const adminSecured = <Id extends string, Endpoints extends HttpApiEndpoint.Constraint>(
  group: HttpApiGroup.HttpApiGroup<Id, Endpoints>
) =>
  group
    .middleware(SchemaErrors)
    .middleware(StrictInput)
    .middleware(RequireJson)
    .middleware(AdminAuth)
    .prefix(adminApiPrefix)
    .annotate(HttpApi.PayloadParseOptions, strict)
    .annotate(HttpApi.QueryParseOptions, strict)
    .annotate(HttpApi.ParamsParseOptions, lenient)
    .annotate(HttpApi.HeadersParseOptions, lenient)
