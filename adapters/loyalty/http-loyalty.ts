import { Cause, Clock, Effect, Exit, Option, Random, type Redacted, Schema } from "effect"
import { HttpClient, type HttpClientError, HttpClientRequest, type HttpClientResponse } from "effect/http"
import { ClientAbort } from "effect/http/HttpServerError"
import type { CircuitBreaker } from "../../application/loyalty/circuit-breaker.ts"
import type { Loyalty, LoyaltyError } from "../../application/ports/loyalty.ts"
import { Rejected, UpstreamFailure, UpstreamTimeout, UpstreamUnavailable } from "../../domain/errors.ts"

const upstream = "loyalty-service"

export interface RetrySettings {
  /** Attempts in total, the first included. */
  readonly attempts: number
  readonly baseDelayMs: number
  readonly maxDelayMs: number
}

export const defaultRetrySettings: RetrySettings = { attempts: 3, baseDelayMs: 100, maxDelayMs: 1_000 }

export interface HttpLoyaltyOptions {
  /** May carry a path prefix: `https://host/loyalty`. */
  readonly baseUrl: string
  readonly credential: Redacted.Redacted<string>
  /** One deadline for the whole call, retries and backoff included. */
  readonly timeoutMs: number
  /** The tenant's breaker, shared by all its calls. */
  readonly breaker: CircuitBreaker
  readonly retry?: RetrySettings
}

const Member = Schema.Struct({ customerId: Schema.String, points: Schema.Int, tier: Schema.String })
const Transactions = Schema.Struct({
  data: Schema.Array(
    Schema.Struct({
      transactionId: Schema.String,
      type: Schema.Literals(["EARN", "REDEEM"]),
      points: Schema.Int,
      amount: Schema.optionalKey(Schema.NullOr(Schema.Int)),
      refCode: Schema.String,
      createdAt: Schema.DateFromString
    })
  )
})
const Rewards = Schema.Struct({
  data: Schema.Array(Schema.Struct({ rewardId: Schema.String, name: Schema.String, points: Schema.Int }))
})
const Points = Schema.Struct({ transactionId: Schema.String, points: Schema.Int, balance: Schema.Int })
const Envelope = Schema.Struct({
  error: Schema.Struct({ message: Schema.String, details: Schema.optionalKey(Schema.NullOr(Schema.String)) })
})
const decodeEnvelope = Schema.decodeUnknownOption(Schema.fromJsonString(Envelope))

/** A failure worth another attempt, and one the breaker counts: 5xx, a network error, garbage. */
class Transient {
  readonly error: UpstreamFailure
  constructor(error: UpstreamFailure) {
    this.error = error
  }
}

const failure = (reason: string) => new UpstreamFailure({ upstream, reason })

/** What an attempt's end tells the breaker about the upstream; an interrupted one is decided by its call. */
const outcomeOf = (exit: Exit.Exit<unknown, unknown>): "success" | "failure" | "interrupted" => {
  if (Exit.isSuccess(exit)) return "success"
  if (Cause.hasInterruptsOnly(exit.cause)) return "interrupted"
  const error = Cause.findErrorOption(exit.cause)
  // No typed error: a defect, counted as a timeout.
  return Option.isNone(error) || error.value instanceof Transient ? "failure" : "success"
}

/**
 * Whether a call ended because the partner's client hung up: the HTTP server interrupts the request
 * with a mark of its own. The upstream had not failed; counted as failures, a burst of clients giving
 * up at once opened the tenant's breaker for every other caller.
 */
const callerLeft = (exit: Exit.Exit<unknown, unknown>): boolean =>
  Exit.isFailure(exit) &&
  exit.cause.reasons.length > 0 &&
  exit.cause.reasons.every((reason) => reason._tag === "Interrupt" && reason.annotations.has(ClientAbort.key))

const genericRejections: Record<number, string> = { 400: "invalid request", 404: "not found", 409: "conflict" }

const transportReason = (error: HttpClientError.HttpClientError): string => {
  const cause = error.reason.cause
  const inner = cause instanceof Error && cause.cause instanceof Error ? cause.cause : cause
  const detail = inner instanceof Error ? inner.message : error.reason._tag
  return `could not reach the loyalty-service: ${detail}`
}

/** The mapping of SPEC section 11, from one upstream answer to our result or error. */
const classify = <S extends Schema.Top>(schema: S, response: HttpClientResponse.HttpClientResponse) =>
  Effect.gen(function* () {
    const status = response.status
    const text = yield* response.text.pipe(
      Effect.mapError((e) => new Transient(failure(`unreadable answer (${status}): ${transportReason(e)}`)))
    )
    if (status >= 200 && status < 300) {
      return yield* Schema.decodeUnknownEffect(Schema.fromJsonString(schema))(text).pipe(
        Effect.mapError(() => new Transient(failure(`unreadable answer (${status}): not the expected JSON`)))
      )
    }
    if (status >= 500) return yield* Effect.fail(new Transient(failure(`the loyalty-service answered ${status}`)))
    if (status === 401 || status === 403)
      return yield* failure(`the loyalty-service refused the tenant's credential (${status})`)
    const generic = genericRejections[status]
    if (generic === undefined) return yield* failure(`the loyalty-service answered an unexpected ${status}`)
    const envelope = decodeEnvelope(text)
    return yield* new Rejected({
      status,
      message: envelope._tag === "Some" ? envelope.value.error.message : generic,
      details:
        (envelope._tag === "Some" ? envelope.value.error.details : null) ?? `the loyalty-service answered ${status}`
    })
  })

