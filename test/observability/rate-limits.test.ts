/**
 * Rate limits (SPEC 3): token buckets per key (an OAuth client counts as a partner key) and per
 * tenant, per class of operation, set by operators through the admin API; off by default. Checked
 * after authentication (401) and before the scope (403); a refusal is the 429 envelope with
 * Retry-After and the IETF RateLimit-Policy / RateLimit fields, which answers under a limit carry too.
 */
import { Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { layerMemoryStorage } from "../../adapters/storage/memory/memory-storage.ts"
import { adminCalls, firstAdminKey } from "../admin/support.ts"
import { expectEnvelope, jsonHeaders, send, startApp, tenantId } from "../http/support/harness.ts"
import { accessToken, bearer, makeClient } from "../oauth/support.ts"
import type { TestApp } from "../support/app.ts"
import { burst, refillDuring } from "../support/burst.ts"

const host = "acme.localhost"
const whoami = "/api/v1/auth/whoami"

describe("rate limits on the in-process service", () => {
  let app: TestApp
  let admin: ReturnType<typeof adminCalls>
  let adminKey: string
  let keyA: string
  let keyB: string
  let posKey: string
  const limitsOf = async (limits: unknown) => {
    const response = await admin.call("PUT", "/tenants/acme/rate-limits", limits)
    return admin.json<{ rateLimits: unknown }>(response, 200)
  }

  beforeAll(async () => {
    app = await startApp(() => Layer.fresh(layerMemoryStorage))
    await app.createTenant({ id: tenantId("acme") })
    keyA = (await app.issueKey(tenantId("acme"), { kind: "partner" })).plaintext
    keyB = (await app.issueKey(tenantId("acme"), { kind: "partner" })).plaintext
    posKey = (await app.issueKey(tenantId("acme"), { kind: "pos" })).plaintext
    adminKey = await firstAdminKey(app)
    admin = adminCalls(
      () => app,
      () => adminKey
    )
  })
  afterAll(() => app?.close())

  it("are off by default: no limit, no RateLimit fields", async () => {
    const { responses } = await burst(50, () => send(app, whoami, { host, key: keyA }))
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200))
    expect(responses[0]!.headers.get("ratelimit-policy")).toBeNull()
    expect(responses[0]!.headers.get("ratelimit")).toBeNull()
  })

  it("with 10 a second on each partner key, 100 requests at once: 10 pass, the rest get 429 with Retry-After; another key is unaffected", async () => {
    const set = await limitsOf({ keys: { partner: { reads: { rate: 10, burst: 10 } } } })
    expect(set.rateLimits).toEqual({ keys: { partner: { reads: { rate: 10, burst: 10 } } } })

    const { responses, elapsedMs } = await burst(100, () => send(app, whoami, { host, key: keyA }))
    const passed = responses.filter((r) => r.status === 200)
    const limited = responses.filter((r) => r.status === 429)
    expect(passed.length + limited.length).toBe(100)
    // The burst of 10, and whatever the bucket earned while the hundred were answered.
    expect(passed.length).toBeGreaterThanOrEqual(10)
    expect(passed.length).toBeLessThanOrEqual(10 + refillDuring(elapsedMs, 10))

    const refusal = limited[0]!
    expect(Number(refusal.headers.get("retry-after"))).toBeGreaterThanOrEqual(1)
    expect(refusal.headers.get("ratelimit-policy")).toBe('"key-reads";q=10;w=1')
    expect(refusal.headers.get("ratelimit")).toMatch(/^"key-reads";r=0;t=1$/)
    const envelope = await expectEnvelope(refusal, 429, "rate limited")
    expect(envelope.error.details).toContain("limit for reads (10 a second, burst 10) is used up")
    // An answer under the limit tells what is left.
    expect(passed[0]!.headers.get("ratelimit-policy")).toBe('"key-reads";q=10;w=1')
    expect(passed[0]!.headers.get("ratelimit")).toMatch(/^"key-reads";r=\d;t=1$/)

    // Key B of the same tenant has a bucket of its own.
    const other = await send(app, whoami, { host, key: keyB })
    expect(other.status).toBe(200)
    expect(other.headers.get("ratelimit")).toBe('"key-reads";r=9;t=1')
  })

  it("comes after authentication (401) and before the scope (403), and counts reads, writes and syncs apart", async () => {
    await limitsOf({ keys: { pos: { reads: { rate: 0.5, burst: 2 } } } })
    // An unknown key is the 401, limit or not.
    for (let i = 0; i < 3; i++) {
      await expectEnvelope(await send(app, whoami, { host, key: "posk_999_nope" }), 401)
    }
    // A POS key may not read orders: 403 while it has tokens, then 429 (the limit comes first).
    const statuses: Array<number> = []
    for (let i = 0; i < 4; i++) statuses.push((await send(app, "/api/v1/orders", { host, key: posKey })).status)
    expect(statuses).toEqual([403, 403, 429, 429])
    // Its syncs are another class: not limited.
    const sync = await send(app, "/api/v1/outlets/sync", {
      method: "POST",
      host,
      key: posKey,
      headers: { ...jsonHeaders, "x-provider": "deliverect" },
      body: JSON.stringify({ outlets: [] })
    })
    expect(sync.status).not.toBe(429)
    expect(sync.headers.get("ratelimit")).toBeNull()
  })

  it("shares a tenant's bucket between all its keys, and limits an OAuth client as a partner key", async () => {
    await limitsOf({ tenant: { reads: { rate: 1, burst: 3 } } })
    const statuses: Array<number> = []
    for (const key of [keyA, keyB, keyA, keyB]) statuses.push((await send(app, whoami, { host, key })).status)
    expect(statuses).toEqual([200, 200, 200, 429])

    await limitsOf({ keys: { partner: { reads: { rate: 1, burst: 2 } } } })
    const client = await makeClient(app, "acme")
    const token = await accessToken(app, host, client)
    const answers = []
    for (let i = 0; i < 3; i++) answers.push(await bearer(app, "/api/v1/outlets", host, token))
    expect(answers.map((r) => r.status)).toEqual([200, 200, 429])
    expect(answers[2]!.headers.get("ratelimit-policy")).toBe('"key-reads";q=2;w=2')
  })

  it("are set only with valid limits, recorded in the audit log, and removed with {}", async () => {
    for (const bad of [
      { keys: { partner: { reads: { rate: 0, burst: 1 } } } },
      { keys: { partner: { reads: { rate: 1, burst: 1.5 } } } },
      { keys: { robot: { reads: { rate: 1, burst: 1 } } } },
      { tenant: { deletes: { rate: 1, burst: 1 } } }
    ]) {
      await expectEnvelope(await admin.call("PUT", "/tenants/acme/rate-limits", bad), 400)
    }
    await expectEnvelope(await admin.call("PUT", "/tenants/nobody/rate-limits", {}), 404)
    const cleared = await limitsOf({})
    expect(cleared.rateLimits).toEqual({})
    const { responses } = await burst(30, () => send(app, whoami, { host, key: keyA }))
    expect(responses.every((r) => r.status === 200 && r.headers.get("ratelimit") === null)).toBe(true)

    const audit = await admin.json<{ data: Array<{ action: string; summary: string }> }>(
      await admin.call("GET", "/audit?limit=20"),
      200
    )
    const summaries = audit.data.filter((e) => e.action === "tenant.set-rate-limits").map((e) => e.summary)
    expect(summaries).toContain("set the rate limits of tenant 'acme': partner keys: reads 10/s burst 10")
    expect(summaries).toContain("set the rate limits of tenant 'acme': none")
  })
})
