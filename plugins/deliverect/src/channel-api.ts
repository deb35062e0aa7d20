import { MissingCredentials, PosUnavailable } from "@pos-integration/sdk"
import { Clock, Effect, Schema } from "effect"
import { type HttpClient, HttpClientRequest } from "effect/http"
import type { OutletCredentials } from "./credentials.ts"

/** An HTTP answer, read whole. */
export interface Answer {
  readonly status: number
  readonly text: string
}

/** A token is fetched afresh when it expires within this margin, so that no call starts with a dying one. */
const refreshMargin = 60_000

/**
 * Deliverect's token answer ("Get Access Token"): `expires_at` in epoch seconds (Deliverect asks
 * channels to cache the token until then), `expires_in` in seconds in newer answers.
 */
const TokenAnswer = Schema.Struct({
  access_token: Schema.String.check(Schema.isMinLength(1)),
  expires_at: Schema.optionalKey(Schema.Finite),
  expires_in: Schema.optionalKey(Schema.Finite)
})

interface CachedToken {
  /** The secret and audience it was fetched with: a change of either fetches a new one. */
  readonly clientSecret: string
  readonly audience: string
  readonly value: string
  /** Epoch milliseconds. */
  readonly expiresAt: number
}

/**
 * Access tokens by token URL and client id, in memory. Deliverect's tokens are good for every
 * channel link of the channel integration, so one serves every outlet; a token is never stored
 * with the credentials (they are the operator's).
 */
const tokens = new Map<string, CachedToken>()

const cacheKey = (tokenUrl: string, clientId: string): string => JSON.stringify([tokenUrl, clientId])

/** Statuses that say "not now" rather than "never": unavailable, to be retried. */
export const transient = (status: number): boolean =>
  status === 408 || status === 425 || status === 429 || status >= 500 || status < 200 || (status >= 300 && status < 400)

/** What went wrong on the way, in words holding no URL (a base URL may carry a password), header or body. */
const failureText = (error: unknown): string => {
  const reason =
    typeof error === "object" && error !== null && "reason" in error && typeof error.reason === "object"
      ? (error.reason as { readonly _tag?: unknown } | null)?._tag
      : undefined
  return typeof reason === "string" ? `no answer (${reason})` : "no answer"
}

/**
 * Replaces every secret of the credentials, and the token, wherever a text (a vendor's error
 * message) might echo one back.
 */
export const withoutSecrets = (text: string, secrets: ReadonlyArray<string>): string =>
  secrets.filter((secret) => secret.length > 0).reduce((clean, secret) => clean.split(secret).join("[redacted]"), text)

/**
 * What of an outlet's credentials must not show, for `withoutSecrets`: the secrets, and the client
 * id and channel scope too (they are the operator's, not data of the order). Longest first, so
 * that a value holding another is replaced whole.
 */
export const secretsOf = (credentials: OutletCredentials): ReadonlyArray<string> =>
  [credentials.clientSecret, credentials.webhookSecret, credentials.clientId, credentials.channelName].sort(
    (a, b) => b.length - a.length
  )

/**
 * Deliverect's error answers name what went wrong in a few known shapes: field errors
 * (`{"orderFieldsErrors": {"items": "Missing from the payload."}}`), `{"code", "description"}`,
 * `{"message"}`, `{"error": {"code", "message"}}`, OAuth's `{"error", "error_description"}`.
 * Their words, at most 300 characters; null when the body says nothing readable.
 */
export const vendorReason = (text: string): string | null => {
  const parts: Array<string> = []
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  const words = (value: unknown): value is string => typeof value === "string" && value.trim() !== ""
  if (typeof json === "object" && json !== null && !Array.isArray(json)) {
    const body = json as Record<string, unknown>
    for (const [key, value] of Object.entries(body)) {
      if (!/errors$/i.test(key) || typeof value !== "object" || value === null) continue
      for (const [field, message] of Object.entries(value)) {
        if (words(message)) parts.push(`${field}: ${message}`)
      }
    }
    const nested =
      typeof body["error"] === "object" && body["error"] !== null ? (body["error"] as Record<string, unknown>) : {}
    for (const value of [body["description"], body["message"], body["error_description"], nested["message"]]) {
      if (words(value)) parts.push(value)
    }
    if (parts.length === 0) {
      for (const value of [body["code"], body["error"], nested["code"]]) if (words(value)) parts.push(value)
    }
  } else if (json === undefined && /^[\x20-\x7e\s]+$/.test(text) && !/^\s*</.test(text) && text.trim() !== "") {
    // Plain text; an HTML error page says nothing worth repeating.
    parts.push(text.trim())
  }
  if (parts.length === 0) return null
  const joined = parts.join("; ").replace(/\s+/g, " ")
  return joined.length > 300 ? `${joined.slice(0, 297)}...` : joined
}

/** One HTTP exchange, the answer read whole; any failure on the way (refused, reset, cut short) is unavailability. */
const exchange = (
  http: HttpClient.HttpClient,
  request: HttpClientRequest.HttpClientRequest,
  what: string
): Effect.Effect<Answer, PosUnavailable> =>
  http.execute(request).pipe(
    Effect.flatMap((response) => Effect.map(response.text, (text): Answer => ({ status: response.status, text }))),
    Effect.mapError((error) => new PosUnavailable({ reason: `${what}: ${failureText(error)}` }))
  )

