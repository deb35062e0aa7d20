import { Schema } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { longestPullIntervalMs, shortestPullIntervalMs } from "../../application/admin/pull-schedule-admin.ts"
import { rewardRules } from "../../application/admin/rewards-admin.ts"
import { KeyKind, Scope } from "../../domain/api-key.ts"
import { RateLimits } from "../../domain/rate-limit.ts"
import { TenantStatus } from "../../domain/tenant.ts"
import { maxTaxRatePpm } from "../cli/parsers.ts"
import { adminSecured } from "./api-middleware.ts"
import { DateTime, DateTimeInput, DateTimeQuery, doc, Limit, NextCursor } from "./api-types.ts"
import { Provider, SyncView } from "./catalog-api.ts"
import { BadRequestJson, ConflictJson, NotFoundJson } from "./errors.ts"
import { OrderStatus, OrderSummary, OrderView } from "./orders-schemas.ts"

export { adminApiPrefix } from "./api-middleware.ts"

const exampleTime = "2026-03-16T15:05:33.000Z"

export const AdminWhoAmI = Schema.Struct({
  keyId: Schema.NullOr(Schema.Int).annotate({ description: "The admin key's id; null for the local CLI's token" }),
  name: Schema.String.annotate({ description: "The actor as the audit log names it", examples: ["admin key 1 (ops)"] })
}).annotate({ identifier: "AdminWhoAmI" })

/** A tenant's rate limits (domain/rate-limit.ts), as operators set them and the tenant view shows them. */
export const RateLimitsInput = RateLimits.annotate({
  identifier: "AdminRateLimits",
  description:
    "Token buckets per key (`keys`, by kind; an OAuth client counts as a `partner` key) and per tenant (`tenant`: one bucket shared by all its callers), each per class of operation: `reads` (GET), `writes` (other methods) and `syncs` (POS pushes). Each limit is `rate` requests a second (fractions allowed) with up to `burst` at once. What is left out is not limited; `{}` turns every limit off.",
  examples: [
    {
      keys: { partner: { reads: { rate: 50, burst: 100 }, writes: { rate: 10, burst: 20 } } },
      tenant: { syncs: { rate: 1, burst: 5 } }
    }
  ]
})

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
  rateLimits: RateLimitsInput,
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
      rateLimits: {},
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

const CredentialsState = Schema.Literals(["set", "missing", "unreadable"]).annotate({
  description:
    "`set`; `missing`; `unreadable`: stored, but sealed under a key the service no longer has (or altered): set them again"
})

export const AdminOutlet = Schema.Struct({
  outletId: Schema.String,
  provider: Schema.String,
  externalId: Schema.String.annotate({ description: "The POS's own id of the outlet (Deliverect channelLinkId, ...)" }),
  accountId: Schema.NullOr(Schema.String).annotate({
    description: "The POS account it belongs to, when its POS names one: its account credentials are found by it"
  }),
  name: Schema.String,
  active: Schema.Boolean,
  busyMode: Schema.Literals(["ONLINE", "BUSY", "PAUSED"]),
  credentials: CredentialsState.annotate({ description: "Whether the outlet's POS credentials are set (never shown)" }),
  accountCredentials: Schema.NullOr(CredentialsState).annotate({
    description:
      "Whether its POS account's credentials are set (never shown); null when it names no account or its POS has no account level"
  })
}).annotate({
  identifier: "AdminOutlet",
  description: "An outlet of a tenant, as an operator finds it to set its credentials",
  examples: [
    {
      outletId: "out_5d41402abc4b2a76b9719d911017c592",
      provider: "deliverect",
      externalId: "649ad021949cfa36470f9ea9",
      accountId: "5b1f3e71c6489f0029a1b2d4",
      name: "Marina Bay",
      active: true,
      busyMode: "ONLINE",
      credentials: "set",
      accountCredentials: null
    }
  ]
})

export const AdminPosAccount = Schema.Struct({
  provider: Schema.String,
  accountId: Schema.String,
  credentials: CredentialsState.annotate({ description: "Whether the account's POS credentials are set (never shown)" })
}).annotate({ identifier: "AdminPosAccount", description: "A POS account of a tenant (a merchant, a business)" })

