import { Clock, Context, Effect, Layer, Option, Redacted } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import { type HttpApiEndpoint, HttpApiMiddleware } from "effect/http-api"
import { authenticateAdmin, keyActor } from "../../application/admin/admin-keys.ts"
import {
  authenticate,
  type Principal,
  requireAnyScope,
  type TokenPrincipal
} from "../../application/auth/authenticate.ts"
import { AdminKeys } from "../../application/ports/admin.ts"
import { ApiKeys } from "../../application/ports/api-keys.ts"
import { KeySecrets } from "../../application/ports/key-secrets.ts"
import { OAuthClients } from "../../application/ports/oauth.ts"
import { type AdminActor, type AdminKeyRecord, adminKeyState } from "../../domain/admin.ts"
import type { StorageError } from "../../domain/errors.ts"
import type { OperationClass } from "../../domain/rate-limit.ts"
import type { Tenant } from "../../domain/tenant.ts"
import { AppConfig, type TrustProxy } from "../config.ts"
import { csrfHeader, sessionCodecOf } from "../console/session.ts"
import { storageReason } from "../failures.ts"
import { OAuthTokens } from "../oauth/token-service.ts"
import { WebhookDispatch } from "../partner-webhooks/webhook-dispatch.ts"
import { RateLimiter } from "../rate-limits/rate-limiter.ts"
import { TenantDatabases } from "../tenancy/tenant-databases.ts"
import { AdminAuth, ApiKeyAuth, RequireJson, SchemaErrors, Tenancy } from "./api-middleware.ts"
import { CurrentAdmin, CurrentPrincipal, CurrentTenant, RequestInfo, RequiredScopes } from "./context.ts"
import { forbidden } from "./error-mapping.ts"
import {
  BadRequest,
  envelopeJson,
  Forbidden,
  invalidApiKey,
  ServiceUnavailable,
  UnsupportedMediaType
} from "./errors.ts"
import { type InputKind, issueDetails } from "./validation-details.ts"

export const isLoopback = (address: string) =>
  address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.")

/** Whether the peer is a proxy whose X-Forwarded-* headers are believed (TRUST_PROXY). */
export const trusts = (policy: TrustProxy, peer: string | undefined): boolean => {
  switch (policy._tag) {
    case "none":
      return false
    case "all":
      return true
    case "loopback":
      return peer !== undefined && isLoopback(peer)
    case "list":
      return peer !== undefined && (policy.addresses.has(peer) || policy.addresses.has(peer.replace(/^::ffff:/, "")))
  }
}

/** The first value of an X-Forwarded-* header (the client's side of the first proxy), trimmed. */
export const forwardedValue = (header: string | undefined): string | undefined => {
  const first = header?.split(",")[0]?.trim()
  return first === undefined || first === "" ? undefined : first
}

/** `acme.example.com:443` -> `acme` when the base domain is `example.com`; anything else is no tenant. */
export const tenantLabel = (host: string | undefined, baseDomain: string): string | undefined => {
  if (host === undefined) return undefined
  const name = host.trim().toLowerCase().replace(/:\d+$/, "").replace(/\.$/, "")
  const suffix = `.${baseDomain}`
  if (!name.endsWith(suffix)) return undefined
  const label = name.slice(0, -suffix.length)
  return label.includes(".") || label === "" ? undefined : label
}

/** The host the client asked for: X-Forwarded-Host from a proxy TRUST_PROXY believes, else Host. */
export const requestHost = (request: HttpServerRequest.HttpServerRequest, policy: TrustProxy): string | undefined => {
  const peer = Option.getOrUndefined(request.remoteAddress)
  const forwarded = trusts(policy, peer) ? forwardedValue(request.headers["x-forwarded-host"]) : undefined
  return forwarded ?? request.headers.host
}

/**
 * The real reason for a 401 goes to the server log (SPEC section 2) on the request's own access
 * log line: a second line per refusal doubled the cost of the cheapest requests a flood is made of.
 */
export const noteRefusal = (reason: string) =>
  Effect.flatMap(Effect.serviceOption(RequestInfo), (facts) => {
    if (Option.isNone(facts)) return Effect.logInfo(reason)
    facts.value.refusal = reason
    return Effect.void
  })

/** The directory or the tenant's database cannot be reached: 503, the cause to the log. */
export const unavailable = (error: StorageError) =>
  Effect.andThen(
    Effect.logError("storage unavailable", storageReason(error)),
    Effect.fail(
      new ServiceUnavailable({ message: "temporarily unavailable", details: `${error.operation} failed; retry later` })
    )
  )

