import { Effect, Option, Tracer } from "effect"

/**
 * The current span as a W3C traceparent (`00-<trace id>-<span id>-<flags>`), or null outside any
 * span: kept with an outbox row, it lets the row's delivery continue the trace that queued it.
 */
export const currentTraceContext: Effect.Effect<string | null> = Effect.map(
  Effect.option(Effect.currentSpan),
  (span) => (Option.isNone(span) ? null : traceparentOf(span.value))
)

export const traceparentOf = (span: Tracer.AnySpan): string =>
  `00-${span.traceId.padStart(32, "0")}-${span.spanId}-${span.sampled ? "01" : "00"}`

const traceparentPattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

/** A stored traceparent as the parent of the span that continues it; undefined when it is none or malformed. */
export const parentOf = (traceContext: string | null): Tracer.ExternalSpan | undefined => {
  const match = traceContext === null ? null : traceparentPattern.exec(traceContext)
  if (match === null) return undefined
  const [, traceId, spanId, flags] = match
  if (/^0+$/.test(traceId!) || /^0+$/.test(spanId!)) return undefined
  return Tracer.externalSpan({ traceId: traceId!, spanId: spanId!, sampled: (Number.parseInt(flags!, 16) & 1) === 1 })
}
