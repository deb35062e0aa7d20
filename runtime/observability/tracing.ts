import { Effect, Layer, Option, Tracer } from "effect"
import { FetchHttpClient, HttpBody } from "effect/http"
import { OtlpExporter, OtlpSerialization, OtlpTracer } from "effect/observability"
import type { TracingSettings } from "../config.ts"

/**
 * Traces (runtime/observability): Effect's own spans, exported over OTLP/HTTP (protobuf, or JSON) when an
 * endpoint is configured (the OpenTelemetry variables, see config.ts), off otherwise.
 *
 * What makes a trace: the server span of every request (Effect's HTTP server starts it, continuing
 * a caller's W3C traceparent), its SQL statements (Effect's SQL client), outbound HTTP calls (Effect's
 * HTTP client, which sends our traceparent on: POS calls through the plugins' client, the
 * loyalty-service), and the spans named here with `traced`: order deliveries (continuing the trace
 * stored with their outbox row), POS plugin calls, outbox claims and partner webhook deliveries.
 */

/**
 * The sampler: a trace started here is recorded with probability `ratio`; a caller's decision (the
 * sampled flag of its traceparent) stands when `parentBased`, else the ratio decides for it too.
 * Spans inside a trace follow their parent, as Effect's spans do.
 */
export const sampling = (inner: Tracer.Tracer, ratio: number, parentBased: boolean): Tracer.Tracer => {
  const decide = () => ratio >= 1 || (ratio > 0 && Math.random() < ratio)
  return Tracer.make({
    span(options) {
      const parent = Option.getOrUndefined(options.parent)
      const sampled =
        parent === undefined
          ? options.sampled && decide()
          : parent._tag === "ExternalSpan" && !parentBased
            ? decide()
            : options.sampled
      return inner.span({ ...options, sampled })
    },
    ...(inner.context === undefined ? {} : { context: inner.context })
  })
}

/**
 * OTLP/JSON in one `JSON.stringify`. Effect's own JSON serialization writes every batch twice (the
 * second time through a replacer, to write NaN and Infinity as strings), which was most of a traced
 * request's extra cost; none of our spans' attributes is ever a non-finite number.
 */
const layerOtlpJson = Layer.succeed(OtlpSerialization.OtlpSerialization, {
  traces: (data) => HttpBody.text(JSON.stringify(data), "application/json"),
  metrics: (data) => HttpBody.text(JSON.stringify(data), "application/json"),
  logs: (data) => HttpBody.text(JSON.stringify(data), "application/json")
})

/** The tracer the settings ask for: OTLP/HTTP to their endpoint, or none (Effect's own, unexported). */
export const tracingLayer = (settings: TracingSettings): Layer.Layer<never> => {
  const endpoint = settings.endpoint
  if (endpoint === undefined) return Layer.empty
  return Layer.effect(
    Tracer.Tracer,
    Effect.map(
      OtlpTracer.make({
        url: endpoint,
        resource: { serviceName: settings.serviceName },
        headers: settings.headers,
        exportInterval: settings.exportIntervalMs
      }),
      (tracer) => sampling(tracer, settings.sampleRatio, settings.parentBased)
    )
  ).pipe(
    Layer.provide(
      Layer.mergeAll(
        OtlpExporter.layerFlusher,
        settings.protocol === "http/json" ? layerOtlpJson : OtlpSerialization.layerProtobuf,
        FetchHttpClient.layer
      )
    )
  )
}

/** The current span's ids on every log line of `effect` (log lines then point at their trace). */
export const withTraceIds = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(Effect.option(Effect.currentSpan), (span) =>
    Option.isNone(span)
      ? effect
      : Effect.annotateLogs(effect, { traceId: span.value.traceId, spanId: span.value.spanId })
  )

/** `effect` in a span of its own, its log lines carrying the span's ids. */
export const traced =
  (name: string, options: Tracer.SpanOptions = {}) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.withSpan(withTraceIds(effect), name, { captureStackTrace: false, ...options })
