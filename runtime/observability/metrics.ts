import { monitorEventLoopDelay } from "node:perf_hooks"
import { Effect, Metric } from "effect"
import { PrometheusMetrics } from "effect/observability"

/**
 * The service's metrics, in Effect's registry, served in Prometheus' text format at `/metrics`
 * (metrics-route.ts). Every series has a bounded set of labels: a route is its template
 * (`/api/v1/orders/:orderId`), never the path asked; a tenant id only when METRICS_TENANT_LABELS
 * says the number of tenants keeps that bounded.
 */

/** Seconds: from a fast read to the 10 s of a slow POS call. */
const durationBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

const httpRequests = Metric.counter("http_requests_total", {
  description: "HTTP requests answered, by method, route (its template; '-' when none matched) and status",
  incremental: true
})
const httpDuration = Metric.histogram("http_request_duration_seconds", {
  description: "Time to answer an HTTP request, by method and route",
  boundaries: durationBoundaries
})

const webhookTries = Metric.counter("webhook_delivery_attempts_total", {
  description: "Partner webhook delivery tries, by outcome: delivered, retry (another try is due) or given_up",
  incremental: true
})
const orderTries = Metric.counter("order_delivery_attempts_total", {
  description: "Order deliveries to the POS (submit or cancel), by kind and outcome",
  incremental: true
})

const syncs = Metric.counter("syncs_total", {
  description: "POS syncs recorded, by provider, kind (outlets, products) and outcome (succeeded, failed)",
  incremental: true
})
const syncDuration = Metric.histogram("sync_duration_seconds", {
  description: "How long a POS sync took, by provider and kind",
  boundaries: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]
})
const syncRows = Metric.counter("sync_rows_total", {
  description: "Rows a POS sync touched, by provider, kind and change (created, updated, unchanged, deactivated)",
  incremental: true
})

const residentMemory = Metric.gauge("process_resident_memory_bytes", { description: "Resident set size" })
const heapUsed = Metric.gauge("nodejs_heap_used_bytes", { description: "V8 heap in use" })
const loopDelayP99 = Metric.gauge("nodejs_eventloop_delay_p99_seconds", {
  description: "Event-loop delay, 99th percentile since the previous scrape"
})
const loopDelayMax = Metric.gauge("nodejs_eventloop_delay_max_seconds", {
  description: "Event-loop delay, the longest since the previous scrape"
})

/**
 * Bound series, made once per label set: a request then costs a map lookup and two updates, no
 * attribute object or metric built per request.
 */
const bound = <M>(cache: Map<string, M>, key: string, make: () => M): M => {
  let metric = cache.get(key)
  if (metric === undefined) {
    metric = make()
    cache.set(key, metric)
  }
  return metric
}

const requestSeries = new Map<
  string,
  { readonly count: Metric.Counter<number>; readonly time: Metric.Histogram<number> }
>()

/** One answered request: its method, route template (or '-'), status, and seconds taken. */
export const recordRequest = (request: {
  readonly method: string
  readonly route: string | undefined
  readonly status: number
  readonly seconds: number
  readonly tenant?: string | undefined
}): Effect.Effect<void> => {
  const route = request.route ?? "-"
  const tenant = request.tenant
  const series = bound(requestSeries, `${request.method} ${route} ${request.status} ${tenant ?? ""}`, () => ({
    count: Metric.withAttributes(httpRequests, {
      method: request.method,
      route,
      status: String(request.status),
      ...(tenant === undefined ? {} : { tenant })
    }),
    time: Metric.withAttributes(httpDuration, { method: request.method, route })
  }))
  return Effect.andThen(Metric.update(series.count, 1), Metric.update(series.time, request.seconds))
}

const webhookSeries = new Map<string, Metric.Counter<number>>()

