import { Effect, Layer, Option, Redacted } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { AppConfig } from "../config.ts"
import { sameText } from "../console/session.ts"
import { envelopeJson } from "../http/errors.ts"
import { isLoopback } from "../http/middleware.ts"
import { metricsText } from "./metrics.ts"
import { makeOutboxGauges } from "./outbox-gauges.ts"
import { makeServiceGauges } from "./service-gauges.ts"

export const metricsPath = "/metrics"

const refused = (status: 401 | 403, message: string, details: string, headers: Record<string, string> = {}) =>
  HttpServerResponse.text(envelopeJson(status, message, details), {
    status,
    contentType: "application/json",
    headers
  })

/**
 * `GET /metrics`: every metric in Prometheus' text format, on any host (not tenant-scoped), under
 * BASE_PATH too. With METRICS_TOKEN set, only `Authorization: Bearer <METRICS_TOKEN>` is answered;
 * without it, only a loopback peer (a scraper beside the service).
 */
export const metricsRoute = Layer.unwrap(
  Effect.gen(function* () {
    const config = yield* AppConfig
    const refreshOutboxes = yield* makeOutboxGauges
    const refreshService = yield* makeServiceGauges
    return HttpRouter.add(
      "GET",
      metricsPath,
      scrape(config.metrics.token, Effect.andThen(refreshOutboxes, refreshService))
    )
  })
)

const scrape = (token: Redacted.Redacted<string> | undefined, refresh: Effect.Effect<void>) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (token !== undefined) {
      const presented = /^Bearer (\S+)$/i.exec(request.headers["authorization"] ?? "")?.[1] ?? ""
      if (!sameText(presented, Redacted.value(token))) {
        return refused(401, "unauthorized", "GET /metrics needs Authorization: Bearer <METRICS_TOKEN>", {
          "www-authenticate": 'Bearer realm="metrics"'
        })
      }
    } else {
      const peer = Option.getOrUndefined(request.remoteAddress)
      if (peer === undefined || !isLoopback(peer)) {
        return refused(403, "forbidden", "GET /metrics answers loopback peers only while METRICS_TOKEN is unset")
      }
    }
    yield* refresh
    return HttpServerResponse.text(yield* metricsText, {
      contentType: "text/plain; version=0.0.4; charset=utf-8",
      headers: { "cache-control": "no-store" }
    })
  })
