/**
 * `GET /metrics`: Prometheus' text format, read back with a Prometheus text-format parser; request
 * counts by route template and status with their latency histogram; the process's gauges; who may
 * scrape (loopback only without METRICS_TOKEN, the bearer token with it).
 */
import { Layer, Redacted } from "effect"
import parsePrometheusTextFormat, { type PrometheusFamily } from "parse-prometheus-text-format"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { layerMemoryStorage } from "../../adapters/storage/memory/memory-storage.ts"
import { simulatedPeerHeader } from "../http/support/echo-group.ts"
import { expectEnvelope, send, startApp, tenantId } from "../http/support/harness.ts"
import type { TestApp } from "../support/app.ts"

const host = "acme.localhost"

const scrape = async (app: TestApp, headers: Record<string, string>) => {
  const response = await send(app, "/metrics", { headers })
  return response
}

const families = async (response: Response) => {
  expect(response.status).toBe(200)
  expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8")
  return parsePrometheusTextFormat(await response.text())
}

const family = (all: ReadonlyArray<PrometheusFamily>, name: string) => {
  const found = all.find((f) => f.name === name)
  if (found === undefined) expect.fail(`no metric family ${name} in ${all.map((f) => f.name).join(", ")}`)
  return found
}

/** The value of the series with exactly these labels (0 when there is none yet). */
const seriesValue = (f: PrometheusFamily, labels: Record<string, string>) =>
  Number(f.metrics.find((m) => JSON.stringify(m.labels ?? {}) === JSON.stringify(labels))?.value ?? 0)

describe("GET /metrics without METRICS_TOKEN: loopback peers only", () => {
  let app: TestApp
  let key: string
  beforeAll(async () => {
    app = await startApp(() => Layer.fresh(layerMemoryStorage))
    await app.createTenant({ id: tenantId("acme") })
    key = (await app.issueKey(tenantId("acme"), { kind: "partner" })).plaintext
  })
  afterAll(() => app?.close())

  it("counts requests by method, route template and status, with their latency, in Prometheus' text format", async () => {
    const loopback = { [simulatedPeerHeader]: "127.0.0.1" }
    const before = await families(await scrape(app, loopback))
    const requests = (all: ReadonlyArray<PrometheusFamily>, status: string, route = "/api/v1/auth/whoami") =>
      seriesValue(family(all, "http_requests_total"), { method: "GET", route, status })
    const whoamiBefore = before.some((f) => f.name === "http_requests_total") ? requests(before, "200") : 0
    for (let i = 0; i < 3; i++) expect((await send(app, "/api/v1/auth/whoami", { host, key })).status).toBe(200)
    expect((await send(app, "/api/v1/auth/whoami", { host, key: "posk_1_nope" })).status).toBe(401)
    // An order id in the path is its route's template in the label, never the id.
    expect((await send(app, "/api/v1/orders/ord_123456", { host, key })).status).toBe(404)

    const response = await scrape(app, loopback)
    const text = await response.clone().text()
    const after = await families(response)
    expect(requests(after, "200") - whoamiBefore).toBe(3)
    expect(requests(after, "401")).toBeGreaterThanOrEqual(1)
    const routes = family(after, "http_requests_total").metrics.map((m) => m.labels?.["route"] ?? "")
    expect(routes).toContain("/api/v1/orders/:orderId")
    expect(routes.some((r) => r.includes("ord_123456"))).toBe(false)

    const latency = family(after, "http_request_duration_seconds")
    expect(latency.type).toBe("HISTOGRAM")
    expect(Object.keys(latency.metrics[0]?.buckets ?? {})).toEqual(expect.arrayContaining(["0.005", "10", "+Inf"]))
    // The parser keeps a histogram's buckets but not its labels: the route's count, read from the text.
    const count = /^http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/auth\/whoami"\} (\d+)$/m.exec(
      text
    )
    expect(Number(count?.[1])).toBeGreaterThanOrEqual(4)

    for (const name of ["process_resident_memory_bytes", "nodejs_heap_used_bytes"]) {
      expect(Number(family(after, name).metrics[0]?.value)).toBeGreaterThan(1_000_000)
    }
    expect(Number(family(after, "nodejs_eventloop_delay_max_seconds").metrics[0]?.value)).toBeGreaterThanOrEqual(0)
  })

  it("refuses a peer that is not loopback, and a request with no peer, with a 403 envelope", async () => {
    await expectEnvelope(await scrape(app, { [simulatedPeerHeader]: "203.0.113.9" }), 403, "forbidden")
    await expectEnvelope(await scrape(app, {}), 403, "forbidden")
    // Not tenant-scoped: a tenant's host and key change nothing.
    await expectEnvelope(
      await send(app, "/metrics", { host, key, headers: { [simulatedPeerHeader]: "203.0.113.9" } }),
      403,
      "forbidden"
    )
    await expectEnvelope(await send(app, "/metrics", { method: "POST", headers: {} }), 405, "method not allowed")
  })
})

describe("GET /metrics with METRICS_TOKEN: the bearer token, from anywhere", () => {
  let app: TestApp
  const token = "metrics-token-4f9c2e"
  beforeAll(async () => {
    app = await startApp(() => Layer.fresh(layerMemoryStorage), {
      metrics: { token: Redacted.make(token), tenantLabels: false }
    })
  })
  afterAll(() => app?.close())

  it("answers the token from any peer, and 401 with a challenge to anything else (loopback included)", async () => {
    const remote = { [simulatedPeerHeader]: "203.0.113.9" }
    expect(
      family(await families(await scrape(app, { ...remote, authorization: `Bearer ${token}` })), "http_requests_total")
    ).toBeDefined()
    for (const headers of [
      { [simulatedPeerHeader]: "127.0.0.1" },
      { ...remote, authorization: "Bearer wrong-token" },
      { ...remote, authorization: `Basic ${token}` },
      { ...remote, authorization: `Bearer ${token}x` }
    ]) {
      const response = await scrape(app, headers)
      expect(response.headers.get("www-authenticate")).toBe('Bearer realm="metrics"')
      await expectEnvelope(response, 401, "unauthorized")
    }
  })
})

describe("GET /metrics with METRICS_TENANT_LABELS", () => {
  let app: TestApp
  let key: string
  beforeAll(async () => {
    app = await startApp(() => Layer.fresh(layerMemoryStorage), { metrics: { token: undefined, tenantLabels: true } })
    await app.createTenant({ id: tenantId("acme") })
    key = (await app.issueKey(tenantId("acme"), { kind: "partner" })).plaintext
  })
  afterAll(() => app?.close())

  it("labels a tenant's requests with its id", async () => {
    expect((await send(app, "/api/v1/auth/whoami", { host, key })).status).toBe(200)
    const all = await families(await scrape(app, { [simulatedPeerHeader]: "::1" }))
    const labelled = family(all, "http_requests_total").metrics.filter(
      (m) => m.labels?.["route"] === "/api/v1/auth/whoami" && m.labels["tenant"] === "acme"
    )
    expect(labelled.length).toBeGreaterThan(0)
  })
})
