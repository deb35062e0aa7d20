import { Clock, Effect, Layer, Option } from "effect"
import { HttpIncomingMessage, HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { authenticateClient } from "../../application/oauth/clients.ts"
import { KeySecrets } from "../../application/ports/key-secrets.ts"
import { OAuthClients } from "../../application/ports/oauth.ts"
import { allScopes } from "../../domain/api-key.ts"
import { expandScopes, type OAuthClientRecord, scopeWildcards } from "../../domain/oauth.ts"
import { AppConfig, oauthUrls } from "../config.ts"
import { storageReason } from "../failures.ts"
import { RequestInfo } from "../http/context.ts"
import { envelopeJson } from "../http/errors.ts"
import { clientAddress, requestHost, tenantLabel } from "../http/middleware.ts"
import { TenantDatabases } from "../tenancy/tenant-databases.ts"
import { makeFailureThrottle } from "./failure-throttle.ts"
import { OAuthTokens, signingTimes } from "./token-service.ts"

/**
 * The authorization server of each tenant (RFC 6749 client credentials, RFC 8414 metadata, RFC 7517
 * key set), on the tenant's host like every partner call. The token endpoint answers RFC 6749's own
 * JSON, not our envelope: OAuth clients parse `error`, and nothing else.
 */
export const tokenPath = "/oauth/token"
export const metadataPath = "/.well-known/oauth-authorization-server"
export const jwksPath = "/.well-known/jwks.json"

/** A token request is a few hundred bytes: anything past this is not one. */
const maxTokenRequestBytes = 16 * 1024

/** Ten failed authentications per client and address in a minute, then a wait until the minute ends. */
const throttleLimit = 10
const throttleWindowMs = 60_000

const formType = "application/x-www-form-urlencoded"

type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_scope"
  | "unsupported_grant_type"
  | "temporarily_unavailable"

/** RFC 6749 section 5.2: `error`, a description, never cached. */
const oauthError = (status: number, error: OAuthErrorCode, description: string, headers: Record<string, string> = {}) =>
  HttpServerResponse.text(JSON.stringify({ error, error_description: description }), {
    status,
    contentType: "application/json",
    headers: { "cache-control": "no-store", pragma: "no-cache", ...headers }
  })

const invalidRequest = (description: string) => oauthError(400, "invalid_request", description)

/**
 * One answer for every failed client authentication (an unknown tenant or client, a suspended
 * tenant, a wrong, expired or revoked secret): the same bytes. A client that authenticated with the
 * Authorization header is challenged in it (RFC 6749 section 5.2).
 */
const invalidClient = (usedBasic: boolean) =>
  oauthError(
    401,
    "invalid_client",
    "client authentication failed",
    usedBasic ? { "www-authenticate": 'Basic realm="pos-integration"' } : {}
  )

/** RFC 6749 appendix B: the client id and secret in Basic are form-encoded first. */
const formDecode = (text: string): string | undefined => {
  try {
    return decodeURIComponent(text.replaceAll("+", " "))
  } catch {
    return undefined
  }
}

type ClientCredentials =
  | { readonly _tag: "none" }
  | { readonly _tag: "malformed"; readonly description: string }
  | { readonly _tag: "found"; readonly id: string; readonly secret: string; readonly basic: boolean }

const basicCredentials = (header: string | undefined): ClientCredentials => {
  if (header === undefined) return { _tag: "none" }
  const match = /^basic +(\S+) *$/i.exec(header)
  if (match === null) return { _tag: "malformed", description: "Authorization: expected Basic client credentials" }
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8")
  const colon = decoded.indexOf(":")
  const id = colon < 0 ? undefined : formDecode(decoded.slice(0, colon))
  const secret = colon < 0 ? undefined : formDecode(decoded.slice(colon + 1))
  if (id === undefined || secret === undefined) {
    return { _tag: "malformed", description: "Authorization: Basic credentials are not client_id:client_secret" }
  }
  return { _tag: "found", id, secret, basic: true }
}

/** Each parameter once (RFC 6749 section 3.2); an empty one counts as absent. */
const readForm = (body: string): Map<string, string> | string => {
  const params = new Map<string, string>()
  for (const [name, value] of new URLSearchParams(body)) {
    if (params.has(name)) return `${name}: given more than once`
    if (value !== "") params.set(name, value)
  }
  return params
}

/** The grant's own checks after the client is known: the scope asked for, then the signed token. */
const grant = (
  tokens: OAuthTokens["Service"],
  tenantId: string,
  client: OAuthClientRecord,
  asked: string | undefined
) =>
  Effect.gen(function* () {
    let scopes = client.scopes
    if (asked !== undefined) {
      const { scopes: wanted, unknown } = expandScopes(asked.split(" ").filter((w) => w !== ""))
      if (unknown.length > 0) {
        return oauthError(400, "invalid_scope", `unknown scope ${unknown.map((w) => `'${w}'`).join(", ")}`)
      }
      const beyond = wanted.filter((s) => !client.scopes.includes(s))
      if (beyond.length > 0) return oauthError(400, "invalid_scope", `not granted to this client: ${beyond.join(" ")}`)
      if (wanted.length === 0) return oauthError(400, "invalid_scope", "scope: names no scope")
      scopes = wanted
    }
    const issued = yield* tokens.issue(tenantId, client, scopes).pipe(Effect.result)
    if (issued._tag === "Failure") {
      yield* Effect.logError("access token not signed", { reason: issued.failure.reason })
      return oauthError(503, "temporarily_unavailable", "tokens cannot be signed right now; retry later")
    }
    // Recording use must never fail the request.
    yield* Effect.ignore(Effect.flatMap(OAuthClients, (clients) => clients.touch(client.id, new Date())))
    return HttpServerResponse.text(
      JSON.stringify({
        access_token: issued.success.accessToken,
        token_type: "Bearer",
        expires_in: issued.success.expiresIn,
        scope: issued.success.scopes.join(" ")
      }),
      { contentType: "application/json", headers: { "cache-control": "no-store", pragma: "no-cache" } }
    )
  })

/** What the request says, in RFC 6749's order: content type, the form, the grant type, the client's credentials. */
const readTokenRequest = Effect.gen(function* () {
  const request = yield* HttpServerRequest.HttpServerRequest
  const type = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase()
  if (type !== formType) return invalidRequest(`Content-Type: expected ${formType}`)
  // RFC 6749 reads the parameters before authenticating the client: the body is read first.
  const body = yield* request.text.pipe(
    Effect.provideService(HttpIncomingMessage.MaxBodySize, BigInt(maxTokenRequestBytes)),
    Effect.option
  )
  if (Option.isNone(body)) {
    return oauthError(413, "invalid_request", `the body is over ${maxTokenRequestBytes} bytes or unreadable`)
  }
  const form = readForm(body.value)
  if (typeof form === "string") return invalidRequest(form)
  const grantType = form.get("grant_type")
  if (grantType === undefined) return invalidRequest("grant_type: missing")
  if (grantType !== "client_credentials") {
    return oauthError(400, "unsupported_grant_type", "only grant_type=client_credentials is supported")
  }
  const basic = basicCredentials(request.headers["authorization"])
  if (basic._tag === "malformed") return invalidRequest(basic.description)
  const postId = form.get("client_id")
  const postSecret = form.get("client_secret")
  if (basic._tag === "found" && postSecret !== undefined) {
    return invalidRequest("client authentication: use either Basic or client_secret in the body, not both")
  }
  if (basic._tag === "found" && postId !== undefined && postId !== basic.id) {
    return invalidRequest("client_id: differs from the one in the Authorization header")
  }
  const credentials =
    basic._tag === "found"
      ? basic
      : postId !== undefined && postSecret !== undefined
        ? { id: postId, secret: postSecret, basic: false }
        : undefined
  return { credentials, scope: form.get("scope") }
})

/** `POST /oauth/token`: the client credentials grant (RFC 6749 section 4.4). */
const tokenRoute = Layer.unwrap(
  Effect.gen(function* () {
    const config = yield* AppConfig
    const databases = yield* TenantDatabases
    const tokens = yield* OAuthTokens
    const secrets = yield* KeySecrets
    const throttle = makeFailureThrottle({ limit: throttleLimit, windowMs: throttleWindowMs, maxKeys: 100_000 })
    const handler = Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const facts = yield* Effect.serviceOption(RequestInfo)
      const note = (reason: string) => {
        if (Option.isSome(facts)) facts.value.refusal = reason
      }
      if (Option.isSome(facts)) facts.value.route = tokenPath
      const read = yield* readTokenRequest
      if (HttpServerResponse.isHttpServerResponse(read)) return read
      const credentials = read.credentials
      if (credentials === undefined) {
        note("client credentials missing")
        return invalidClient(false)
      }
      const host = requestHost(request, config.trustProxy)
      const label = tenantLabel(host, config.baseDomain)
      const address = clientAddress(request, config.trustProxy) ?? "-"
      const throttleKey = `${label ?? "-"}\u0000${credentials.id.slice(0, 64)}\u0000${address}`
      const now = yield* Clock.currentTimeMillis
      const wait = throttle.blockedFor(throttleKey, now)
      if (wait > 0) {
        note("client throttled after failed authentications")
        return oauthError(
          429,
          "temporarily_unavailable",
          `too many failed client authentications from this address: retry in ${wait} s`,
          { "retry-after": String(wait) }
        )
      }
      const refuse = (reason: string) => {
        throttle.failed(throttleKey, now)
        note(reason)
        return invalidClient(credentials.basic)
      }
      const tenant = label === undefined ? undefined : yield* databases.resolve(label)
      if (tenant === undefined) {
        // Hashed as a known client's would be, so the timing does not tell which tenants exist.
        secrets.matches(credentials.secret, "")
        return refuse(`tenant not resolved: host ${JSON.stringify(host ?? "-")}`)
      }
      if (Option.isSome(facts)) facts.value.tenant = tenant.id
      const repositories = yield* databases.repositories(tenant.id)
      return yield* Effect.gen(function* () {
        const outcome = yield* authenticateClient(credentials.id, credentials.secret)
        if (!("client" in outcome)) return refuse(`oauth client refused: ${outcome.refused}`)
        throttle.succeeded(throttleKey)
        return yield* grant(tokens, tenant.id, outcome.client, read.scope)
      }).pipe(Effect.provideContext(repositories), Effect.provideService(KeySecrets, secrets))
    }).pipe(
      Effect.scoped,
      Effect.catchTag("StorageError", (error) =>
        Effect.as(
          Effect.logError("token request not served: storage unavailable", storageReason(error)),
          oauthError(503, "temporarily_unavailable", "the client could not be checked; retry later")
        )
      )
    )
    return HttpRouter.add("POST", tokenPath, handler)
  })
)

