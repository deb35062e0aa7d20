import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { Scope } from "../../domain/api-key.ts"
import { adminSecured } from "./api-middleware.ts"
import { DateTime, DateTimeInput, doc } from "./api-types.ts"
import { BadRequestJson, ConflictJson, NotFoundJson, ServiceUnavailableJson } from "./errors.ts"

export const OAuthClientView = Schema.Struct({
  clientId: Schema.String.annotate({
    description: "`posc_<id>`: the client_id of the token request",
    examples: ["posc_3"]
  }),
  name: Schema.String,
  scopes: Schema.Array(Scope),
  state: Schema.Literals(["active", "expired", "revoked"]),
  createdAt: DateTime,
  expiresAt: Schema.NullOr(DateTime),
  revokedAt: Schema.NullOr(DateTime),
  lastUsedAt: Schema.NullOr(DateTime).annotate({ description: "The last token issued (to the minute)" }),
  previousSecretExpiresAt: Schema.NullOr(DateTime).annotate({
    description: "Until when the secret before the latest rotation still works; null: it does not"
  })
}).annotate({
  identifier: "AdminOAuthClient",
  description: "An OAuth 2.0 client of a tenant (client credentials grant): never its secret"
})

const ClientSecret = Schema.String.annotate({
  description:
    "The client secret (`poscs_...`), shown this once: only its hash is stored. Send it with the client id to `POST /oauth/token` (client_secret_basic or client_secret_post)."
})

export const OAuthClientIssued = Schema.Struct({ client: OAuthClientView, clientSecret: ClientSecret })
  .annotate({ identifier: "AdminOAuthClientIssued" })
  .pipe(HttpApiSchema.status(201))

export const OAuthClientCreate = Schema.Struct({
  name: Schema.String.pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(200))),
  scopes: Schema.Array(Schema.String).annotate({
    description: "What the client may ask for: the scopes of API keys; `loyalty:*` is both loyalty scopes"
  }),
  expiresAt: Schema.optional(DateTimeInput.annotate({ description: "RFC 3339; absent: never" }))
}).annotate({
  identifier: "AdminOAuthClientCreate",
  examples: [{ name: "kiosk vendor", scopes: ["outlets:read", "products:read", "orders:write", "loyalty:*"] }]
})

export const OAuthClientRotate = Schema.Struct({
  overlapSeconds: Schema.optional(
    Schema.Int.annotate({
      description: "How long the old secret keeps working, 0 to 2592000 (30 days); default 86400 (a day)",
      default: 86400
    })
  )
}).annotate({ identifier: "AdminOAuthClientRotate", examples: [{ overlapSeconds: 3600 }] })

export const SigningKeyView = Schema.Struct({
  kid: Schema.String,
  status: Schema.Literals(["pending", "signing", "retiring"]).annotate({
    description:
      "`pending`: published, signs from `activatesAt`; `signing`: signs new tokens; `retiring`: only checks the tokens it signed, removed at `removableAt`"
  }),
  createdAt: DateTime,
  activatesAt: DateTime,
  removableAt: Schema.NullOr(DateTime),
  problem: Schema.NullOr(Schema.String).annotate({
    description: "Why this instance cannot sign with the key (its sealing key is missing); null: it can"
  })
}).annotate({ identifier: "AdminSigningKey", description: "A key that signs access tokens, for every tenant" })

export const SigningKeyPublished = Schema.Struct({
  key: SigningKeyView,
  created: Schema.Boolean.annotate({ description: "false: a key was waiting already, and is answered" })
}).annotate({ identifier: "AdminSigningKeyPublished" })

const tenantParam = { tenantId: Schema.String }
const clientParams = { tenantId: Schema.String, clientId: Schema.String }

/** Operators' work on OAuth 2.0: a tenant's clients, and the keys that sign every tenant's tokens. */
export const AdminOAuthGroup = adminSecured(
  HttpApiGroup.make("adminOAuth")
    .add(
      HttpApiEndpoint.get("adminListOAuthClients", "/tenants/:tenantId/oauth-clients", {
        params: tenantParam,
        success: Schema.Struct({ data: Schema.Array(OAuthClientView) }),
        error: NotFoundJson
      }).annotateMerge(doc("List a tenant's OAuth clients", "By id; never a secret or a hash. 404 `tenant not found`."))
    )
    .add(
      HttpApiEndpoint.post("adminCreateOAuthClient", "/tenants/:tenantId/oauth-clients", {
        params: tenantParam,
        payload: OAuthClientCreate,
        success: OAuthClientIssued,
        error: [BadRequestJson, NotFoundJson]
      }).annotateMerge(
        doc(
          "Create an OAuth client",
          "A client of the client credentials grant, answered once with its secret. 400: an unknown scope, no scope, an expiry not in the future. 404 `tenant not found`."
        )
      )
    )
    .add(
      HttpApiEndpoint.get("adminGetOAuthClient", "/tenants/:tenantId/oauth-clients/:clientId", {
        params: clientParams,
        success: OAuthClientView,
        error: NotFoundJson
      }).annotateMerge(doc("Show an OAuth client", "404 `tenant not found`, `oauth client not found`."))
    )
    .add(
      HttpApiEndpoint.post("adminRotateOAuthClient", "/tenants/:tenantId/oauth-clients/:clientId/rotate", {
        params: clientParams,
        payload: OAuthClientRotate,
        success: OAuthClientIssued,
        error: [BadRequestJson, NotFoundJson, ConflictJson]
      }).annotateMerge(
        doc(
          "Rotate an OAuth client's secret",
          "A new secret, answered once; the old one keeps working for `overlapSeconds` (default a day; a secret still overlapping from an earlier rotation stops now). Tokens already issued stay valid until they expire. 400: an overlap out of range. 404 `tenant not found`, `oauth client not found`. 409 `client not active`."
        )
      )
    )
    .add(
      HttpApiEndpoint.post("adminRevokeOAuthClient", "/tenants/:tenantId/oauth-clients/:clientId/revoke", {
        params: clientParams,
        success: OAuthClientView,
        error: NotFoundJson
      }).annotateMerge(
        doc(
          "Revoke an OAuth client",
          "No token is issued to it from now on, and its tokens are refused by this instance at once (by others within KEY_CACHE_TTL_MS). Revoking a revoked client answers it as it is. 404 `tenant not found`, `oauth client not found`."
        )
      )
    )
    .add(
      HttpApiEndpoint.get("adminListSigningKeys", "/oauth/signing-keys", {
        success: Schema.Struct({ data: Schema.Array(SigningKeyView) }),
        error: ServiceUnavailableJson
      }).annotateMerge(
        doc("List token signing keys", "Every published key, by the time it signs from; never key material.")
      )
    )
    .add(
      HttpApiEndpoint.post("adminRotateSigningKey", "/oauth/signing-keys/rotate", {
        success: SigningKeyPublished,
        error: ServiceUnavailableJson
      }).annotateMerge(
        doc(
          "Publish the next signing key",
          "The next key is published now and signs after OAUTH_KEY_LEAD_S (every instance and cached key set knows it first); the current key then checks its tokens until they expire. A key already waiting is answered instead. 503 `not configured`: the key cannot be sealed (PostgreSQL without CREDENTIALS_KEYS). The service also rotates on its own every OAUTH_KEY_ROTATION_S."
        )
      )
    )
).annotateMerge(
  OpenApi.annotations({
    title: "Admin OAuth",
    description:
      "Operators' API, as Admin (an admin key on any host): tenants' OAuth 2.0 clients and the keys that sign access tokens."
  })
)