/**
 * A POS plugin's credentials: the vendor's format, checked by the plugin's Schema in the handler, so
 * a refusal names the paths of what is wrong without quoting a value.
 */
export const PosCredentialsInput = Schema.Any.annotate({
  identifier: "AdminPosCredentials",
  description:
    "A JSON object in the plugin's credentials Schema of the level (each plugin's README lists its fields; the plugin fills in its defaults). Write-only: stored encrypted, never shown or logged.",
  examples: [
    {
      channelName: "acme",
      clientId: "client-id-from-deliverect",
      clientSecret: "client-secret-from-deliverect",
      webhookSecret: "webhook-secret-from-deliverect"
    }
  ]
})

export const LoyaltySettingsInput = Schema.Struct({
  url: Schema.optional(
    Schema.NullOr(
      Schema.String.annotate({
        description: "The tenant's loyalty-service base URL (http or https, without a user or password)"
      })
    ).annotate({ description: "Absent or null: the default loyalty service (LOYALTY_URL)" })
  ),
  credential: Schema.String.annotate({
    description:
      "The credential sent to the loyalty-service as `Authorization: Bearer ...`, not empty. Write-only: stored encrypted, never shown."
  })
}).annotate({
  identifier: "AdminLoyaltySettings",
  examples: [{ url: "https://loyalty.example.com", credential: "loyalty-service-token" }]
})

export const TaxSettingsInput = Schema.Struct({
  taxInclusive: Schema.optional(
    Schema.Boolean.annotate({ description: "Whether prices include tax, where an outlet's POS does not say" })
  ),
  taxRatePpm: Schema.optional(
    Schema.NullOr(
      Schema.Int.pipe(
        Schema.check(
          Schema.isBetween(
            { minimum: 0, maximum: maxTaxRatePpm },
            { message: `must be a whole number of parts per million from 0 to ${maxTaxRatePpm} (100%)` }
          )
        )
      )
    ).annotate({
      description:
        "The rate of an order line whose product and outlet give none, in parts per million (9% = 90000); null: none (such lines carry no tax)"
    })
  )
}).annotate({
  identifier: "AdminTaxSettings",
  description: "What is left out stays as it is; at least one of the two",
  examples: [{ taxInclusive: true, taxRatePpm: 90000 }]
})

export const AdminReward = Schema.Struct({
  rewardId: Schema.String,
  name: Schema.String,
  points: Schema.Int
}).annotate({ identifier: "AdminReward", description: "A reward of the tenant's embedded loyalty ledger" })

const nonBlank = Schema.makeFilter((s: string) => s.trim() !== "" || "expected a non-empty string")

export const RewardInput = Schema.Struct({
  name: Schema.String.pipe(Schema.check(nonBlank, Schema.isMaxLength(200))).annotate({
    description: "As partners show it: 1 to 200 characters (trimmed)"
  }),
  points: Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 1, maximum: 1e12 }))).annotate({
    description: "What redeeming it costs, in points (at least 1)"
  })
}).annotate({ identifier: "AdminRewardSet", examples: [{ name: "Kopi O", points: 20 }] })

export const AdminPullSchedule = Schema.Struct({
  provider: Schema.String,
  intervalMs: Schema.Int,
  every: Schema.String.annotate({ description: "The interval in the CLI's words", examples: ["1h30m"] }),
  nextRunAt: DateTime,
  lastRunAt: Schema.NullOr(DateTime).annotate({ description: "When a run last claimed it; null before the first" }),
  updatedAt: DateTime
}).annotate({
  identifier: "AdminPullSchedule",
  description: "How often the service pulls a provider's outlets and catalogs, for every active tenant"
})

export const PullScheduleInput = Schema.Struct({
  intervalMs: Schema.Int.pipe(
    Schema.check(Schema.isBetween({ minimum: shortestPullIntervalMs, maximum: longestPullIntervalMs }))
  ).annotate({ description: "How often, in milliseconds: a minute (60000) to 30 days (2592000000)" })
}).annotate({ identifier: "AdminPullScheduleSet", examples: [{ intervalMs: 900000 }] })

/** A body that may carry a secret is decoded without quoting what it refuses. */
const secretInput = { onExcessProperty: "error", errors: "all" } as const