/** A partner webhook try ended: `Delivered`, `Retry` or `GiveUp`. */
export const recordWebhookTry = (outcome: "Delivered" | "Retry" | "GiveUp"): Effect.Effect<void> => {
  const label = outcome === "Delivered" ? "delivered" : outcome === "Retry" ? "retry" : "given_up"
  return Metric.update(
    bound(webhookSeries, label, () => Metric.withAttributes(webhookTries, { outcome: label })),
    1
  )
}

const orderSeries = new Map<string, Metric.Counter<number>>()

/** An order delivery try ended (its kind, and its outcome as the attempt records it). */
export const recordOrderTry = (kind: string, outcome: string): Effect.Effect<void> =>
  Metric.update(
    bound(orderSeries, `${kind} ${outcome}`, () => Metric.withAttributes(orderTries, { kind, outcome })),
    1
  )

const syncSeries = new Map<
  string,
  { readonly count: Metric.Counter<number>; readonly time: Metric.Histogram<number> }
>()
const rowSeries = new Map<string, Metric.Counter<number>>()
const rowChanges = ["created", "updated", "unchanged", "deactivated"] as const

/** A sync's record: its outcome, duration and the rows it touched (summed over its kinds of object). */
export const recordSync = (sync: {
  readonly provider: string
  readonly kind: string
  readonly status: string
  readonly startedAt: Date
  readonly finishedAt: Date
  readonly counts: Readonly<Record<string, Readonly<Record<(typeof rowChanges)[number], number>>>>
}): Effect.Effect<void> =>
  Effect.gen(function* () {
    const { provider, kind } = sync
    const series = bound(syncSeries, `${provider} ${kind} ${sync.status}`, () => ({
      count: Metric.withAttributes(syncs, { provider, kind, outcome: sync.status }),
      time: Metric.withAttributes(syncDuration, { provider, kind })
    }))
    yield* Metric.update(series.count, 1)
    yield* Metric.update(series.time, Math.max(0, sync.finishedAt.getTime() - sync.startedAt.getTime()) / 1000)
    for (const change of rowChanges) {
      const rows = Object.values(sync.counts).reduce((total, counts) => total + (counts[change] ?? 0), 0)
      if (rows === 0) continue
      const metric = bound(rowSeries, `${provider} ${kind} ${change}`, () =>
        Metric.withAttributes(syncRows, { provider, kind, change })
      )
      yield* Metric.update(metric, rows)
    }
  })

const loopDelay = monitorEventLoopDelay({ resolution: 10 })

/** Starts sampling the event loop's delay (the first scrape would otherwise see none); enabling twice is a no-op. */
export const startProcessMetrics = Effect.sync(() => void loopDelay.enable())

/** The process's gauges read now, then every metric in the text format Prometheus scrapes. */
export const metricsText: Effect.Effect<string> = Effect.gen(function* () {
  yield* startProcessMetrics
  const memory = process.memoryUsage()
  yield* Metric.update(residentMemory, memory.rss)
  yield* Metric.update(heapUsed, memory.heapUsed)
  // Nanoseconds; NaN before the first sample.
  const p99 = loopDelay.percentile(99)
  const max = loopDelay.max
  yield* Metric.update(loopDelayP99, Number.isFinite(p99) ? p99 / 1e9 : 0)
  yield* Metric.update(loopDelayMax, Number.isFinite(max) ? max / 1e9 : 0)
  loopDelay.reset()
  return yield* PrometheusMetrics.format()
})

const rateLimited = Metric.counter("rate_limited_total", {
  description: "Requests refused with 429, by operation class and the bucket that was empty (key, tenant)",
  incremental: true
})
const limitedSeries = new Map<string, Metric.Counter<number>>()

/** A request refused by a rate limit. */
export const recordRateLimited = (operation: string, bucket: "key" | "tenant"): Effect.Effect<void> =>
  Metric.update(
    bound(limitedSeries, `${operation} ${bucket}`, () => Metric.withAttributes(rateLimited, { operation, bucket })),
    1
  )
