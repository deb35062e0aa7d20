import { Schema } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { KeyKind, Scope } from "../../domain/api-key.ts"
import { TenantStatus } from "../../domain/tenant.ts"
import { AdminAuth, lenient, RequireJson, SchemaErrors, StrictInput, strict } from "./api-middleware.ts"
import { DateTime, DateTimeInput, doc, Limit, NextCursor } from "./api-types.ts"
import { Provider } from "./catalog-api.ts"
import { BadRequestJson, ConflictJson, NotFoundJson } from "./errors.ts"

/** Where the admin API is served (under BASE_PATH, as every route is). */
export const adminApiPrefix = "/admin/api/v1"

const exampleTime = "2026-03-16T15:05:33.000Z"

export const AdminWhoAmI = Schema.Struct({
  keyId: Schema.NullOr(Schema.Int).annotate({ description: "The admin key's id; null for the local CLI's token" }),
  name: Schema.String.annotate({ description: "The actor as the audit log names it", examples: ["admin key 1 (ops)"] })
}).annotate({ identifier: "AdminWhoAmI" })

export const TenantView = Schema.Struct({
  tenantId: Schema.String,
  name: Schema.String,
  status: TenantStatus.annotate({
    description: "`active`; `suspended`: its partners get the unknown tenant's 401, its data is kept"
  }),
  country: Schema.String,
  timezone: Schema.String,
  currency: Schema.String,
  ownDatabase: Schema.Boolean.annotate({
    description:
      "Whether its data is in a database of its own (the URL is never shown); else a schema of the control database"
  }),
  loyaltyUrl: Schema.NullOr(Schema.String),
  loyaltyCredentialSet: Schema.Boolean.annotate({ description: "Whether a loyalty credential is set (never shown)" }),
  taxInclusive: Schema.Boolean,
  taxRatePpm: Schema.NullOr(Schema.Int).annotate({
    description: "The default tax rate in parts per million; null: none"
  }),
  createdAt: DateTime
}).annotate({
  identifier: "AdminTenant",
  examples: [
    {
      tenantId: "acme",
      name: "Acme Restaurants",
      status: "active",
      country: "SG",
      timezone: "Asia/Singapore",
      currency: "SGD",
      ownDatabase: false,
      loyaltyUrl: null,
      loyaltyCredentialSet: false,
      taxInclusive: true,
      taxRatePpm: 90000,
      createdAt: exampleTime
    }
  ]
})

export const TenantCreate = Schema.Struct({
  tenantId: Schema.String.annotate({
    description:
      "Also the tenant's host label: lower-case letters, digits and '-', starting with a letter or digit, at most 56",
    examples: ["acme"]
  }),
  name: Schema.optional(Schema.String),
  country: Schema.optional(Schema.String.annotate({ description: "ISO 3166-1 alpha-2 (default SG)" })),
  timezone: Schema.optional(Schema.String.annotate({ description: "IANA time zone (default Asia/Singapore)" })),
  currency: Schema.optional(Schema.String.annotate({ description: "ISO 4217 (default SGD)" })),
  databaseUrl: Schema.optional(
    Schema.String.annotate({
      description:
        "A PostgreSQL database of the tenant's own (postgres:// URL); absent: a schema of the control database. Never shown back."
    })
  )
}).annotate({ identifier: "AdminTenantCreate", examples: [{ tenantId: "acme", name: "Acme Restaurants" }] })

const KeyState = Schema.Literals(["active", "expired", "revoked"])

export const ApiKeyView = Schema.Struct({
  keyId: Schema.Int,
  name: Schema.String,
  kind: KeyKind,
  scopes: Schema.Array(Scope),
  state: KeyState,
  createdAt: DateTime,
  expiresAt: Schema.NullOr(DateTime),
  revokedAt: Schema.NullOr(DateTime),
  lastUsedAt: Schema.NullOr(DateTime)
}).annotate({ identifier: "AdminApiKey", description: "A partner, POS or editor key of a tenant: never its secret" })

const Secret = Schema.String.annotate({
  description: "The whole key, shown this once: only its hash is stored. Send it as `X-Api-Key`."
})

export const ApiKeyIssued = Schema.Struct({ key: ApiKeyView, secret: Secret })
  .annotate({ identifier: "AdminApiKeyIssued" })
  .pipe(HttpApiSchema.status(201))

export const ApiKeyIssue = Schema.Struct({
  kind: KeyKind.annotate({ description: "partner, pos or editor: presets the scopes" }),
  scopes: Schema.optional(Schema.Array(Scope).annotate({ description: "Instead of the kind's preset" })),
  name: Schema.optional(Schema.String),
  expiresAt: Schema.optional(DateTimeInput.annotate({ description: "RFC 3339; absent: never" }))
}).annotate({ identifier: "AdminApiKeyIssue", examples: [{ kind: "partner", name: "kiosk app" }] })