const tenantParam = { tenantId: Schema.String }
const keyParams = { tenantId: Schema.String, keyId: Schema.String }
const outletParams = { tenantId: Schema.String, outletId: Schema.String }
const accountParams = { tenantId: Schema.String, provider: Schema.String, accountId: Schema.String }
const rewardParams = { tenantId: Schema.String, rewardId: Schema.String }
const page = <S extends Schema.Top>(item: S) => Schema.Struct({ data: Schema.Array(item), nextCursor: NextCursor })
const pageQuery = { limit: Schema.optional(Limit), cursor: Schema.optional(Schema.String) }

/**
 * The admin API: operators' work on any tenant, on any host (the bare BASE_DOMAIN included), with
 * an admin key in `X-Api-Key`. Every refusal of the key is the partner API's one 401.
 */
export const AdminGroup = adminSecured(
  HttpApiGroup.make("admin")
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
    .add(
      HttpApiEndpoint.get("adminListOutlets", "/tenants/:tenantId/outlets", {
        params: tenantParam,
        query: pageQuery,
        success: page(AdminOutlet),
        error: [BadRequestJson, NotFoundJson]
      }).annotateMerge(
        doc(
          "List a tenant's outlets",
          "Every outlet its POS systems synced, active or not, by id, with whether its POS credentials (and its POS account's) are set: never their values. Cursor pagination: `limit` 1 to 500 (default 50), `cursor` the previous page's `nextCursor`. 400: a cursor this listing did not issue. 404 `tenant not found`."
        )
      )
    )
    .add(
      HttpApiEndpoint.put("adminSetOutletCredentials", "/tenants/:tenantId/outlets/:outletId/credentials", {
        params: outletParams,
        payload: PosCredentialsInput,
        success: AdminOutlet,
        error: [BadRequestJson, NotFoundJson, ConflictJson]
      })
        .annotate(HttpApi.PayloadParseOptions, secretInput)
        .annotateMerge(
          doc(
            "Set an outlet's POS credentials",
            "Sets or replaces the outlet's credentials (API tokens, webhook secret), checked against its plugin's credentials Schema of the outlet level and stored encrypted; they are used from the next call to its POS and the next webhook on. Write-only: never answered, logged or recorded in the audit log. 400: not the plugin's credentials (the paths of the wrong fields, never a value). 404 `tenant not found`, `outlet not found`. 409 `plugin not loaded`: the outlet's POS plugin is not loaded, so its credentials cannot be checked. 409 `credentials cannot be stored`: no key seals them (PostgreSQL without `CREDENTIALS_KEYS`)."
          )
        )
    )
    .add(
      HttpApiEndpoint.put(
        "adminSetAccountCredentials",
        "/tenants/:tenantId/accounts/:provider/:accountId/credentials",
        {
          params: accountParams,
          payload: PosCredentialsInput,
          success: AdminPosAccount,
          error: [BadRequestJson, NotFoundJson, ConflictJson]
        }
      )
        .annotate(HttpApi.PayloadParseOptions, secretInput)
        .annotateMerge(
          doc(
            "Set a POS account's credentials",
            "Sets or replaces the credentials of a POS account (a Lightspeed business, an Atlas merchant: `accountId` is the POS's own id, as an outlet's `accountId` names it), which reach every outlet of the account and the calls and webhooks that name no outlet. The account need not be synced yet: a pull of its outlets needs them first. Checked against the plugin's Schema of the account level, stored encrypted; write-only. 400: not the plugin's account credentials (the paths of the wrong fields, never a value), or a plugin without an account level (set its credentials per outlet). 404 `tenant not found`, `provider not found` (no such plugin is loaded). 409 `credentials cannot be stored`: no key seals them (PostgreSQL without `CREDENTIALS_KEYS`)."
          )
        )
    )
    .add(
      HttpApiEndpoint.delete("adminDeleteOutletCredentials", "/tenants/:tenantId/outlets/:outletId/credentials", {
        params: outletParams,
        error: NotFoundJson
      }).annotateMerge(
        doc(
          "Delete an outlet's POS credentials",
          "204: the outlet has none from now on (its identifiers, from its outlet sync, stay): calls to its POS and its webhooks fail as for an outlet never given any, until they are set again. Deleting none is no error. 404 `tenant not found`, `outlet not found`."
        )
      )
    )
    .add(
      HttpApiEndpoint.delete(
        "adminDeleteAccountCredentials",
        "/tenants/:tenantId/accounts/:provider/:accountId/credentials",
        { params: accountParams, error: NotFoundJson }
      ).annotateMerge(
        doc(
          "Delete a POS account's credentials",
          "204: the account has none from now on (deleting none is no error). 404 `tenant not found`."
        )
      )
    )
    .add(
      HttpApiEndpoint.put("adminSetLoyalty", "/tenants/:tenantId/loyalty", {
        params: tenantParam,
        payload: LoyaltySettingsInput,
        success: TenantView,
        error: [BadRequestJson, NotFoundJson]
      })
        .annotate(HttpApi.PayloadParseOptions, secretInput)
        .annotateMerge(
          doc(
            "Set a tenant's loyalty service",
            "The loyalty-service the tenant's loyalty endpoints call (`url`; absent or null: LOYALTY_URL) and the credential they send, both replaced; answered with `loyaltyCredentialSet`, never the credential. 400: a URL that is not http(s) or carries a user or password (masked), an empty credential. 404 `tenant not found`."
          )
        )
    )
    .add(
      HttpApiEndpoint.put("adminSetTax", "/tenants/:tenantId/tax", {
        params: tenantParam,
        payload: TaxSettingsInput,
        success: TenantView,
        error: [BadRequestJson, NotFoundJson]
      }).annotateMerge(
        doc(
          "Set a tenant's tax defaults",
          "Whether prices include tax where an outlet's POS does not say, and the rate of an order line whose product and outlet give none (null: none); what is left out stays as it is. Orders placed from now on are priced with them. 400: neither field, a rate out of 0 to 1000000 ppm. 404 `tenant not found`."
        )
      )
    )
    .add(
      HttpApiEndpoint.put("adminSetRateLimits", "/tenants/:tenantId/rate-limits", {
        params: tenantParam,
        payload: RateLimitsInput,
        success: TenantView,
        error: [BadRequestJson, NotFoundJson]
      }).annotateMerge(
        doc(
          "Set a tenant's rate limits",
          "Replaces the tenant's rate limits (`{}`: none, the default). A request over a limit is answered 429 with `Retry-After`; requests under one carry the `RateLimit-Policy` and `RateLimit` fields. Takes effect on this instance at once, on others within KEY_CACHE_TTL_MS. 400: a rate not above 0, a burst not a whole number from 1, an unknown kind or class. 404 `tenant not found`."
        )
      )
    )
    .add(
      HttpApiEndpoint.get("adminListRewards", "/tenants/:tenantId/rewards", {
        params: tenantParam,
        success: Schema.Struct({ data: Schema.Array(AdminReward) }),
        error: NotFoundJson
      }).annotateMerge(
        doc(
          "List a tenant's rewards",
          "The rewards of the tenant's embedded loyalty ledger, by id (a tenant with a loyalty-service has that service's own). 404 `tenant not found`."
        )
      )
    )
    .add(
      HttpApiEndpoint.put("adminSetReward", "/tenants/:tenantId/rewards/:rewardId", {
        params: rewardParams,
        payload: RewardInput,
        success: AdminReward,
        error: [BadRequestJson, NotFoundJson]
      }).annotateMerge(
        doc(
          "Set a reward",
          `Adds or changes a reward of the tenant's embedded loyalty ledger; partners redeem it by \`rewardId\` (${rewardRules.rewardId}). 400: such an id, a blank or longer name, points below 1. 404 \`tenant not found\`.`
        )
      )
    )
    .add(
      HttpApiEndpoint.delete("adminRemoveReward", "/tenants/:tenantId/rewards/:rewardId", {
        params: rewardParams,
        error: NotFoundJson
      }).annotateMerge(
        doc(
          "Remove a reward",
          "204: removed; transactions that redeemed it keep their history. 404 `tenant not found`, `reward not found`."
        )
      )
    )
    .add(
      HttpApiEndpoint.get("adminListSyncs", "/tenants/:tenantId/syncs", {
        params: tenantParam,
        query: {
          outletId: Schema.optional(Schema.String),
          outcome: Schema.optional(Schema.Literals(["succeeded", "failed"])),
          ...pageQuery
        },
        success: page(SyncView),
        error: [BadRequestJson, NotFoundJson]
      }).annotateMerge(
        doc(
          "List a tenant's syncs",
          "Its sync history, newest first, as the partner API's `GET /syncs` answers it: counts, outcome and, for a failure, `error` (what went wrong; for a pull, the POS's answer without secrets). `outletId` keeps one outlet's, `outcome` the succeeded or the failed ones. Cursor pagination: `limit` 1 to 500 (default 50), `cursor` the previous page's `nextCursor`; with `outcome`, a page may hold fewer than `limit` while `nextCursor` says more may follow. A push refused as not the provider's format is answered 400 with its problems and leaves no sync. 400: a cursor this listing did not issue. 404 `tenant not found`, `outlet not found`."
        )
      )
    )
    .add(
      HttpApiEndpoint.get("adminGetSync", "/tenants/:tenantId/syncs/:syncId", {
        params: { tenantId: Schema.String, syncId: Schema.String },
        success: SyncView,
        error: NotFoundJson
      }).annotateMerge(doc("Get a sync", "One sync of the tenant. 404 `tenant not found`, `sync not found`."))
    )
    .add(
      HttpApiEndpoint.get("adminListOrders", "/tenants/:tenantId/orders", {
        params: tenantParam,
        query: {
          refCode: Schema.optional(Schema.String),
          outletId: Schema.optional(Schema.String),
          status: Schema.optional(OrderStatus),
          createdSince: Schema.optional(DateTimeQuery),
          ...pageQuery
        },
        success: page(OrderSummary),
        error: [BadRequestJson, NotFoundJson]
      }).annotateMerge(
        doc(
          "List a tenant's orders",
          "As the partner API's `GET /orders` lists them: newest first, filtered by `refCode`, `outletId`, `status` and `createdSince` (RFC 3339). Cursor pagination: `limit` 1 to 500 (default 50), `cursor` the previous page's `nextCursor`. 400: a filter out of range, a cursor that does not decode. 404 `tenant not found`, `outlet not found`."
        )
      )
    )
    .add(
      HttpApiEndpoint.get("adminGetOrder", "/tenants/:tenantId/orders/:orderId", {
        params: { tenantId: Schema.String, orderId: Schema.String },
        success: OrderView,
        error: NotFoundJson
      }).annotateMerge(
        doc(
          "Get an order",
          "As the partner API's `GET /orders/{orderId}` answers it: its status, its timeline (each entry's time, status, source, the POS's status word and reason) and every delivery attempt to its POS (outcome and the POS's reason). 404 `tenant not found`, `order not found`."
        )
      )
    )
    .add(
      HttpApiEndpoint.get("adminListPullSchedules", "/pull-schedules", {
        success: Schema.Struct({ data: Schema.Array(AdminPullSchedule) })
      }).annotateMerge(doc("List the pull schedules", "One per provider, by provider."))
    )
    .add(
      HttpApiEndpoint.put("adminSetPullSchedule", "/pull-schedules/:provider", {
        params: { provider: Schema.String },
        payload: PullScheduleInput,
        success: AdminPullSchedule,
        error: [BadRequestJson, NotFoundJson]
      }).annotateMerge(
        doc(
          "Set a pull schedule",
          "Pulls the provider's outlets and catalogs every `intervalMs` for every active tenant, through the same sync as a push. A new schedule is due at once; a changed one keeps its next run unless the new interval brings it closer. 400: an interval out of range, a plugin that cannot pull (its POS pushes). 404 `provider not found` (no such plugin is loaded)."
        )
      )
    )
    .add(
      HttpApiEndpoint.delete("adminRemovePullSchedule", "/pull-schedules/:provider", {
        params: { provider: Schema.String },
        error: NotFoundJson
      }).annotateMerge(
        doc(
          "Remove a pull schedule",
          "204: the provider is no longer pulled on a schedule. 404 `pull schedule not found`."
        )
      )
    )
).annotateMerge(
  OpenApi.annotations({
    title: "Admin",
    description:
      "Operators' API: tenants, their API keys, POS credentials (write-only), loyalty and tax settings, rewards, outlets, syncs and orders, pull schedules, admin keys, the loaded plugins and the audit log. On any host, with an admin key (`posa_...`) in `X-Api-Key`; not for partners (a partner key is the 401)."
  })
)