const baseOf = (credentials: OutletCredentials): string => credentials.baseUrl.replace(/\/+$/, "")

/**
 * POST /oauth/token with the channel integration's client credentials (OAuth client credentials
 * grant, JSON body, as Deliverect's "Get Access Token" shows it). A refusal (4xx) means the client
 * id, secret or audience are wrong: only an operator can fix that.
 */
const fetchToken = (
  http: HttpClient.HttpClient,
  credentials: OutletCredentials,
  tokenUrl: string,
  audience: string
): Effect.Effect<
  CachedToken | { readonly value: string; readonly expiresAt: null },
  PosUnavailable | MissingCredentials
> =>
  Effect.gen(function* () {
    const what = "Deliverect token request (POST /oauth/token)"
    const request = HttpClientRequest.post(tokenUrl).pipe(
      HttpClientRequest.acceptJson,
      HttpClientRequest.bodyJsonUnsafe({
        client_id: credentials.clientId,
        client_secret: credentials.clientSecret,
        audience,
        grant_type: "client_credentials"
      })
    )
    const answer = yield* exchange(http, request, what)
    if (transient(answer.status)) {
      return yield* new PosUnavailable({ reason: `${what} answered HTTP ${answer.status}` })
    }
    if (answer.status >= 400) {
      const said = vendorReason(answer.text)
      return yield* new MissingCredentials({
        level: "outlet",
        reason: withoutSecrets(
          `Deliverect refused the channel's client credentials (HTTP ${answer.status}${said === null ? "" : `: ${said}`}): check clientId, clientSecret, audience and baseUrl`,
          secretsOf(credentials)
        )
      })
    }
    let json: unknown
    try {
      json = JSON.parse(answer.text)
    } catch {
      return yield* new PosUnavailable({
        reason: `${what} answered HTTP ${answer.status} with a body that is not JSON`
      })
    }
    if (!Schema.is(TokenAnswer)(json)) {
      return yield* new PosUnavailable({ reason: `${what} answered HTTP ${answer.status} without an access token` })
    }
    const now = yield* Clock.currentTimeMillis
    const expiresAt =
      json.expires_at !== undefined
        ? json.expires_at * 1000
        : json.expires_in !== undefined
          ? now + json.expires_in * 1000
          : null
    if (expiresAt === null) return { value: json.access_token, expiresAt: null }
    return { clientSecret: credentials.clientSecret, audience, value: json.access_token, expiresAt }
  })

/**
 * A token for this call: the cached one while it is good for another minute, else a new one
 * (cached when its expiry is known and more than a minute away).
 */
const accessToken = (
  http: HttpClient.HttpClient,
  credentials: OutletCredentials
): Effect.Effect<string, PosUnavailable | MissingCredentials> =>
  Effect.gen(function* () {
    const base = baseOf(credentials)
    const tokenUrl = `${base}/oauth/token`
    const audience = credentials.audience ?? base
    const key = cacheKey(tokenUrl, credentials.clientId)
    const now = yield* Clock.currentTimeMillis
    const cached = tokens.get(key)
    if (
      cached !== undefined &&
      cached.clientSecret === credentials.clientSecret &&
      cached.audience === audience &&
      cached.expiresAt - now > refreshMargin
    ) {
      return cached.value
    }
    const fetched = yield* fetchToken(http, credentials, tokenUrl, audience)
    if (fetched.expiresAt !== null && fetched.expiresAt - now > refreshMargin && "clientSecret" in fetched) {
      tokens.set(key, fetched)
    } else {
      tokens.delete(key)
    }
    return fetched.value
  })

/** Forgets a token the API refused, unless another call has replaced it meanwhile. */
const forget = (credentials: OutletCredentials, token: string): Effect.Effect<void> =>
  Effect.sync(() => {
    const key = cacheKey(`${baseOf(credentials)}/oauth/token`, credentials.clientId)
    if (tokens.get(key)?.value === token) tokens.delete(key)
  })

/**
 * POSTs a body to the channel's order endpoint, `/{channelName}/order/{channelLinkId}` (orders
 * and their cancellations both go there), with a Bearer token. A 401 is a token Deliverect no
 * longer takes (`{"code": "token_expired"}`, or revoked): a new one is fetched and the call sent
 * once more, once. The answer is the caller's to read; the token never leaves this module.
 */
export const postToChannel = (
  http: HttpClient.HttpClient,
  credentials: OutletCredentials,
  channelLinkId: string,
  body: unknown,
  what: string
): Effect.Effect<Answer, PosUnavailable | MissingCredentials> =>
  Effect.gen(function* () {
    const url = `${baseOf(credentials)}/${encodeURIComponent(credentials.channelName)}/order/${encodeURIComponent(channelLinkId)}`
    // An answer that echoes the token back (an error quoting the request) never carries it further.
    const send = (token: string) =>
      exchange(
        http,
        HttpClientRequest.post(url).pipe(
          HttpClientRequest.acceptJson,
          HttpClientRequest.bearerToken(token),
          HttpClientRequest.bodyJsonUnsafe(body)
        ),
        what
      ).pipe(Effect.map((answer): Answer => ({ status: answer.status, text: withoutSecrets(answer.text, [token]) })))
    const first = yield* accessToken(http, credentials)
    const answer = yield* send(first)
    if (answer.status !== 401) return answer
    yield* forget(credentials, first)
    return yield* send(yield* accessToken(http, credentials))
  })
