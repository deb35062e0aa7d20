import {
  decodePayload,
  MissingCredentials,
  type PayloadRejected,
  type PosCallContext,
  PosRejected,
  PosUnavailable,
  requireCredentials
} from "@pos-integration/sdk"
import { Clock, Duration, Effect, Schema } from "effect"
import { HttpClientRequest } from "effect/http"
import type { AccountCredentials, OutletCredentials } from "./credentials.ts"

/** What a call to the Lightspeed API may fail with. */
export type ApiFailure = PayloadRejected | PosRejected | PosUnavailable | MissingCredentials

export interface ApiOptions {
  /** How long one HTTP exchange (request and whole answer) may take before the POS counts as unavailable. */
  readonly timeout: Duration.Input
}

/** An access token is renewed when it expires within this margin, so that no call starts with a dying one. */
const refreshMargin = 60_000

/** Lightspeed's access tokens live 60 minutes; the token answer normally says so itself (`expires_in`). */
const defaultLifetimeSeconds = 3600

interface AccessToken {
  readonly value: string
  /** Epoch milliseconds; null when unknown (an operator set the token without its expiry). */
  readonly expiresAt: number | null
}

const storedToken = (credentials: AccountCredentials): AccessToken | null =>
  credentials.accessToken === undefined
    ? null
    : {
        value: credentials.accessToken,
        expiresAt: credentials.accessTokenExpiresAt === undefined ? null : Date.parse(credentials.accessTokenExpiresAt)
      }

/** Usable for a call starting now: present, and not expiring within the margin (or of unknown expiry). */
const usable = (token: AccessToken | null, now: number): token is AccessToken =>
  token !== null && (token.expiresAt === null || token.expiresAt - now > refreshMargin)

/** The token endpoint's answer (RFC 6749 section 5.1); the new refresh token replaces the spent one. */
const TokenAnswer = Schema.Struct({
  access_token: Schema.String.check(Schema.isMinLength(1)),
  refresh_token: Schema.String.check(Schema.isMinLength(1)),
  expires_in: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThan(0)))
})

/** The token endpoint's refusal (RFC 6749 section 5.2); only `error`, a fixed code, is ever reported. */
const TokenError = Schema.Struct({ error: Schema.String })

/** OAuth errors meaning the stored client or refresh token is no good: only an operator can fix that. */
const credentialErrors = new Set(["invalid_grant", "invalid_client", "unauthorized_client"])

/** An HTTP answer as read in full: its status and its body as text. */
export interface Answer {
  readonly status: number
  readonly text: string
}

/** What went wrong on the way, in words that never hold a URL's secrets, a header or a body. */
const failureText = (error: unknown): string =>
  typeof error === "object" && error !== null && "_tag" in error && error._tag === "TimeoutError"
    ? "no answer in time"
    : typeof error === "object" && error !== null && "reason" in error && typeof error.reason === "object"
      ? `no answer (${String((error.reason as { _tag?: unknown })._tag ?? "transport error")})`
      : "no answer"

/** Statuses that say "not now" rather than "never": the POS counts as unavailable, and the call is retried later. */
export const transient = (status: number) => status === 408 || status === 425 || status === 429 || status >= 500

const parseJson = (answer: Answer, what: string): Effect.Effect<unknown, PosUnavailable> =>
  Effect.try({
    try: (): unknown => JSON.parse(answer.text),
    catch: () => new PosUnavailable({ reason: `${what} answered HTTP ${answer.status} with a body that is not JSON` })
  })

/** One request to the API: a path under the base URL, its query, and a JSON body for a POST. */
export interface ApiRequest {
  readonly method: "GET" | "POST"
  readonly path: string
  readonly query?: Readonly<Record<string, string>>
  /** The JSON body, as the exact text to send. */
  readonly json?: string
}

/**
 * The Lightspeed API as one pull or one order sees it: the business's credentials, an access token
 * kept fresh, and requests mapped to the SDK's typed failures. One is opened per operation; its
 * access token is renewed through the account vault, so that every instance of the service shares
 * it and a single-use refresh token is spent once.
 */
export interface LightspeedApi {
  /** GET a path of the API with the query given; answers the parsed JSON of a 2xx answer. */
  readonly getJson: (path: string, query: Readonly<Record<string, string>>) => Effect.Effect<unknown, ApiFailure>
  /**
   * Sends one request with the access token and answers what the API answered, whatever its status.
   * A 401 renews the token once and sends the request once more: its answer is the one answered.
   * Failing only when no answer came (`PosUnavailable`) or the token could not be renewed.
   */
  readonly send: (request: ApiRequest) => Effect.Effect<Answer, ApiFailure>
  /** Every secret this API holds now (the client secret, stored and renewed tokens), to keep them out of any text shown. */
  readonly secrets: () => ReadonlyArray<string>
}

