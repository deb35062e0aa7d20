import { randomUUID } from "node:crypto"
import { Cause, Context, Effect, Logger, LogLevel, Option, References, Tracer, type Types } from "effect"
import {
  Headers,
  HttpIncomingMessage,
  HttpRouter,
  HttpServerError,
  HttpServerRequest,
  HttpServerResponse,
  HttpTraceContext
} from "effect/http"
import { isTransientDatabaseFailure } from "../../adapters/storage/sql/sql-errors.ts"
import { StorageError } from "../../domain/errors.ts"
import { AppConfig } from "../config.ts"
import { storageReason } from "../failures.ts"
import { recordRequest } from "../observability/metrics.ts"
import { type RequestFacts, RequestInfo } from "./context.ts"
import { envelopeJson } from "./errors.ts"
import type { MethodTable } from "./method-table.ts"
import { showValue } from "./validation-details.ts"

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/

const messages: Record<number, string> = {
  400: "invalid request",
  401: "invalid api key",
  403: "forbidden",
  404: "not found",
  405: "method not allowed",
  409: "conflict",
  413: "payload too large",
  415: "unsupported media type",
  428: "precondition required",
  429: "rate limited",
  500: "internal error",
  502: "upstream error",
  503: "temporarily unavailable",
  504: "upstream timeout"
}

const isJson = (response: HttpServerResponse.HttpServerResponse) =>
  response.body._tag !== "Empty" && (response.body.contentType ?? "").includes("json")

const envelopeResponse = (status: number, details: string, headers?: Record<string, string>) =>
  HttpServerResponse.text(envelopeJson(status, messages[status] ?? "error", details), {
    status,
    contentType: "application/json",
    ...(headers === undefined ? {} : { headers })
  })

/** A bare error response's own headers (Allow, Retry-After, ...), without those of the body it had. */
const keptHeaders = (headers: Headers.Headers): Headers.Headers =>
  Headers.removeMany(headers, ["content-type", "content-length"])

/**
 * The request pipeline around every route, including unknown ones: strips BASE_PATH, assigns the
 * request id, caps body size, turns every bare error response into the envelope, and writes the
 * access log line.
 */