export const ApiKeyRotate = Schema.Struct({
  overlapSeconds: Schema.optional(
    Schema.Int.annotate({
      description: "How long the old key keeps working, 0 to 2592000 (30 days); default 86400 (a day)",
      default: 86400
    })
  ),
  expiresAt: Schema.optional(DateTimeInput.annotate({ description: "The new key's expiry; absent: never" }))
}).annotate({ identifier: "AdminApiKeyRotate", examples: [{ overlapSeconds: 3600 }] })

/** `previous`: the old key, with the expiry the overlap gave it. */
export const ApiKeyRotated = Schema.Struct({
  key: ApiKeyView,
  secret: Secret,
  previous: ApiKeyView
})
  .annotate({ identifier: "AdminApiKeyRotated" })
  .pipe(HttpApiSchema.status(201))

export const AdminKeyView = Schema.Struct({
  keyId: Schema.Int,
  name: Schema.String,
  state: KeyState,
  createdAt: DateTime,
  createdBy: Schema.String,
  expiresAt: Schema.NullOr(DateTime),
  revokedAt: Schema.NullOr(DateTime),
  lastUsedAt: Schema.NullOr(DateTime)
}).annotate({ identifier: "AdminKey", description: "An operator's admin key: never its secret" })

export const AdminKeyIssue = Schema.Struct({
  name: Schema.String.annotate({ description: "Whose key it is, for the audit log", examples: ["alice"] }),
  expiresAt: Schema.optional(DateTimeInput.annotate({ description: "RFC 3339; absent: never" }))
}).annotate({ identifier: "AdminKeyIssue", examples: [{ name: "alice" }] })

export const AdminKeyIssued = Schema.Struct({
  key: AdminKeyView,
  secret: Schema.String.annotate({ description: "The whole admin key (`posa_...`), shown this once" })
})
  .annotate({ identifier: "AdminKeyIssued" })
  .pipe(HttpApiSchema.status(201))

export const AuditEntryView = Schema.Struct({
  id: Schema.Int,
  at: DateTime,
  actor: Schema.String.annotate({ examples: ["admin key 1 (alice)", "admin CLI"] }),
  action: Schema.String.annotate({ examples: ["api-key.rotate"] }),
  tenantId: Schema.NullOr(Schema.String),
  target: Schema.NullOr(Schema.String),
  summary: Schema.String,
  address: Schema.NullOr(Schema.String).annotate({ description: "The client's address; null for the CLI" })
}).annotate({ identifier: "AuditEntry", description: "One admin change: who, when, what, from where; never a secret" })

const tenantParam = { tenantId: Schema.String }
const keyParams = { tenantId: Schema.String, keyId: Schema.String }

/**
 * The admin API: operators' work on any tenant, on any host (the bare BASE_DOMAIN included), with
 * an admin key in `X-Api-Key`. Every refusal of the key is the partner API's one 401.
 */
