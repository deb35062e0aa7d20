/**
 * Traces over OTLP/HTTP to a fake collector on loopback: one order, from the partner's request
 * through the outbox to the fake POS's call, is one trace; a caller's W3C traceparent is continued,
 * ours is sent on to the POS, and log lines name their trace and span.
 */
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, Option, Tracer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { layerPgliteStorage } from "../../adapters/storage/pglite/pglite-storage.ts"
import { sampling } from "../../runtime/observability/tracing.ts"
import { WebhookDispatch } from "../../runtime/partner-webhooks/webhook-dispatch.ts"
import { captureConsole } from "../http/support/harness.ts"
import { deliverectOutlet } from "../menus/support.ts"
import {
  drain,
  expectStatus,
  type OrderApp,
  orderRequest,
  placeOrder,
  productAt,
  productsOf,
  send,
  startOrderApp,
  tenant
} from "../orders/support.ts"
import { eventually } from "../support/eventually.ts"
import { pgliteTemplate } from "../support/pglite-template.ts"

interface OtlpSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
  readonly kind: number
  readonly attributes: ReadonlyArray<{ readonly key: string; readonly value: Record<string, unknown> }>
}

interface Collector {
  readonly url: string
  readonly spans: Array<OtlpSpan>
  readonly requests: Array<{ readonly path: string; readonly headers: Record<string, unknown> }>
  readonly close: () => Promise<void>
}