/** RFC 8414 metadata of the tenant the host names (whether or not it exists: no tenant enumeration). */
const metadataRoutes = Layer.unwrap(
  Effect.gen(function* () {
    const config = yield* AppConfig
    const scopesSupported = [...allScopes, ...Object.keys(scopeWildcards)]
    const handler = Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const label = tenantLabel(requestHost(request, config.trustProxy), config.baseDomain)
      if (label === undefined) {
        return HttpServerResponse.text(
          envelopeJson(404, "not found", "the authorization server metadata is served on a tenant's host"),
          { status: 404, contentType: "application/json" }
        )
      }
      const { issuer } = oauthUrls(config, label)
      return HttpServerResponse.text(
        JSON.stringify({
          issuer,
          token_endpoint: `${issuer}${tokenPath}`,
          jwks_uri: `${issuer}${jwksPath}`,
          grant_types_supported: ["client_credentials"],
          token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
          scopes_supported: scopesSupported,
          response_types_supported: [],
          service_documentation: `${issuer}/docs`
        }),
        { contentType: "application/json", headers: { "cache-control": "public, max-age=3600" } }
      )
    })
    // RFC 8414 section 3: an issuer with a path has its metadata at the well-known path followed by
    // that path; the pipeline serves BASE_PATH/... at the same route as the root.
    const insertedPath = config.basePath === "" ? [] : [`${metadataPath}${config.basePath}` as const]
    return Layer.mergeAll(
      HttpRouter.add("GET", metadataPath, handler),
      ...insertedPath.map((path) => HttpRouter.add("GET", path as `/${string}`, handler))
    )
  })
)

