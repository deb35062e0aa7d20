/**
 * `/metrics` beyond requests: the loyalty breakers' states (per tenant only with
 * METRICS_TENANT_LABELS) and the database connections, on each storage.
 */
import { Effect, Redacted } from "effect"
import parsePrometheusTextFormat, { type PrometheusFamily } from "parse-prometheus-text-format"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeEmbeddedLoyalty } from "../../adapters/loyalty/embedded-loyalty.ts"
import { makeLoyaltyTables, makeMemoryLoyaltyLedger } from "../../adapters/storage/memory/memory-loyalty.ts"
import { layerMemoryStorage } from "../../adapters/storage/memory/memory-storage.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import { simulatedPeerHeader } from "../http/support/echo-group.ts"
import { send, startApp, tenantId } from "../http/support/harness.ts"
import type { TestApp } from "../support/app.ts"
import { type LoyaltySimulator, startLoyaltySimulator } from "../support/loyalty-simulator.ts"
import { storageAdapters } from "../support/storage-adapters.ts"

const loopback = { [simulatedPeerHeader]: "127.0.0.1" }

const scrape = async (app: TestApp) => {
  const response = await send(app, "/metrics", { headers: loopback })
  expect(response.status).toBe(200)
  return parsePrometheusTextFormat(await response.text())
}

/** Every series of the family as `labels -> value`; {} when the family is absent. */
const seriesOf = (all: ReadonlyArray<PrometheusFamily>, name: string): Record<string, number> =>
  Object.fromEntries(
    (all.find((f) => f.name === name)?.metrics ?? []).map((m) => [JSON.stringify(m.labels ?? {}), Number(m.value)])
  )

describe("loyalty breakers on /metrics", () => {
  let simulator: LoyaltySimulator
  const apps: Array<TestApp> = []
  beforeAll(async () => {
    simulator = await startLoyaltySimulator({
      backend: makeEmbeddedLoyalty(makeMemoryLoyaltyLedger(makeLoyaltyTables())),
      credential: "tenant-secret"
    })
  })
  afterAll(async () => {
    for (const app of apps) await app.close()
    await simulator?.stop()
  })

  const start = async (tenantLabels: boolean) => {
    const app = await startApp(() => layerMemoryStorage, {
      loyaltyUrl: simulator.url,
      metrics: { token: undefined, tenantLabels },
      loyaltyBreaker: {
        consecutiveFailures: 2,
        failureRatio: 0.5,
        minimumCalls: 10_000,
        windowMs: 30_000,
        resetMs: 60_000
      }
    })
    apps.push(app)
    for (const id of ["acme", "globex"]) {
      await app.createTenant({ id: tenantId(id) })
      await app.runtime.runPromise(
        Effect.flatMap(TenantDirectory, (d) =>
          d.setLoyalty(tenantId(id), { url: null, credential: Redacted.make("tenant-secret") })
        )
      )
    }
    const keys = {
      acme: (await app.issueKey(tenantId("acme"), { kind: "partner" })).plaintext,
      globex: (await app.issueKey(tenantId("globex"), { kind: "partner" })).plaintext
    }
    const rewards = (tenant: "acme" | "globex") =>
      send(app, "/api/v1/loyalty/rewards", { host: `${tenant}.localhost`, key: keys[tenant] })
    return { app, rewards }
  }

  // First: the registry is the process's, and a later case adds tenant series to it.
  it("keeps tenant ids out of the series without METRICS_TENANT_LABELS", async () => {
    const { app, rewards } = await start(false)
    simulator.setFault({ _tag: "None" })
    expect((await rewards("acme")).status).toBe(200)
    const text = await (await send(app, "/metrics", { headers: loopback })).text()
    expect(text).toMatch(/^loyalty_breakers\{state="closed"\} 1$/m)
    expect(text).not.toContain("acme")
  })

  it("counts breakers by state, and names each tenant's with METRICS_TENANT_LABELS", async () => {
    const { app, rewards } = await start(true)
    simulator.setFault({ _tag: "None" })
    expect((await rewards("globex")).status).toBe(200)
    simulator.setFault({ _tag: "Status", status: 500 })
    // Failing calls (each retried) until the breaker opens: then 503 at once, with Retry-After.
    let opened: Response | undefined
    for (let i = 0; i < 5 && opened === undefined; i++) {
      const answer = await rewards("acme")
      expect([502, 503]).toContain(answer.status)
      if (answer.headers.get("retry-after") !== null) opened = answer
    }
    expect(opened?.status).toBe(503)
    simulator.setFault({ _tag: "None" })

    const all = await scrape(app)
    expect(seriesOf(all, "loyalty_breakers")).toEqual({
      '{"state":"closed"}': 1,
      '{"state":"half_open"}': 0,
      '{"state":"open"}': 1
    })
    expect(seriesOf(all, "loyalty_breaker_state")).toEqual({ '{"tenant":"acme"}': 2, '{"tenant":"globex"}': 0 })
  })

  it("sends our traceparent to the loyalty-service", async () => {
    simulator.clearCalls()
    const { rewards } = await start(false)
    simulator.setFault({ _tag: "None" })
    expect((await rewards("acme")).status).toBe(200)
    expect(simulator.calls.at(-1)?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/)
  })
})

describe("database connections on /metrics", () => {
  for (const adapter of storageAdapters()) {
    if (adapter.name === "memory") continue
    it.skipIf(!adapter.available)(`shows this process's connections by state: ${adapter.name}`, async () => {
      const app = await startApp(() => adapter.layer())
      try {
        await app.createTenant({ id: tenantId("acme") })
        const key = (await app.issueKey(tenantId("acme"), { kind: "partner" })).plaintext
        expect((await send(app, "/api/v1/outlets", { host: "acme.localhost", key })).status).toBe(200)
        const all = await scrape(app)
        const connections = seriesOf(all, "db_connections")
        const total = Object.values(connections).reduce((sum, n) => sum + n, 0)
        if (adapter.name === "PGlite") {
          // The one session, free between requests; nothing queued for it.
          expect(connections).toEqual({ '{"state":"active"}': 0, '{"state":"idle"}': 1 })
        } else {
          // The scrape's own query is running on one of them.
          expect(connections['{"state":"active"}']).toBeGreaterThanOrEqual(1)
          expect(total).toBeGreaterThanOrEqual(2)
        }
        expect(seriesOf(all, "db_connections_waiting")).toEqual({ "{}": 0 })
      } finally {
        await app.close()
      }
    })
  }
})
