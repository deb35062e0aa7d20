import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  expectEnvelope,
  expectInvalidKey,
  fakeKey,
  type MakeStorage,
  send,
  startApp,
  tampered,
  tenantId
} from "../http/support/harness.ts"
import type { TestApp } from "../support/app.ts"
import { storageAdapters } from "../support/storage-adapters.ts"
import { adminCalls, adminPrefix, firstAdminKey } from "./support.ts"

const admin = adminPrefix

const adminSuite = (name: string, makeStorage: MakeStorage) =>
  describe(`admin API (${name})`, () => {
    let app: TestApp
    let key: string
    const secrets: Array<string> = []

    beforeAll(async () => {
      app = await startApp(makeStorage, { trustProxy: { _tag: "loopback" } })
      key = await firstAdminKey(app)
      secrets.push(key)
    })
    afterAll(async () => {
      await app?.close()
    })

    const { call, json } = adminCalls(
      () => app,
      () => key
    )
    const partnerWhoami = (tenant: string, partnerKey: string) =>
      send(app, "/api/v1/auth/whoami", { host: `${tenant}.localhost`, key: partnerKey })

    it("refuses every key but a live admin key with the partner API's one 401, on any host", async () => {
      await app.createTenant({ id: tenantId("keyholder") })
      const partner = await app.issueKey(tenantId("keyholder"), { kind: "partner" })
      for (const host of ["localhost", "keyholder.localhost", "elsewhere.example"]) {
        await expectInvalidKey(await send(app, `${admin}/whoami`, { host }))
        await expectInvalidKey(await call("GET", "/whoami", undefined, { host, key: partner.plaintext }))
        await expectInvalidKey(await call("GET", "/whoami", undefined, { host, key: fakeKey(1) }))
        await expectInvalidKey(await call("GET", "/whoami", undefined, { host, key: `posa_999999_${"Q".repeat(40)}` }))
        await expectInvalidKey(await call("GET", "/whoami", undefined, { host, key: tampered(key) }))
      }
      expect(await json(await call("GET", "/whoami"), 200)).toEqual({ keyId: 1, name: "admin key 1 (ops)" })
    })

    it("creates, reads, lists, suspends and reactivates tenants; a suspended tenant's partners get the 401", async () => {
      const created = await json(
        await call("POST", "/tenants", {
          tenantId: "bistro",
          name: "Bistro",
          currency: "EUR",
          country: "NL",
          timezone: "Europe/Amsterdam"
        }),
        201
      )
      expect(created).toMatchObject({
        tenantId: "bistro",
        name: "Bistro",
        status: "active",
        country: "NL",
        timezone: "Europe/Amsterdam",
        currency: "EUR",
        ownDatabase: false,
        loyaltyCredentialSet: false
      })
      expect(await json(await call("GET", "/tenants/bistro"), 200)).toEqual(created)
      await expectEnvelope(await call("POST", "/tenants", { tenantId: "bistro" }), 409)
      const bad = await expectEnvelope(
        await call("POST", "/tenants", { tenantId: "Not OK", country: "nl", timezone: "Mars/Base", currency: "euro" }),
        400,
        "invalid request"
      )
      for (const field of ["body.tenantId", "body.country", "body.timezone", "body.currency"]) {
        expect(bad.error.details).toContain(field)
      }
      const unknown = await expectEnvelope(await call("GET", "/tenants/nobody"), 404, "tenant not found")
      expect(unknown.error.details).toBe("no tenant with id 'nobody'")
      await expectEnvelope(await call("POST", "/tenants", { tenantId: "x", colour: "red" }), 400)
      await expectEnvelope(
        await send(app, `${admin}/tenants`, {
          method: "POST",
          host: "localhost",
          key,
          headers: { "content-type": "text/plain" },
          body: "{}"
        }),
        415
      )

      const partner = await json<{ secret: string }>(
        await call("POST", "/tenants/bistro/keys", { kind: "partner" }),
        201
      )
      secrets.push(partner.secret)
      expect((await partnerWhoami("bistro", partner.secret)).status).toBe(200)

      const suspended = await json(await call("POST", "/tenants/bistro/suspend"), 200)
      expect(suspended).toMatchObject({ tenantId: "bistro", status: "suspended" })
      await expectInvalidKey(await partnerWhoami("bistro", partner.secret))
      const listed = await json<{ data: Array<{ tenantId: string }> }>(
        await call("GET", "/tenants?status=suspended"),
        200
      )
      expect(listed.data.map((t) => t.tenantId)).toEqual(["bistro"])
      // Twice changes nothing, and records nothing more.
      expect(await json(await call("POST", "/tenants/bistro/suspend"), 200)).toEqual(suspended)
      expect(await json(await call("POST", "/tenants/bistro/reactivate"), 200)).toMatchObject({ status: "active" })
      expect((await partnerWhoami("bistro", partner.secret)).status).toBe(200)
      await expectEnvelope(await call("GET", "/tenants?status=gone"), 400)
    })

    it("issues, lists, revokes and rotates a tenant's keys, each change seen by the partner API at once", async () => {
      await json(await call("POST", "/tenants", { tenantId: "kiosk" }), 201)
      const issued = await json<{
        key: { keyId: number; kind: string; scopes: Array<string>; state: string }
        secret: string
      }>(await call("POST", "/tenants/kiosk/keys", { kind: "pos", name: "till", scopes: ["pos:sync"] }), 201)
      secrets.push(issued.secret)
      expect(issued.key).toMatchObject({ kind: "pos", scopes: ["pos:sync"], state: "active", name: "till" })
      expect(issued.secret).toMatch(/^posk_\d+_/)
      await expectEnvelope(await call("POST", "/tenants/kiosk/keys", { kind: "boss" }), 400)
      await expectEnvelope(
        await call("POST", "/tenants/kiosk/keys", { kind: "partner", expiresAt: "2001-01-01T00:00:00Z" }),
        400
      )
      await expectEnvelope(await call("POST", "/tenants/nobody/keys", { kind: "partner" }), 404, "tenant not found")

      const partner = await json<{ key: { keyId: number }; secret: string }>(
        await call("POST", "/tenants/kiosk/keys", { kind: "partner", name: "kiosk app" }),
        201
      )
      secrets.push(partner.secret)
      expect((await partnerWhoami("kiosk", partner.secret)).status).toBe(200)

      // Rotation with an overlap: both keys work, the old one now expires.
      const before = Date.now()
      const rotated = await json<{
        key: { keyId: number; name: string; kind: string }
        secret: string
        previous: { keyId: number; expiresAt: string; state: string }
      }>(await call("POST", `/tenants/kiosk/keys/${partner.key.keyId}/rotate`, { overlapSeconds: 3600 }), 201)
      secrets.push(rotated.secret)
      expect(rotated.key).toMatchObject({ name: "kiosk app", kind: "partner" })
      expect(rotated.previous.keyId).toBe(partner.key.keyId)
      expect(rotated.previous.state).toBe("active")
      const expires = Date.parse(rotated.previous.expiresAt)
      expect(expires).toBeGreaterThanOrEqual(before + 3_600_000)
      expect(expires).toBeLessThanOrEqual(Date.now() + 3_600_000)
      expect((await partnerWhoami("kiosk", partner.secret)).status).toBe(200)
      expect((await partnerWhoami("kiosk", rotated.secret)).status).toBe(200)

      // Rotation without an overlap: the old key is refused at once.
      const again = await json<{ secret: string; previous: { state: string } }>(
        await call("POST", `/tenants/kiosk/keys/${rotated.key.keyId}/rotate`, { overlapSeconds: 0 }),
        201
      )
      secrets.push(again.secret)
      expect(again.previous.state).toBe("expired")
      await expectInvalidKey(await partnerWhoami("kiosk", rotated.secret))
      expect((await partnerWhoami("kiosk", again.secret)).status).toBe(200)
      await expectEnvelope(
        await call("POST", `/tenants/kiosk/keys/${rotated.key.keyId}/rotate`, {}),
        409,
        "key not active"
      )
      await expectEnvelope(
        await call("POST", `/tenants/kiosk/keys/${partner.key.keyId}/rotate`, { overlapSeconds: -1 }),
        400
      )
      await expectEnvelope(await call("POST", "/tenants/kiosk/keys/999/rotate", {}), 404, "api key not found")
      await expectEnvelope(await call("POST", "/tenants/kiosk/keys/abc/revoke"), 404, "api key not found")

      // Revocation: refused at once; revoking again answers the key as it is.
      const revoked = await json<{ state: string; revokedAt: string }>(
        await call("POST", `/tenants/kiosk/keys/${partner.key.keyId}/revoke`),
        200
      )
      expect(revoked.state).toBe("revoked")
      await expectInvalidKey(await partnerWhoami("kiosk", partner.secret))
      expect(await json(await call("POST", `/tenants/kiosk/keys/${partner.key.keyId}/revoke`), 200)).toEqual(revoked)

      const listed = await json<{ data: Array<{ keyId: number; state: string }> }>(
        await call("GET", "/tenants/kiosk/keys"),
        200
      )
      expect(listed.data.map((k) => [k.keyId, k.state])).toEqual([
        [issued.key.keyId, "active"],
        [partner.key.keyId, "revoked"],
        [rotated.key.keyId, "expired"],
        [rotated.key.keyId + 1, "active"]
      ])
    })

    it("issues and revokes admin keys; a revoked admin key is the 401 from the next request on", async () => {
      const issued = await json<{ key: { keyId: number; createdBy: string; state: string }; secret: string }>(
        await call("POST", "/admin-keys", { name: "alice" }),
        201
      )
      secrets.push(issued.secret)
      expect(issued.secret).toMatch(/^posa_\d+_/)
      expect(issued.key).toMatchObject({ createdBy: "admin key 1 (ops)", state: "active" })
      expect(await json(await call("GET", "/whoami", undefined, { key: issued.secret }), 200)).toEqual({
        keyId: issued.key.keyId,
        name: `admin key ${issued.key.keyId} (alice)`
      })
      await expectEnvelope(await call("POST", "/admin-keys", { name: "  " }), 400)
      const revoked = await json<{ state: string }>(
        await call("POST", `/admin-keys/${issued.key.keyId}/revoke`, undefined, { key: issued.secret }),
        200
      )
      expect(revoked.state).toBe("revoked")
      await expectInvalidKey(await call("GET", "/whoami", undefined, { key: issued.secret }))
      await expectEnvelope(await call("POST", "/admin-keys/77/revoke"), 404, "admin key not found")
      const keys = await json<{ data: Array<{ keyId: number }> }>(await call("GET", "/admin-keys"), 200)
      expect(keys.data.map((k) => k.keyId)).toEqual([1, issued.key.keyId])
      expect(JSON.stringify(keys)).not.toContain("secret")
    })

    it("lists the loaded plugins", async () => {
      const plugins = await json<{ data: Array<{ id: string }> }>(await call("GET", "/plugins"), 200)
      expect(plugins.data.map((p) => p.id).sort()).toEqual(["atlas-kitchen", "deliverect", "lightspeed"])
    })

    it("keeps an audit entry of every change (who, what, from where, never a secret), paged newest first", async () => {
      const all: Array<{ id: number; action: string; actor: string; address: string | null; tenantId: string | null }> =
        []
      let cursor: string | null = null
      do {
        const page: { data: typeof all; nextCursor: string | null } = await json(
          await call("GET", `/audit?limit=3${cursor === null ? "" : `&cursor=${cursor}`}`),
          200
        )
        expect(page.data.length).toBeLessThanOrEqual(3)
        all.push(...page.data)
        cursor = page.nextCursor
      } while (cursor !== null)
      const ids = all.map((e) => e.id)
      expect(ids).toEqual([...ids].sort((a, b) => b - a))
      expect(new Set(ids).size).toBe(ids.length)
      expect(all.map((e) => e.action).reverse()).toEqual([
        "tenant.create",
        "api-key.issue",
        "tenant.suspend",
        "tenant.reactivate",
        "tenant.create",
        "api-key.issue",
        "api-key.issue",
        "api-key.rotate",
        "api-key.rotate",
        "api-key.revoke",
        "admin-key.issue",
        "admin-key.revoke"
      ])
      // The proxy's client address, as TRUST_PROXY=loopback believes it.
      expect(new Set(all.map((e) => e.address))).toEqual(new Set(["203.0.113.9"]))
      expect(all.at(-1)).toMatchObject({ actor: "admin key 1 (ops)", tenantId: "bistro" })
      const text = JSON.stringify(all)
      for (const secret of secrets) expect(text).not.toContain(secret.split("_").at(-1))

      const rotations = await json<{ data: Array<{ action: string; tenantId: string }> }>(
        await call("GET", "/audit?action=api-key.rotate&tenantId=kiosk"),
        200
      )
      expect(rotations.data.map((e) => e.action)).toEqual(["api-key.rotate", "api-key.rotate"])
      const keyChanges = await json<{ data: Array<{ action: string }> }>(
        await call("GET", "/audit?action=api-key."),
        200
      )
      expect(keyChanges.data).toHaveLength(6)
      await expectEnvelope(await call("GET", "/audit?cursor=nonsense"), 400)
      const first = await json<{ nextCursor: string }>(await call("GET", "/audit?limit=1"), 200)
      // A cursor belongs to its filters.
      await expectEnvelope(await call("GET", `/audit?limit=1&tenantId=kiosk&cursor=${first.nextCursor}`), 400)
    })
  })

for (const adapter of storageAdapters()) {
  if (adapter.available) adminSuite(adapter.name, adapter.layer)
  else describe(`admin API (${adapter.name})`, () => it.skip("SKIPPED: DATABASE_URL is not set", () => {}))
}

describe("admin API under BASE_PATH", () => {
  it("answers under the base path too", async () => {
    const app = await startApp(() => storageAdapters()[0]!.layer(), { basePath: "/pos" })
    try {
      const key = await firstAdminKey(app)
      const response = await send(app, `/pos${admin}/whoami`, { host: "localhost", key })
      expect(response.status).toBe(200)
    } finally {
      await app.close()
    }
  })
})
