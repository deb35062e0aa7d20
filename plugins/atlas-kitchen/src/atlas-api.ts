import { PosRejected, PosUnavailable } from "@pos-integration/sdk"
import { Duration, Effect, Option, Schema } from "effect"
import { FetchHttpClient, type HttpClient, type HttpClientError, HttpClientRequest } from "effect/http"

/** One call to Atlas may take this long, its body included; past it the outcome is unknown. */
export const callTimeout = Duration.seconds(15)

/** How much of Atlas's own error text a failure quotes. */
const maxQuoted = 300

/**
 * Atlas's error body (docs.atlas.kitchen, "Errors": `{type, message, details[{field, message}]}`).
 * The 401 of the Authentication page carries `error_hash` instead of `details`: every part is
 * optional, and whatever does not fit is simply not quoted.
 */
const ApiError = Schema.Struct({
  type: Schema.optionalKey(Schema.NullOr(Schema.String)),
  message: Schema.optionalKey(Schema.NullOr(Schema.String)),
  details: Schema.optionalKey(
    Schema.NullOr(
      Schema.Array(
        Schema.Struct({
          field: Schema.optionalKey(Schema.NullOr(Schema.String)),
          message: Schema.optionalKey(Schema.NullOr(Schema.String))
        })
      )
    )
  )
})
const decodeApiError = Schema.decodeUnknownOption(Schema.fromJsonString(ApiError))

/** Text with every secret in it masked, and cut to a length fit for a log line. */
export const redact = (text: string, secrets: ReadonlyArray<string>): string => {
  let clean = text
  for (const secret of secrets) clean = clean.split(secret).join("[redacted]")
  return clean.length > maxQuoted ? `${clean.slice(0, maxQuoted)}...` : clean
}

/** What Atlas said about a failed request, in one line: `Unauthorized: You did not ... (field: why)`. */
const atlasSays = (body: string): string => {
  const parsed = decodeApiError(body)
  if (Option.isNone(parsed)) return ""
  const { type, message, details } = parsed.value
  const fields = (details ?? [])
    .map((d) => [d.field, d.message].filter((part) => part !== undefined && part !== null && part !== "").join(": "))
    .filter((d) => d !== "")
  const head = [type, message].filter((part) => part !== undefined && part !== null && part !== "").join(": ")
  const text = fields.length === 0 ? head : `${head} (${fields.join("; ")})`
  return text === "" ? "" : `: ${text}`
}

const transportProblem = (error: HttpClientError.HttpClientError): string => {
  const cause = error.reason.cause
  const inner = cause instanceof Error && cause.cause instanceof Error ? cause.cause : cause
  const code = inner instanceof Error && "code" in inner && typeof inner.code === "string" ? inner.code : undefined
  return code ?? error.reason._tag
}

/** One call to Atlas: where, what it is called in messages, and the headers that authenticate it. */
export interface AtlasCall {
  readonly http: HttpClient.HttpClient
  readonly url: string
  /** `GET /menus`: how failures name the call (never with the host, a query or a header). */
  readonly name: string
  readonly headers: Readonly<Record<string, string>>
  /** The secrets of the call, masked wherever Atlas's answer would be quoted. */
  readonly secrets: ReadonlyArray<string>
}

/** What Atlas answered: the status and the whole body as text. */
export interface AtlasAnswer {
  readonly status: number
  readonly body: string
}

/** Transient: the outcome is unknown and the core may retry. The reason names the call and never a secret. */
export const unavailable = (call: AtlasCall, why: string): PosUnavailable =>
  new PosUnavailable({ reason: redact(`Atlas ${call.name}: ${why}`, call.secrets) })

/**
 * Sends one request and reads the whole answer, whatever its status. Redirects are never followed
 * (they would carry the key to another address); no connection, a reset, no answer (its body
 * included) within `callTimeout`, or anything else going wrong on the way is PosUnavailable: the
 * outcome is unknown. Failures name the call only, never the host, a header or a secret.
 */
export const exchange = (
  call: AtlasCall,
  request: HttpClientRequest.HttpClientRequest
): Effect.Effect<AtlasAnswer, PosUnavailable> =>
  Effect.gen(function* () {
    const init = yield* Effect.serviceOption(FetchHttpClient.RequestInit)
    const response = yield* call.http
      .execute(request.pipe(HttpClientRequest.acceptJson, HttpClientRequest.setHeaders(call.headers)))
      .pipe(
        Effect.provideService(FetchHttpClient.RequestInit, { ...Option.getOrUndefined(init), redirect: "manual" }),
        Effect.mapError((error) => unavailable(call, `could not reach Atlas (${transportProblem(error)})`))
      )
    const body = yield* response.text.pipe(
      Effect.mapError((error) => unavailable(call, `the answer could not be read (${transportProblem(error)})`))
    )
    return { status: response.status, body }
  }).pipe(
    Effect.timeoutOrElse({
      duration: callTimeout,
      orElse: () => Effect.fail(unavailable(call, `no answer within ${Duration.format(callTimeout)}`))
    }),
    // Whatever else goes wrong on the way, the outcome is unknown: the core may retry.
    Effect.catchDefect(() => Effect.fail(unavailable(call, "the call failed unexpectedly")))
  )

/** The failure an answer that is not a 2xx means, with Atlas's own words. */
export const refusal = (call: AtlasCall, answer: AtlasAnswer): PosRejected | PosUnavailable => {
  const { status, body } = answer
  if (status === 408 || status === 429 || status >= 500) {
    return unavailable(call, `answered ${status}${atlasSays(body)}`)
  }
  if (status >= 400) {
    return new PosRejected({
      status,
      reason: redact(`Atlas ${call.name}: answered ${status}${atlasSays(body)}`, call.secrets)
    })
  }
  return unavailable(call, `answered ${status}, which is no answer to this call (redirects are not followed)`)
}

/** A 2xx body as JSON; a body that is not JSON is garbage: unavailable. */
export const parsed = (call: AtlasCall, answer: AtlasAnswer): Effect.Effect<unknown, PosUnavailable> =>
  Effect.try({
    try: (): unknown => JSON.parse(answer.body),
    catch: () => unavailable(call, `answered ${answer.status} with a body that is not JSON`)
  })

/**
 * A GET answered with JSON. 2xx: the parsed body (a body that is not JSON is garbage: unavailable).
 * 4xx: Atlas refused the request for good (wrong key or merchant, unknown menu): PosRejected with
 * the status and Atlas's message; except 408 and 429, which say "later": unavailable. 5xx, a
 * redirect, no answer in time or no connection: PosUnavailable, the core may retry. No failure
 * quotes a header or a secret.
 */
export const getJson = (call: AtlasCall): Effect.Effect<unknown, PosRejected | PosUnavailable> =>
  Effect.flatMap(exchange(call, HttpClientRequest.get(call.url)), (answer) =>
    answer.status >= 200 && answer.status <= 299 ? parsed(call, answer) : Effect.fail(refusal(call, answer))
  )

/** A base URL and a path below it: `https://api.atlas.kitchen/admin/v1` + `/menus`. */
export const below = (base: string, path: string): string => `${base.replace(/\/+$/, "")}${path}`