/** The published signing keys (RFC 7517), for any host: they serve every tenant. */
const jwksRoute = Layer.unwrap(
  Effect.gen(function* () {
    const tokens = yield* OAuthTokens
    const maxAge = signingTimes(yield* AppConfig).jwksMaxAgeSeconds
    return HttpRouter.add(
      "GET",
      jwksPath,
      tokens.jwks.pipe(
        Effect.map((keys) =>
          HttpServerResponse.text(JSON.stringify({ keys }), {
            contentType: "application/json",
            headers: { "cache-control": `public, max-age=${maxAge}` }
          })
        ),
        Effect.catchTag("StorageError", (error) =>
          Effect.as(
            Effect.logError("signing keys not read", storageReason(error)),
            HttpServerResponse.text(
              envelopeJson(503, "temporarily unavailable", "signing keys not readable; retry later"),
              {
                status: 503,
                contentType: "application/json"
              }
            )
          )
        )
      )
    )
  })
)

export const oauthRoutes = Layer.mergeAll(tokenRoute, metadataRoutes, jwksRoute)

/** The methods of these routes, for the 405 table. */
export const oauthMethods = [
  { method: "POST", path: tokenPath },
  { method: "GET", path: metadataPath },
  { method: "GET", path: jwksPath }
] as const
