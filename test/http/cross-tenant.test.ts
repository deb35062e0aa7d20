import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { TenantId } from "../../domain/tenant.ts"
import { freshTenantId } from "../storage/contract.ts"
import { call, makeTestApp, type TestApp } from "../support/app.ts"
import { storageAdapters } from "../support/storage-adapters.ts"

for (const adapter of storageAdapters()) {
  const suite = adapter.available ? describe : describe.skip
  suite(`cross-tenant isolation (${adapter.name})`, () => {
    let app: TestApp
    let a: TenantId
    let b: TenantId
    let keyA: string
    let keyB: string
    beforeAll(async () => {
      app = await makeTestApp(adapter.layer())
      a = freshTenantId("a")
      b = freshTenantId("b")
      await app.createTenant({ id: a })
      await app.createTenant({ id: b })
      keyA = (await app.issueKey(a, { kind: "partner", name: "key of a" })).plaintext
      keyB = (await app.issueKey(b, { kind: "partner", name: "key of b" })).plaintext
    }, 60_000)
    afterAll(() => app?.close())

    const whoami = (tenant: TenantId, key: string) =>
      call(app, "/api/v1/auth/whoami", { host: `${tenant}.localhost:8080`, key })

    it("answers each tenant's own key on its own host", async () => {
      const [ra, rb] = await Promise.all([whoami(a, keyA), whoami(b, keyB)])
      expect(await ra.json()).toMatchObject({ tenantId: a, name: "key of a" })
      expect(await rb.json()).toMatchObject({ tenantId: b, name: "key of b" })
    })

    it("refuses tenant A's key on tenant B's host with the invalid-key 401, though both have a key id 1", async () => {
      expect(keyA.split("_")[1]).toBe(keyB.split("_")[1])
      const response = await whoami(b, keyA)
      expect(response.status).toBe(401)
      expect(await response.text()).toBe(
        '{"error":{"code":401,"message":"invalid api key","details":"the provided X-Api-Key is invalid or expired"}}'
      )
    })

    it("keeps tenants apart when their requests interleave", async () => {
      const requests = Array.from({ length: 120 }, (_, i) => {
        const tenant = i % 2 === 0 ? a : b
        const own = i % 3 !== 0
        const key = tenant === a ? (own ? keyA : keyB) : own ? keyB : keyA
        return { tenant, own, promise: whoami(tenant, key) }
      })
      for (const request of requests) {
        const response = await request.promise
        if (request.own) {
          expect(response.status).toBe(200)
          const body = (await response.json()) as { tenantId: string; name: string }
          expect(body.tenantId).toBe(request.tenant)
          expect(body.name).toBe(`key of ${request.tenant === a ? "a" : "b"}`)
        } else {
          expect(response.status).toBe(401)
        }
      }
    })
  })
}