/** The loyalty port over the loyalty-service's HTTP contract (SPEC section 11), for one tenant. */
export const makeHttpLoyalty = (options: HttpLoyaltyOptions): Effect.Effect<Loyalty, never, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const base = options.baseUrl.replace(/\/+$/, "")
    const retry = options.retry ?? defaultRetrySettings
    const { breaker } = options

    const request = (method: "GET" | "POST", segments: ReadonlyArray<string>) =>
      HttpClientRequest.make(method)(`${base}/v1/${segments.map(encodeURIComponent).join("/")}`).pipe(
        HttpClientRequest.bearerToken(options.credential),
        HttpClientRequest.acceptJson
      )

    /**
     * `cut`: where an attempt interrupted before its answer leaves its permit. Whether that was the
     * deadline (a failure) or the caller leaving (neither way) is known only when the call ends.
     */
    const attempt = <S extends Schema.Top>(req: HttpClientRequest.HttpClientRequest, schema: S, cut: Array<number>) =>
      // Uninterruptible between taking the permit and installing its report: an interruption in
      // between would leave a half-open breaker waiting for a trial that never reports.
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function* () {
          const permit = breaker.tryAcquire(yield* Clock.currentTimeMillis)
          if (permit._tag === "Rejected") {
            const retryAfterSeconds = Math.max(1, Math.ceil(permit.retryAfterMs / 1000))
            return yield* new UpstreamUnavailable({ upstream, retryAfterSeconds })
          }
          return yield* restore(
            client.execute(req).pipe(
              Effect.mapError((e) => new Transient(failure(transportReason(e)))),
              Effect.flatMap((response) => classify(schema, response))
            )
          ).pipe(
            Effect.onExit((exit) =>
              Effect.map(Clock.currentTimeMillis, (now) => {
                const outcome = outcomeOf(exit)
                if (outcome === "failure") breaker.onFailure(now, permit.epoch)
                else if (outcome === "interrupted") cut.push(permit.epoch)
                else breaker.onSuccess(now, permit.epoch)
              })
            )
          )
        })
      )

    const call = <S extends Schema.Top>(
      req: HttpClientRequest.HttpClientRequest,
      schema: S
    ): Effect.Effect<S["Type"], LoyaltyError, S["DecodingServices"]> =>
      Effect.gen(function* () {
        const deadline = (yield* Clock.currentTimeMillis) + options.timeoutMs
        const attempts = req.method === "GET" ? retry.attempts : 1
        const cut: Array<number> = []
        const loop = (n: number): Effect.Effect<S["Type"], LoyaltyError | Transient, S["DecodingServices"]> =>
          Effect.catchIf(
            attempt(req, schema, cut),
            (e): e is Transient => e instanceof Transient && n < attempts,
            (e) =>
              Effect.gen(function* () {
                // Capped exponential backoff with full jitter.
                const cap = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (n - 1))
                const delay = Math.floor((yield* Random.next) * cap)
                // No time left for another try: the answer we have says more than a timeout would.
                if ((yield* Clock.currentTimeMillis) + delay >= deadline) return yield* Effect.fail(e)
                yield* Effect.sleep(delay)
                return yield* loop(n + 1)
              })
          )
        return yield* loop(1).pipe(
          Effect.mapError((e) => (e instanceof Transient ? e.error : e)),
          Effect.timeoutOrElse({
            duration: options.timeoutMs,
            orElse: () => Effect.fail(new UpstreamTimeout({ upstream }))
          }),
          Effect.onExit((exit) =>
            Effect.map(Clock.currentTimeMillis, (now) => {
              const left = callerLeft(exit)
              for (const epoch of cut) {
                if (left) breaker.onAbandoned(now, epoch)
                else breaker.onFailure(now, epoch)
              }
            })
          )
        )
      })

    return {
      // An answer about another member is garbage, not something to show this one's partner.
      member: (customerId) =>
        Effect.flatMap(call(request("GET", ["members", customerId]), Member), (member) =>
          member.customerId === customerId
            ? Effect.succeed(member)
            : Effect.fail(failure("the loyalty-service answered about another member"))
        ),
      transactions: (customerId) =>
        Effect.map(call(request("GET", ["members", customerId, "transactions"]), Transactions), ({ data }) =>
          data.map((t) => ({ ...t, amount: t.amount ?? null }))
        ),
      rewards: Effect.map(call(request("GET", ["rewards"]), Rewards), ({ data }) => data),
      earn: ({ customerId, amount, currency, orderId, refCode }) =>
        call(
          request("POST", ["points", "earn"]).pipe(
            HttpClientRequest.setHeader("Idempotency-Key", refCode),
            HttpClientRequest.bodyJsonUnsafe(
              orderId === null ? { customerId, amount, currency } : { customerId, amount, currency, orderId }
            )
          ),
          Points
        ),
      redeem: (r) =>
        call(
          request("POST", ["points", "redeem"]).pipe(
            HttpClientRequest.setHeader("Idempotency-Key", r.refCode),
            HttpClientRequest.bodyJsonUnsafe(
              r.rewardId !== undefined
                ? { customerId: r.customerId, rewardId: r.rewardId }
                : { customerId: r.customerId, points: r.points }
            )
          ),
          Points
        )
    }
  })