export const requestPipeline = (methods: MethodTable) =>
  HttpRouter.middleware(
    Effect.gen(function* () {
      const config = yield* AppConfig
      const maxBody = BigInt(config.maxBodyBytes)
      const maxSyncBody = BigInt(config.maxSyncBodyBytes)
      const maxWebhookBody = BigInt(config.maxWebhookBodyBytes)
      const basePath = config.basePath
      const tenantLabels = config.metrics.tenantLabels
      // Requests run in the server's fiber context, not the one this layer was built in: carry the
      // configured loggers and level over explicitly, and the tracer when traces are exported.
      const loggers = yield* Logger.CurrentLoggers
      const minimumLevel = yield* References.MinimumLogLevel
      // The access log line is built only when it would be written (LOG_LEVEL info or below).
      const accessLog = LogLevel.isLessThanOrEqualTo(minimumLevel, "Info")
      const tracer = config.tracing.endpoint === undefined ? undefined : yield* Tracer.Tracer
      const tracing = tracer !== undefined
      // It answers every failure itself; the declared `unhandled` only satisfies the router's signature.
      return (
        app
      ): Effect.Effect<HttpServerResponse.HttpServerResponse, Types.unhandled, HttpServerRequest.HttpServerRequest> =>
        serverSpan(
          tracer,
          Effect.gen(function* () {
            const started = performance.now()
            const received = yield* HttpServerRequest.HttpServerRequest
            let request = received
            const given = request.headers["x-request-id"]
            const requestId = given !== undefined && requestIdPattern.test(given) ? given : randomUUID()
            if (basePath !== "" && (request.url === basePath || request.url.startsWith(`${basePath}/`))) {
              request = request.modify({ url: request.url.slice(basePath.length) || "/" })
            }
            const facts: RequestFacts = { requestId, tenant: undefined, route: undefined }

            // A path that cannot be decoded cannot be routed: answered like a request line Node cannot parse.
            const malformed = malformedPath(request.url)
            const span = tracing ? Option.getOrUndefined(yield* Effect.option(Effect.currentSpan)) : undefined
            const handled = malformed === undefined ? app : Effect.succeed(envelopeResponse(400, malformed))
            // Each service provided is one more layer of the request's context to look through.
            const routed = (
              request === received
                ? handled
                : Effect.provideService(handled, HttpServerRequest.HttpServerRequest, request)
            ).pipe(
              Effect.provideService(RequestInfo, facts),
              Effect.provideService(
                HttpIncomingMessage.MaxBodySize,
                isWebhookPath(request.url) ? maxWebhookBody : isSyncPath(request.url) ? maxSyncBody : maxBody
              ),
              Effect.catchCause((cause) => recover(cause, request, methods, requestId)),
              // Every log line of the request (a refused key, a defect's cause) names its request id, and
              // its trace and span when traced.
              span === undefined
                ? Effect.annotateLogs("requestId", requestId)
                : Effect.annotateLogs({ requestId, traceId: span.traceId, spanId: span.spanId })
            )
            const response = yield* Effect.map(routed, (r) => {
              // Keep the headers (Allow, Retry-After, ...) of a bare error response we put in the envelope.
              const enveloped =
                r.status >= 400 && !isJson(r)
                  ? HttpServerResponse.setHeaders(
                      envelopeResponse(r.status, detailsFor(r.status, request)),
                      keptHeaders(r.headers)
                    )
                  : r
              const limited =
                facts.rateLimitHeaders === undefined
                  ? enveloped
                  : HttpServerResponse.setHeaders(enveloped, facts.rateLimitHeaders)
              return r.status === 503 && facts.retryAfterSeconds !== undefined
                ? HttpServerResponse.setHeader(limited, "retry-after", String(facts.retryAfterSeconds))
                : limited
            })
            const seconds = (performance.now() - started) / 1000
            yield* recordRequest({
              method: request.method,
              route: facts.route,
              status: response.status,
              seconds,
              ...(tenantLabels ? { tenant: facts.tenant } : {})
            })
            if (span !== undefined) {
              span.attribute("http.request.method", request.method)
              span.attribute("http.response.status_code", response.status)
              span.attribute("http.route", facts.route ?? "-")
              span.attribute("request.id", requestId)
              if (facts.tenant !== undefined) span.attribute("tenant.id", facts.tenant)
            }
            if (accessLog) {
              yield* Effect.annotateLogs(Effect.logInfo("request"), {
                ...(span === undefined ? {} : { traceId: span.traceId, spanId: span.spanId }),
                requestId,
                method: request.method,
                route: facts.route ?? "-",
                tenant: facts.tenant ?? "-",
                status: response.status,
                ...(facts.refusal === undefined ? {} : { refusal: facts.refusal }),
                latencyMs: Math.round(seconds * 100_000) / 100
              })
            }
            return HttpServerResponse.setHeader(response, "x-request-id", requestId)
          })
        ).pipe(provideLogging(loggers, minimumLevel))
    }),
    { global: true }
  )

/**
 * The configured loggers and level, provided only where the request's fiber has others (an
 * in-process web handler): where the service runs the server they are already the fiber's.
 */
const provideLogging =
  (loggers: ReadonlySet<Logger.Logger<unknown, unknown>>, minimumLevel: LogLevel.LogLevel) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.withFiber((fiber) =>
      fiber.getRef(Logger.CurrentLoggers) === loggers && fiber.getRef(References.MinimumLogLevel) === minimumLevel
        ? effect
        : effect.pipe(
            Effect.provideService(Logger.CurrentLoggers, loggers),
            Effect.provideService(References.MinimumLogLevel, minimumLevel)
          )
    )

/**
 * With traces exported, the request runs in a server span under `tracer` (continuing the caller's
 * W3C traceparent, or b3), which everything it does traces into: its SQL, its calls out, the spans
 * it names. The pipeline gives it the route, tenant, request id and status once they are known.
 */
const serverSpan = <A, E, R>(
  tracer: Tracer.Tracer | undefined,
  handled: Effect.Effect<A, E, R | HttpServerRequest.HttpServerRequest>
) =>
  tracer === undefined
    ? handled
    : Effect.withFiber((fiber) => {
        const request = Context.get(
          fiber.context as Context.Context<HttpServerRequest.HttpServerRequest>,
          HttpServerRequest.HttpServerRequest
        )
        const spanned = Effect.withSpan(handled, `http.server ${request.method}`, {
          kind: "server",
          parent: Option.getOrUndefined(HttpTraceContext.fromHeaders(request.headers)),
          // Where in our code the span began says nothing the route does not: no stack captured per request.
          captureStackTrace: false
        })
        // The server's fibers have the tracer already where the service runs them (runtime/main.ts);
        // a request handed over without it (an in-process web handler) gets it here.
        return fiber.getRef(Tracer.Tracer) === tracer ? spanned : Effect.provideService(spanned, Tracer.Tracer, tracer)
      })