export const AdminGroup = HttpApiGroup.make("admin")
  .add(
    HttpApiEndpoint.get("adminWhoami", "/whoami", { success: AdminWhoAmI }).annotateMerge(
      doc("Check an admin key", "The admin key's id and the name the audit log gives it.")
    )
  )
  .add(
    HttpApiEndpoint.get("adminListTenants", "/tenants", {
      query: { status: Schema.optional(TenantStatus) },
      success: Schema.Struct({ data: Schema.Array(TenantView) }),
      error: BadRequestJson
    }).annotateMerge(doc("List tenants", "Every tenant by id, or those of one `status`."))
  )
  .add(
    HttpApiEndpoint.post("adminCreateTenant", "/tenants", {
      payload: TenantCreate,
      success: TenantView.pipe(HttpApiSchema.status(201)),
      error: [BadRequestJson, ConflictJson]
    }).annotateMerge(
      doc(
        "Create a tenant",
        "Provisions the tenant's tables (in its own database when `databaseUrl` is given), then enters it in the directory: its partners can call at once on `{tenantId}.{BASE_DOMAIN}`. 400: an id, country, time zone, currency or URL that is not valid (each problem named). 409: a tenant with that id exists."
      )
    )
  )
  .add(
    HttpApiEndpoint.get("adminGetTenant", "/tenants/:tenantId", {
      params: tenantParam,
      success: TenantView,
      error: NotFoundJson
    }).annotateMerge(doc("Get a tenant", "404 `tenant not found`."))
  )
  .add(
    HttpApiEndpoint.post("adminSuspendTenant", "/tenants/:tenantId/suspend", {
      params: tenantParam,
      success: TenantView,
      error: NotFoundJson
    }).annotateMerge(
      doc(
        "Suspend a tenant",
        "Its partners and POS systems get the unknown tenant's 401 from now on (other instances of the service within KEY_CACHE_TTL_MS); its data, keys and orders are kept. Suspending a suspended tenant changes nothing. 404 `tenant not found`."
      )
    )
  )
  .add(
    HttpApiEndpoint.post("adminReactivateTenant", "/tenants/:tenantId/reactivate", {
      params: tenantParam,
      success: TenantView,
      error: NotFoundJson
    }).annotateMerge(doc("Reactivate a tenant", "Undoes a suspension. 404 `tenant not found`."))
  )
  .add(
    HttpApiEndpoint.get("adminListKeys", "/tenants/:tenantId/keys", {
      params: tenantParam,
      success: Schema.Struct({ data: Schema.Array(ApiKeyView) }),
      error: NotFoundJson
    }).annotateMerge(doc("List a tenant's API keys", "By id; never a secret or a hash. 404 `tenant not found`."))
  )
  .add(
    HttpApiEndpoint.post("adminIssueKey", "/tenants/:tenantId/keys", {
      params: tenantParam,
      payload: ApiKeyIssue,
      success: ApiKeyIssued,
      error: [BadRequestJson, NotFoundJson]
    }).annotateMerge(
      doc(
        "Issue an API key",
        "A key of the kind's preset scopes (or the `scopes` given), answered once with its secret. 400: an unknown kind or scope, no scope, an expiry not in the future. 404 `tenant not found`."
      )
    )
  )
  .add(
    HttpApiEndpoint.post("adminRevokeKey", "/tenants/:tenantId/keys/:keyId/revoke", {
      params: keyParams,
      success: ApiKeyView,
      error: NotFoundJson
    }).annotateMerge(
      doc(
        "Revoke an API key",
        "Refused from now on by this instance (by others within KEY_CACHE_TTL_MS). Revoking a revoked key answers it as it is. 404 `tenant not found`, `api key not found`."
      )
    )
  )
  .add(
    HttpApiEndpoint.post("adminRotateKey", "/tenants/:tenantId/keys/:keyId/rotate", {
      params: keyParams,
      payload: ApiKeyRotate,
      success: ApiKeyRotated,
      error: [BadRequestJson, NotFoundJson, ConflictJson]
    }).annotateMerge(
      doc(
        "Rotate an API key",
        "A new key with the old one's kind, scopes and name, answered once with its secret; the old key keeps working for `overlapSeconds` (default a day) and then expires (an earlier expiry it had is kept). 400: an overlap out of range, an expiry not in the future. 404 `tenant not found`, `api key not found`. 409 `key not active`: the key is revoked or expired."
      )
    )
  )
  .add(
    HttpApiEndpoint.get("adminListAdminKeys", "/admin-keys", {
      success: Schema.Struct({ data: Schema.Array(AdminKeyView) })
    }).annotateMerge(doc("List admin keys", "By id; never a secret or a hash."))
  )
  .add(
    HttpApiEndpoint.post("adminIssueAdminKey", "/admin-keys", {
      payload: AdminKeyIssue,
      success: AdminKeyIssued,
      error: BadRequestJson
    }).annotateMerge(
      doc(
        "Issue an admin key",
        "Another operator's key, answered once with its secret. 400: no name, an expiry not in the future."
      )
    )
  )
  .add(
    HttpApiEndpoint.post("adminRevokeAdminKey", "/admin-keys/:keyId/revoke", {
      params: { keyId: Schema.String },
      success: AdminKeyView,
      error: NotFoundJson
    }).annotateMerge(
      doc(
        "Revoke an admin key",
        "Refused from the next request on (your own key too). Revoking a revoked key answers it as it is. 404 `admin key not found`."
      )
    )
  )
  .add(
    HttpApiEndpoint.get("adminListPlugins", "/plugins", {
      success: Schema.Struct({ data: Schema.Array(Provider) })
    }).annotateMerge(
      doc("List the loaded POS plugins", "Each plugin's id, name, version, SDK version and capabilities.")
    )
  )
  .add(
    HttpApiEndpoint.get("adminListAudit", "/audit", {
      query: {
        tenantId: Schema.optional(Schema.String),
        action: Schema.optional(
          Schema.String.annotate({
            description: "An action (`api-key.rotate`) or a resource with its dot (`api-key.`)"
          })
        ),
        limit: Schema.optional(Limit),
        cursor: Schema.optional(Schema.String)
      },
      success: Schema.Struct({ data: Schema.Array(AuditEntryView), nextCursor: NextCursor }),
      error: BadRequestJson
    }).annotateMerge(
      doc(
        "List the audit log",
        "Every admin change, newest first, filtered by tenant and action. Cursor pagination: `limit` 1 to 500 (default 50), `cursor` the previous page's `nextCursor`. 400: a cursor this listing did not issue."
      )
    )
  )
  .middleware(SchemaErrors)
  .middleware(StrictInput)
  .middleware(RequireJson)
  .middleware(AdminAuth)
  .prefix(adminApiPrefix)
  .annotate(HttpApi.PayloadParseOptions, strict)
  .annotate(HttpApi.QueryParseOptions, strict)
  .annotate(HttpApi.ParamsParseOptions, lenient)
  .annotate(HttpApi.HeadersParseOptions, lenient)
  .annotateMerge(
    OpenApi.annotations({
      title: "Admin",
      description:
        "Operators' API: tenants, their API keys, admin keys, the loaded plugins and the audit log. On any host, with an admin key (`posa_...`) in `X-Api-Key`; not for partners (a partner key is the 401)."
    })
  )
