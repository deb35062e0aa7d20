/**
 * Two service instances on one PostgreSQL enforce one limit: the buckets are rows of the control
 * database, taken from by both (each with its small in-process allowance).
 */
import { PgClient } from "@effect/sql-pg"
import { Effect, Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { layerPostgresStorage } from "../../adapters/storage/postgres/postgres-storage.ts"
import { adminCalls, firstAdminKey } from "../admin/support.ts"
import { send, tenantId } from "../http/support/harness.ts"
import { makeTestApp, type TestApp } from "../support/app.ts"
import { burst, refillDuring } from "../support/burst.ts"
import { onPostgresServer } from "../support/storage-adapters.ts"
import { ephemeralKeyRing } from "../../adapters/crypto/credential-sealer.ts"

const url = process.env["DATABASE_URL"]
const available = url !== undefined && url !== ""
const host = "acme.localhost"

const onServer = <A>(effect: Effect.Effect<A, unknown, PgClient.PgClient>) => onPostgresServer(url!, effect)

describe.skipIf(!available)("rate limits shared by two instances on one PostgreSQL", () => {
  const name = `pos_test_limits_${process.pid}_${Date.now().toString(36)}`
  let one: TestApp
  let two: TestApp
  let key: string

  beforeAll(async () => {
    await onServer(Effect.flatMap(PgClient.PgClient, (sql) => sql.unsafe(`CREATE DATABASE ${name}`)))
    const target = new URL(url!)
    target.pathname = `/${name}`
    // Instances share their credential keys, as CREDENTIALS_KEYS makes them in production.
    const credentialKeys = ephemeralKeyRing()
    const storage = () =>
      layerPostgresStorage({ url: Redacted.make(target.toString()), tenantPoolSize: 4, credentialKeys })
    one = await makeTestApp(storage())
    await one.createTenant({ id: tenantId("acme") })
    key = (await one.issueKey(tenantId("acme"), { kind: "partner" })).plaintext
    // Set through the first instance's admin API; the second reads the tenant fresh (no cache yet).
    const adminKey = await firstAdminKey(one)
    const admin = adminCalls(
      () => one,
      () => adminKey
    )
    const set = await admin.call("PUT", "/tenants/acme/rate-limits", {
      keys: { partner: { reads: { rate: 10, burst: 10 } } }
    })
    expect(set.status).toBe(200)
    two = await makeTestApp(storage())
  }, 60_000)

  afterAll(async () => {
    await one?.close()
    await two?.close()
    if (available) {
      await onServer(
        Effect.flatMap(PgClient.PgClient, (sql) => sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
      )
    }
  })

  it("100 requests at once, half through each: one limit of 10 a second between them (within 20%)", async () => {
    let sent = 0
    const { responses, elapsedMs } = await burst(100, () =>
      send(sent++ % 2 === 0 ? one : two, "/api/v1/auth/whoami", { host, key })
    )
    const passed = responses.filter((r) => r.status === 200).length
    expect(responses.filter((r) => r.status === 429).length).toBe(100 - passed)
    const allowed = 10 + refillDuring(elapsedMs, 10)
    expect(passed).toBeGreaterThanOrEqual(8)
    expect(passed).toBeLessThanOrEqual(Math.ceil(allowed * 1.2))
    // Both instances answered some of each: neither kept the bucket to itself.
    const byInstance = [0, 1].map((parity) => responses.filter((r, i) => i % 2 === parity && r.status === 200).length)
    expect(byInstance.every((n) => n > 0)).toBe(true)
  })

  it("goes on refusing from memory while the bucket is empty, and admits again once it refills", async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const first = await burst(30, () => send(one, "/api/v1/auth/whoami", { host, key }))
    expect(first.responses.filter((r) => r.status === 200).length).toBeLessThanOrEqual(
      10 + refillDuring(first.elapsedMs, 10)
    )
    // Instance two finds the bucket instance one emptied: ten at once cannot all find a token (a
    // busy machine may let the bucket earn one or two meanwhile).
    const second = await burst(10, () => send(two, "/api/v1/auth/whoami", { host, key }))
    expect(second.responses.filter((r) => r.status === 200).length).toBeLessThanOrEqual(
      refillDuring(second.elapsedMs, 10) + 1
    )
    const refused = second.responses.find((r) => r.status === 429)!
    expect(refused.status).toBe(429)
    await new Promise((resolve) => setTimeout(resolve, Number(refused.headers.get("retry-after")) * 1000 + 50))
    expect((await send(two, "/api/v1/auth/whoami", { host, key })).status).toBe(200)
  })
})