const malformedPath = (url: string): string | undefined => {
  const path = url.split("?")[0]!
  try {
    decodeURI(path)
    return undefined
  } catch {
    return `path: is not valid percent-encoded UTF-8, got ${showValue(path)}`
  }
}

/** POS pushes (full catalogs) may be large: they get MAX_SYNC_BODY_BYTES. */
const syncPaths = /^\/api\/v1\/(?:outlets\/sync|products\/sync)(?:[/?]|$)/
const isSyncPath = (url: string) => syncPaths.test(url)
/** POS webhooks are read before they are verified: WEBHOOK_MAX_BODY_BYTES. */
const webhookPaths = /^\/api\/v1\/pos\/[^/?]+\/webhooks(?:[/?]|$)/
const isWebhookPath = (url: string) => webhookPaths.test(url)

const detailsFor = (status: number, request: HttpServerRequest.HttpServerRequest): string => {
  switch (status) {
    case 404:
      return `no route for ${request.method} ${request.url.split("?")[0]}`
    case 413:
      return "the request body exceeds the size limit"
    case 415:
      return "expected Content-Type: application/json"
    default:
      return messages[status] ?? "error"
  }
}

/** Failures the routes did not answer themselves: unknown routes, 405, parse errors, body size, defects. */
const recover = (
  cause: Cause.Cause<unknown>,
  request: HttpServerRequest.HttpServerRequest,
  methods: MethodTable,
  requestId: string
) =>
  Effect.gen(function* () {
    const [response] = yield* HttpServerError.causeResponse(cause)
    if (response.status === 404 && isRouteNotFound(cause)) {
      const allow = methods.allowed(request.url)
      if (allow.length > 0) {
        return envelopeResponse(405, `${request.method} is not allowed here; allowed: ${allow.join(", ")}`, {
          allow: allow.join(", ")
        })
      }
      return envelopeResponse(404, detailsFor(404, request))
    }
    if (response.status >= 500) {
      // The database out of reach (down, restarting): a 503 to retry, not a fault of ours.
      const storage = transientStorageFailure(cause)
      if (storage !== undefined) {
        yield* Effect.logError("storage unavailable", storageReason(storage))
        return envelopeResponse(503, `${storage.operation} failed; retry later`, { "retry-after": "1" })
      }
      yield* Effect.logError("request failed", cause)
      return envelopeResponse(500, `request id ${requestId}`)
    }
    if (isJson(response)) return response
    if (response.status === 400) return envelopeResponse(400, parseFailureDetails(cause))
    return envelopeResponse(response.status, detailsFor(response.status, request))
  })

/** A storage failure in a defect's cause that a retry may get past (see isTransientDatabaseFailure). */
const transientStorageFailure = (
  cause: Cause.Cause<unknown>
): { readonly operation: string; readonly cause: unknown } | undefined => {
  for (const reason of cause.reasons) {
    const value = Cause.isDieReason(reason) ? reason.defect : Cause.isFailReason(reason) ? reason.error : undefined
    if (value instanceof StorageError) {
      if (isTransientDatabaseFailure(value.cause)) return value
    } else if (isTransientDatabaseFailure(value)) {
      // A driver's error that reached here unnamed.
      return { operation: "a database statement", cause: value }
    }
  }
  return undefined
}

const serverErrorReason = (cause: Cause.Cause<unknown>) => {
  const failure = cause.reasons.find(Cause.isFailReason)
  const error = failure?.error
  return HttpServerError.isHttpServerError(error) ? error.reason : undefined
}

const isRouteNotFound = (cause: Cause.Cause<unknown>) => serverErrorReason(cause)?._tag === "RouteNotFound"

const parseFailureDetails = (cause: Cause.Cause<unknown>): string => {
  const reason = serverErrorReason(cause)
  return reason?._tag === "RequestParseError" ? "the request body is not valid JSON" : "the request could not be read"
}