export const openApi = (
  context: PosCallContext<OutletCredentials, AccountCredentials>,
  options: ApiOptions,
  purpose = "pulling from Lightspeed"
): Effect.Effect<LightspeedApi, MissingCredentials> =>
  Effect.map(requireCredentials(context.credentials.account, "account", purpose), (credentials): LightspeedApi => {
    const timeout = Duration.fromInputUnsafe(options.timeout)
    let token = storedToken(credentials)
    const known = new Set(
      [credentials.clientSecret, credentials.refreshToken, credentials.accessToken, credentials.webhookToken].filter(
        (secret): secret is string => secret !== undefined
      )
    )

    /** One HTTP exchange, answer body included, within the timeout; any failure on the way is unavailability. */
    const exchange = (
      request: HttpClientRequest.HttpClientRequest,
      what: string
    ): Effect.Effect<Answer, PosUnavailable> =>
      context.http.execute(request).pipe(
        Effect.flatMap((response) => Effect.map(response.text, (text): Answer => ({ status: response.status, text }))),
        Effect.timeout(timeout),
        Effect.mapError((error) => new PosUnavailable({ reason: `${what}: ${failureText(error)}` }))
      )

    /** POST /oauth/token with the refresh token (grant_type=refresh_token), the client as HTTP Basic. */
    const requestToken = (current: AccountCredentials) =>
      Effect.gen(function* () {
        const what = "Lightspeed token refresh (POST /oauth/token)"
        const request = HttpClientRequest.post(`${current.apiBaseUrl}/oauth/token`).pipe(
          HttpClientRequest.acceptJson,
          HttpClientRequest.basicAuth(current.clientId, current.clientSecret),
          HttpClientRequest.bodyUrlParams({ grant_type: "refresh_token", refresh_token: current.refreshToken })
        )
        const answer = yield* exchange(request, what)
        if (answer.status >= 200 && answer.status < 300) {
          return yield* parseJson(answer, what).pipe(Effect.flatMap(decodePayload(TokenAnswer)))
        }
        if (transient(answer.status)) {
          return yield* new PosUnavailable({ reason: `${what} answered HTTP ${answer.status}` })
        }
        const refusal = yield* Effect.option(parseJson(answer, what).pipe(Effect.flatMap(decodePayload(TokenError))))
        const code = refusal._tag === "Some" && /^[a-z_]{1,40}$/.test(refusal.value.error) ? refusal.value.error : null
        if (answer.status === 401 || (code !== null && credentialErrors.has(code))) {
          return yield* new MissingCredentials({
            level: "account",
            reason: `Lightspeed refused the business's OAuth client or refresh token (HTTP ${answer.status}${
              code === null ? "" : `, ${code}`
            }): authorize the business again and set its new tokens`
          })
        }
        return yield* new PosRejected({
          reason: `${what} answered HTTP ${answer.status}${code === null ? "" : ` (${code})`}`,
          status: answer.status
        })
      })

    /**
     * A new access token, through the vault's rotation: under the lock, the stored credentials are
     * read afresh; when another call (or instance) has renewed the token meanwhile, that one is used
     * and nothing is spent. Otherwise the stored refresh token is spent once, and the new tokens
     * replace it before the lock is released. `rejected` is a token the API just refused.
     */
    const renew = (rejected: string | null): Effect.Effect<string, ApiFailure> =>
      context.vault.account
        .rotate((current) =>
          Effect.gen(function* () {
            const now = yield* Clock.currentTimeMillis
            const stored = storedToken(current)
            if (usable(stored, now) && stored.value !== rejected) return { value: stored, credentials: current }
            const answer = yield* requestToken(current)
            known.add(current.refreshToken).add(answer.refresh_token).add(answer.access_token)
            const expiresAt = now + (answer.expires_in ?? defaultLifetimeSeconds) * 1000
            return {
              value: { value: answer.access_token, expiresAt },
              credentials: {
                ...current,
                refreshToken: answer.refresh_token,
                accessToken: answer.access_token,
                accessTokenExpiresAt: new Date(expiresAt).toISOString()
              }
            }
          })
        )
        .pipe(
          Effect.map((renewed) => {
            known.add(renewed.value)
            token = renewed
            return renewed.value
          })
        )

    const accessToken = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      return usable(token, now) ? token.value : yield* renew(null)
    })

    const send = (request: ApiRequest) =>
      Effect.gen(function* () {
        const what = `Lightspeed ${request.method} ${request.path}`
        const attempt = (bearer: string) => {
          const base = HttpClientRequest.make(request.method)(`${credentials.apiBaseUrl}${request.path}`, {
            urlParams: request.query ?? {},
            acceptJson: true
          }).pipe(HttpClientRequest.bearerToken(bearer))
          return exchange(
            request.json === undefined ? base : HttpClientRequest.bodyText(base, request.json, "application/json"),
            what
          )
        }
        const first = yield* accessToken
        const answer = yield* attempt(first)
        // A token refused before its time (revoked, or its expiry unknown): renewed once, the call retried once.
        return answer.status === 401 ? yield* attempt(yield* renew(first)) : answer
      })

    const getJson = (path: string, query: Readonly<Record<string, string>>) =>
      Effect.gen(function* () {
        const what = `Lightspeed GET ${path}`
        const answer = yield* send({ method: "GET", path, query })
        if (answer.status >= 200 && answer.status < 300) return yield* parseJson(answer, what)
        if (transient(answer.status) || answer.status < 400) {
          return yield* new PosUnavailable({ reason: `${what} answered HTTP ${answer.status}` })
        }
        return yield* new PosRejected({
          reason:
            answer.status === 401
              ? `${what} refused a freshly renewed access token (HTTP 401)`
              : `${what} answered HTTP ${answer.status}`,
          status: answer.status
        })
      })

    return { getJson, send, secrets: () => [...known] }
  })