/**
 * The one 401, answered as ready bytes: building an error per refused request (a stack trace each)
 * and encoding it through its schema were most of a refusal's cost, and refusals are what a flood
 * of garbage keys or hosts is made of. The bytes are those of `invalidApiKey()`'s envelope.
 */
const refusedBody = envelopeJson(401, invalidApiKey().message, invalidApiKey().details)
/** The one 401, for routes outside the API's middleware too (the console's session, the local CLI's). */
export const refusedResponse = () =>
  HttpServerResponse.text(refusedBody, { status: 401, contentType: "application/json" })
const refused = Effect.sync(refusedResponse)

/** RFC 6750's challenge: partner routes take an access token as well as a key. */
const bearerRealm = 'Bearer realm="pos-integration"'
const invalidTokenChallenge = `${bearerRealm}, error="invalid_token"`

/** Whether the request carries `Authorization: Bearer ...` (the scheme is case-insensitive). */
export const hasBearer = (request: HttpServerRequest.HttpServerRequest) =>
  /^bearer /i.test(request.headers["authorization"] ?? "")

/**
 * The one 401 of a partner route: the invalid key's bytes, with RFC 6750's challenge (RFC 7235 wants
 * one on every 401). It depends on what the request sent, never on why it was refused: a request
 * with a token is told `invalid_token`, whatever was wrong (the tenant, the signature, the expiry).
 */
const partnerRefused = Effect.map(HttpServerRequest.HttpServerRequest, (request) =>
  HttpServerResponse.setHeader(
    refusedResponse(),
    "www-authenticate",
    hasBearer(request) ? invalidTokenChallenge : bearerRealm
  )
)

export const TenancyLive = Layer.effect(
  Tenancy,
  Effect.gen(function* () {
    const config = yield* AppConfig
    const databases = yield* TenantDatabases
    const webhooks = yield* WebhookDispatch
    return Tenancy.of((httpEffect, { endpoint }) =>
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        const facts = yield* Effect.serviceOption(RequestInfo)
        if (Option.isSome(facts)) facts.value.route = endpoint.path
        const host = requestHost(request, config.trustProxy)
        const label = tenantLabel(host, config.baseDomain)
        const tenant = label === undefined ? undefined : yield* databases.resolve(label).pipe(Effect.catch(unavailable))
        if (tenant === undefined) {
          yield* noteRefusal(`tenant not resolved: host ${host === undefined ? "-" : JSON.stringify(host)}`)
          return yield* partnerRefused
        }
        if (Option.isSome(facts)) facts.value.tenant = tenant.id
        const repositories = yield* databases.repositories(tenant.id).pipe(Effect.catch(unavailable))
        const response = yield* httpEffect.pipe(Effect.provideContext(Context.add(repositories, CurrentTenant, tenant)))
        // A change may have recorded partner webhook events (in its own transaction, committed now).
        if (request.method !== "GET" && request.method !== "HEAD" && response.status < 400) {
          yield* webhooks.kick(tenant.id)
        }
        return response
      })
    )
  })
)

/** An error of the key scheme as its envelope, so that it ends the request. */
const envelopeOf = (error: Forbidden | ServiceUnavailable) => {
  const status = error._tag === "Forbidden" ? 403 : 503
  return Effect.succeed(
    HttpServerResponse.text(envelopeJson(status, error.message, error.details), {
      status,
      contentType: "application/json"
    })
  )
}

/** The class of operation a rate limit counts an endpoint in: a POS push is a sync, else by its method. */
export const operationOf = (endpoint: HttpApiEndpoint.Top): OperationClass => {
  if (Context.getOrUndefined(endpoint.annotations, RequiredScopes)?.includes("pos:sync") === true) return "syncs"
  return endpoint.method === "GET" || endpoint.method === "HEAD" ? "reads" : "writes"
}

/**
 * The tenant's rate limits for this caller (SPEC 3): a 429 envelope with Retry-After when a bucket
 * is empty, else undefined, with the RateLimit fields noted for whatever the request is answered.
 */
const overLimit = (
  limiter: RateLimiter["Service"],
  tenant: Tenant,
  principal: Principal,
  endpoint: HttpApiEndpoint.Top
): Effect.Effect<HttpServerResponse.HttpServerResponse | undefined> =>
  Effect.flatMap(limiter.check(tenant, principal, operationOf(endpoint)), (decision) => {
    if (decision === undefined) return noResponse
    if (decision.allowed) {
      return Effect.map(Effect.serviceOption(RequestInfo), (facts) => {
        if (Option.isSome(facts)) facts.value.rateLimitHeaders = decision.headers
        return undefined
      })
    }
    return Effect.succeed(
      HttpServerResponse.text(envelopeJson(429, "rate limited", decision.details), {
        status: 429,
        contentType: "application/json",
        headers: decision.headers
      })
    )
  })

