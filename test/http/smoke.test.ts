import { afterAll, beforeAll, expect, it } from "vitest"
import { layerMemoryStorage } from "../../adapters/storage/memory/memory-storage.ts"
import type { TenantId } from "../../domain/tenant.ts"
import { call, makeTestApp, type TestApp } from "../support/app.ts"

let app: TestApp
beforeAll(async () => {
  app = await makeTestApp(layerMemoryStorage)
  await app.createTenant({ id: "acme" as TenantId })
})
afterAll(() => app.close())

it("smoke", async () => {
  const { plaintext } = await app.issueKey("acme" as TenantId, { kind: "partner" })
  const r = await call(app, "/api/v1/auth/whoami", { host: "acme.localhost:8080", key: plaintext })
  console.log(r.status, r.headers.get("x-request-id"), await r.text())
  const r2 = await call(app, "/api/v1/auth/whoami", { host: "acme.localhost:8080", key: "bad" })
  console.log(r2.status, await r2.text())
  const r3 = await call(app, "/api/v1/nope", { host: "acme.localhost:8080", key: "bad" })
  console.log(r3.status, await r3.text())
  const r4 = await call(app, "/api/v1/auth/whoami", { method: "POST", host: "acme.localhost:8080", key: "bad" })
  console.log(r4.status, r4.headers.get("allow"), await r4.text())
  const r5 = await call(app, "/healthz")
  console.log(r5.status, await r5.text())
  const r6 = await call(app, "/api/openapi.json")
  console.log(r6.status, (await r6.text()).slice(0, 100))
  const r7 = await call(app, "/docs")
  console.log(r7.status, r7.headers.get("content-type"))
  expect(r.status).toBe(200)
})