/** An OTLP/HTTP (JSON) traces receiver: keeps every span it is sent. */
const startCollector = async (): Promise<Collector> => {
  const spans: Array<OtlpSpan> = []
  const requests: Array<{ path: string; headers: Record<string, unknown> }> = []
  const server: Server = createServer((request, response) => {
    let body = ""
    request.setEncoding("utf8")
    request.on("data", (chunk: string) => {
      body += chunk
    })
    request.on("end", () => {
      requests.push({ path: request.url ?? "", headers: request.headers })
      const data = JSON.parse(body) as {
        resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<OtlpSpan> }> }>
      }
      for (const resource of data.resourceSpans) for (const scope of resource.scopeSpans) spans.push(...scope.spans)
      response.writeHead(200, { "content-type": "application/json" }).end("{}")
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

const attribute = (span: OtlpSpan, key: string): unknown => {
  const value = span.attributes.find((a) => a.key === key)?.value
  return value === undefined ? undefined : Object.values(value)[0]
}

describe("traces exported over OTLP", () => {
  let collector: Collector
  let o: OrderApp
  let flatWhite: string
  /** A partner's webhook receiver: every request's traceparent, answered 204. */
  let receiver: Server
  const received: Array<string | undefined> = []
  beforeAll(async () => {
    collector = await startCollector()
    receiver = createServer((request, response) => {
      received.push(request.headers.traceparent as string | undefined)
      request.resume()
      request.on("end", () => response.writeHead(204).end())
    })
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve))
    // PGlite: the order's SQL statements are spans of its trace too.
    o = await startOrderApp(layerPgliteStorage({ dataDir: undefined, tenantPoolSize: 1, template: pgliteTemplate() }), {
      settings: {
        logLevel: "info",
        webhookAllowLoopback: true,
        tracing: {
          endpoint: `${collector.url}/v1/traces`,
          headers: { "x-collector-token": "c0ll3ct" },
          serviceName: "pos-integration-test",
          sampleRatio: 1,
          parentBased: true,
          exportIntervalMs: 50,
          protocol: "http/json"
        }
      }
    })
    flatWhite = productAt(await productsOf(o, deliverectOutlet), "WNG-06").productId
  }, 60_000)
  afterAll(async () => {
    await o?.close()
    await collector?.close()
    await new Promise<void>((resolve) => receiver.close(() => resolve()))
  })

  const spansOf = (traceId: string) => collector.spans.filter((s) => s.traceId === traceId)

  it("follows one order from the partner's request through the outbox to the fake POS's call, as one trace", async () => {
    const port = (receiver.address() as AddressInfo).port
    expectStatus(
      await send(o, "POST", "/api/v1/webhook-endpoints", {
        body: { url: `http://127.0.0.1:${port}/hooks`, eventTypes: ["order.created"] }
      }),
      201
    )
    const placed = expectStatus(
      await placeOrder(o, orderRequest(deliverectOutlet, [{ productId: flatWhite, quantity: 1 }], 1290)),
      201
    ) as { orderId: string }
    await drain(o)
    // The POS was called with our traceparent.
    const call = o.deliverect.requests.find((r) => r.kind === "order")
    const traceparent = String(call?.headers["traceparent"])
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
    const traceId = traceparent.split("-")[1]!

    const trace = await eventually(
      () => {
        const spans = spansOf(traceId)
        return spans.some((s) => s.name === "pos.submitOrder") && spans.some((s) => s.name === "http.server POST")
          ? spans
          : undefined
      },
      10_000,
      () => `the order's spans at the collector: ${collector.spans.map((s) => s.name).join(", ")}`
    )
    const byName = (name: string) => {
      const found = trace.find((s) => s.name === name)
      if (found === undefined) expect.fail(`no span ${name} in ${trace.map((s) => s.name).join(", ")}`)
      return found
    }
    const server = byName("http.server POST")
    expect(server.parentSpanId ?? "").toBe("")
    expect(attribute(server, "http.route")).toBe("/api/v1/orders")
    expect(attribute(server, "tenant.id")).toBe("acme")
    expect(attribute(server, "http.response.status_code")).toBe(201)
    expect(String(attribute(server, "request.id"))).toMatch(/^[0-9a-f-]{36}$/)
    // The order's SQL statements ran under the request: the order and its outbox row in one.
    const statements = trace
      .filter((s) => s.parentSpanId === server.spanId && attribute(s, "db.system.name") !== undefined)
      .map((s) => String(attribute(s, "db.query.text")))
    expect(statements.some((q) => q.includes("INSERT INTO orders") && q.includes("INSERT INTO order_outbox"))).toBe(
      true
    )
    // The request kicked the dispatcher: its claim of the outbox is in the trace too.
    expect(byName("outbox.claim").parentSpanId).toBe(server.spanId)
    // Its delivery continues the trace.
    const deliver = byName("orders.deliver")
    expect(deliver.parentSpanId).toBe(server.spanId)
    expect(attribute(deliver, "order.id")).toBe(placed.orderId)
    const posCall = byName("pos.submitOrder")
    expect(posCall.parentSpanId).toBe(deliver.spanId)
    expect(attribute(posCall, "pos.provider")).toBe("deliverect")
    // The plugin's HTTP call to the POS, under the plugin call; the POS got that span as its parent.
    const outbound = trace.filter((s) => s.kind === 3 && s.parentSpanId === posCall.spanId)
    expect(outbound.length).toBeGreaterThanOrEqual(1)
    expect(outbound.map((s) => s.spanId)).toContain(traceparent.split("-")[2])
    // The partner's webhook of the order continues the order's trace, and sends it on.
    await o.app.runtime.runPromise(Effect.flatMap(WebhookDispatch, (d) => d.drain(tenant)))
    const hook = await eventually(
      () => spansOf(traceId).find((s) => s.name === "webhook.deliver"),
      10_000,
      () => "the webhook delivery's span at the collector"
    )
    expect(hook.parentSpanId).toBe(server.spanId)
    expect(attribute(hook, "webhook.event_type")).toBe("order.created")
    expect(received.at(-1)?.split("-")[1]).toBe(traceId)
    // Sent with the configured headers, to the traces path.
    expect(collector.requests[0]?.path).toBe("/v1/traces")
    expect(collector.requests[0]?.headers["x-collector-token"]).toBe("c0ll3ct")
  })

  it("continues a caller's traceparent, and names the trace and span on the request's log lines", async () => {
    const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
    const callerSpan = "00f067aa0ba902b7"
    const logs = captureConsole()
    try {
      const answer = await send(o, "GET", "/api/v1/auth/whoami", {
        headers: { traceparent: `00-${callerTrace}-${callerSpan}-01` }
      })
      expect(answer.status).toBe(200)
    } finally {
      logs.restore()
    }
    const server = await eventually(
      () => spansOf(callerTrace).find((s) => s.name === "http.server GET"),
      10_000,
      () => "the request's span at the collector"
    )
    expect(server.parentSpanId).toBe(callerSpan)
    expect(attribute(server, "http.route")).toBe("/api/v1/auth/whoami")
    // The access log line (pretty format: one annotation a line) names the trace and the server span.
    const text = logs.text()
    expect(text).toContain("route: /api/v1/auth/whoami")
    expect(text).toContain(`traceId: ${callerTrace}`)
    expect(text).toContain(`spanId: ${server.spanId}`)
  })
})

describe("the sampler", () => {
  const recorded = (ratio: number, parentBased: boolean, parent?: Tracer.AnySpan) => {
    const sampledFlags: Array<boolean> = []
    const inner = Tracer.make({
      span: (options) => {
        sampledFlags.push(options.sampled)
        return Tracer.externalSpan({ traceId: "0".repeat(31) + "1", spanId: "0".repeat(15) + "1" }) as never
      }
    })
    const tracer = sampling(inner, ratio, parentBased)
    for (let i = 0; i < 1000; i++) {
      tracer.span({
        name: "x",
        parent: parent === undefined ? Option.none() : Option.some(parent),
        annotations: undefined as never,
        links: [],
        startTime: 0n,
        kind: "server",
        root: false,
        sampled: parent?.sampled ?? true
      })
    }
    return sampledFlags.filter(Boolean).length
  }
  const callerSampled = Tracer.externalSpan({ traceId: "a".repeat(32), spanId: "b".repeat(16), sampled: true })
  const callerUnsampled = Tracer.externalSpan({ traceId: "a".repeat(32), spanId: "b".repeat(16), sampled: false })

  it("records every trace by default and none at 0, and about the ratio between", () => {
    expect(recorded(1, true)).toBe(1000)
    expect(recorded(0, true)).toBe(0)
    const some = recorded(0.25, true)
    expect(some).toBeGreaterThan(170)
    expect(some).toBeLessThan(330)
  })

  it("lets a caller's decision stand when parent-based, and applies the ratio to it otherwise", () => {
    expect(recorded(0, true, callerSampled)).toBe(1000)
    expect(recorded(1, true, callerUnsampled)).toBe(0)
    expect(recorded(0, false, callerSampled)).toBe(0)
    expect(recorded(1, false, callerUnsampled)).toBe(1000)
  })

  it("leaves spans inside a trace of ours to follow their parent", () =>
    Effect.runPromise(Effect.void).then(() => {
      const ours = Tracer.externalSpan({ traceId: "c".repeat(32), spanId: "d".repeat(16), sampled: false })
      // An ExternalSpan stands for a caller's; a span of this process as parent is followed as is.
      expect(recorded(1, false, { ...ours, _tag: "Span" } as unknown as Tracer.AnySpan)).toBe(0)
    }))
})