const noResponse: Effect.Effect<HttpServerResponse.HttpServerResponse | undefined> = Effect.succeed(undefined)

/** No key: the bearer scheme is tried next (see ApiKeyAuth). */
const noKey = invalidApiKey()

export const ApiKeyAuthLive = Layer.effect(
  ApiKeyAuth,
  Effect.gen(function* () {
    const secrets = yield* KeySecrets
    const tokens = yield* OAuthTokens
    const limiter = yield* RateLimiter
    const scopesOf = (endpoint: HttpApiEndpoint.Top) => Context.getOrUndefined(endpoint.annotations, RequiredScopes)
    return ApiKeyAuth.of({
      apiKey: (httpEffect, { credential, endpoint }) =>
        Effect.gen(function* () {
          const presented = Redacted.value(credential)
          if (presented === "") return yield* Effect.fail(noKey)
          const request = yield* HttpServerRequest.HttpServerRequest
          // One credential per request: a key beside a token is refused, whichever would be valid.
          if (hasBearer(request)) {
            yield* noteRefusal("both an api key and a bearer token")
            return yield* partnerRefused
          }
          const tenant = yield* CurrentTenant
          const keys = yield* ApiKeys
          const principal = yield* authenticate(tenant.id, presented).pipe(
            Effect.provideService(KeySecrets, secrets),
            Effect.catchTags({
              InvalidApiKey: (e) => Effect.as(noteRefusal(`api key refused: ${e.reason}`), undefined),
              StorageError: unavailable
            })
          )
          if (principal === undefined) return yield* partnerRefused
          const limited = yield* overLimit(limiter, tenant, principal, endpoint)
          if (limited !== undefined) return limited
          const scopes = scopesOf(endpoint)
          if (scopes !== undefined) {
            yield* Effect.mapError(requireAnyScope(principal, scopes), forbidden)
          }
          const now = new Date(yield* Clock.currentTimeMillis)
          // Recording use must never fail the request.
          yield* keys.touch(principal.keyId, now).pipe(Effect.ignore)
          return yield* Effect.provideService(httpEffect, CurrentPrincipal, principal)
        }).pipe(
          // A failure of this scheme would make the next one (bearer) try: a key's 403 and 503 are answered here.
          Effect.catchTags({ Forbidden: envelopeOf, ServiceUnavailable: envelopeOf })
        ),
      // An access token (RFC 9068): checked against the signing keys held in memory and the cached
      // list of revoked clients, so no database read in the steady state.
      bearer: (httpEffect, { credential, endpoint }) =>
        Effect.gen(function* () {
          const token = Redacted.value(credential)
          if (token === "") {
            yield* noteRefusal("api key missing")
            return yield* partnerRefused
          }
          const tenant = yield* CurrentTenant
          const outcome = yield* tokens.verify(tenant.id, token)
          if ("refused" in outcome) {
            yield* noteRefusal(`access token refused: ${outcome.refused}`)
            return yield* partnerRefused
          }
          const revoked = yield* (yield* OAuthClients).revokedIds.pipe(Effect.catch(unavailable))
          if (revoked.has(outcome.clientNumber)) {
            yield* noteRefusal(`access token refused: client ${outcome.clientId} is revoked`)
            return yield* partnerRefused
          }
          const principal: TokenPrincipal = {
            scheme: "bearer",
            tenantId: tenant.id,
            clientId: outcome.clientId,
            scopes: outcome.scopes,
            expiresAt: new Date(outcome.expiresAtMs)
          }
          const limited = yield* overLimit(limiter, tenant, principal, endpoint)
          if (limited !== undefined) return limited
          const scopes = scopesOf(endpoint)
          if (scopes !== undefined && !scopes.some((s) => principal.scopes.includes(s))) {
            // RFC 6750 section 3.1: the scope the token lacks, in the challenge as well as the envelope.
            return HttpServerResponse.text(
              envelopeJson(403, "forbidden", `this access token lacks the scope '${scopes.join(" or ")}'`),
              {
                status: 403,
                contentType: "application/json",
                headers: {
                  "www-authenticate": `${bearerRealm}, error="insufficient_scope", scope="${scopes.join(" ")}"`
                }
              }
            )
          }
          return yield* Effect.provideService(httpEffect, CurrentPrincipal, principal)
        })
    })
  })
)

/** The client's address: the first X-Forwarded-For entry from a proxy TRUST_PROXY believes, else the peer. */
export const clientAddress = (request: HttpServerRequest.HttpServerRequest, policy: TrustProxy): string | null => {
  const peer = Option.getOrUndefined(request.remoteAddress)
  const forwarded = trusts(policy, peer) ? forwardedValue(request.headers["x-forwarded-for"]) : undefined
  return forwarded ?? peer ?? null
}

/** An admin key from the control database; every refusal is the partner API's one 401. */
/** An admin key presented without a key: the session cookie is tried next (see AdminAuth). */
const noAdminKey = invalidApiKey()

const unchangingMethods = new Set(["GET", "HEAD"])

/**
 * An admin key from the control database, else the console's session (a signed cookie naming an
 * admin key that must still be live; a change also needs the session's CSRF token, 403 without).
 * Every refusal of a key or a session is the partner API's one 401.
 */
export const AdminAuthLive = Layer.effect(
  AdminAuth,
  Effect.gen(function* () {
    const config = yield* AppConfig
    const secrets = yield* KeySecrets
    const adminKeys = yield* AdminKeys
    const sessions = sessionCodecOf(secrets)
    const admitted = <A, E, R>(
      httpEffect: Effect.Effect<A, E, R>,
      found: { readonly actor: AdminActor; readonly record: AdminKeyRecord }
    ) =>
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        // Recording use must never fail the request.
        yield* adminKeys.touch(found.record.id, new Date(yield* Clock.currentTimeMillis)).pipe(Effect.ignore)
        return yield* Effect.provideService(httpEffect, CurrentAdmin, {
          actor: found.actor,
          address: clientAddress(request, config.trustProxy)
        })
      })
    const noteRoute = (path: string) =>
      Effect.map(Effect.serviceOption(RequestInfo), (facts) => {
        if (Option.isSome(facts)) facts.value.route = path
      })
    return AdminAuth.of({
      adminKey: (httpEffect, { credential, endpoint }) =>
        Effect.gen(function* () {
          yield* noteRoute(endpoint.path)
          const presented = Redacted.value(credential)
          if (presented === "") return yield* Effect.fail(noAdminKey)
          const found = yield* authenticateAdmin(presented).pipe(
            Effect.provideService(KeySecrets, secrets),
            Effect.provideService(AdminKeys, adminKeys),
            Effect.catchTags({
              InvalidApiKey: (e) => Effect.as(noteRefusal(`admin key refused: ${e.reason}`), undefined),
              StorageError: unavailable
            })
          )
          if (found === undefined) return yield* refused
          return yield* admitted(httpEffect, found)
        }),
      session: (httpEffect, { credential, endpoint }) =>
        Effect.gen(function* () {
          yield* noteRoute(endpoint.path)
          const request = yield* HttpServerRequest.HttpServerRequest
          const now = yield* Clock.currentTimeMillis
          const session = sessions.read(Redacted.value(credential), now)
          if (session === undefined) {
            yield* noteRefusal(Redacted.value(credential) === "" ? "admin key missing" : "console session refused")
            return yield* refused
          }
          const record = yield* adminKeys.findById(session.keyId).pipe(Effect.catch(unavailable))
          if (record === undefined || adminKeyState(record, new Date(now)) !== "active") {
            yield* noteRefusal("console session refused: its admin key is no longer live")
            return yield* refused
          }
          if (
            !unchangingMethods.has(request.method) &&
            !sessions.csrfMatches(session, request.headers[csrfHeader] ?? "")
          ) {
            return yield* new Forbidden({
              message: "forbidden",
              details: `a change from the console needs this session's CSRF token in ${csrfHeader}: reload the console`
            })
          }
          return yield* admitted(httpEffect, { actor: keyActor(record), record })
        })
    })
  })
)

const bodyMethods = new Set(["POST", "PUT", "PATCH"])

export const RequireJsonLive = Layer.succeed(
  RequireJson,
  RequireJson.of((httpEffect, { endpoint }) =>
    Effect.gen(function* () {
      if (bodyMethods.has(endpoint.method) && endpoint.payload.has("application/json")) {
        const request = yield* HttpServerRequest.HttpServerRequest
        const type = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase()
        if (type !== "application/json" && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) {
          return yield* new UnsupportedMediaType({
            message: "unsupported media type",
            details: `expected Content-Type: application/json, got '${type === "" ? "none" : type}'`
          })
        }
      }
      return yield* httpEffect
    })
  )
)

const kindNames: Record<string, InputKind> = {
  Params: "path",
  Query: "query",
  Headers: "header",
  Body: "body",
  Payload: "body"
}

export const SchemaErrorsLive = HttpApiMiddleware.layerSchemaErrorTransform(SchemaErrors, (error) =>
  Effect.fail(
    new BadRequest({
      message: "invalid request",
      details: issueDetails(kindNames[error.kind] ?? "body", error.cause.issue).join("; ")
    })
  )
)
