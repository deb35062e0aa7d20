import { it } from "vitest"
import { layerMemoryStorage } from "../../adapters/storage/memory/memory-storage.ts"
import type { TenantId } from "../../domain/tenant.ts"
import { makeTestApp } from "../support/app.ts"
import { TestRoutes } from "./support/echo-group.ts"

it("probe", async () => {
  const app = await makeTestApp(layerMemoryStorage, { routes: TestRoutes, settings: { logLevel: "debug", basePath: "/service/pos-integration" } })
  await app.createTenant({ id: "acme" as TenantId })
  const { plaintext } = await app.issueKey("acme" as TenantId, { kind: "partner" })
  const show = async (label: string, r: Response) => console.log(label, r.status, JSON.stringify([...r.headers]), (await r.text()).slice(0, 300))
  const stream = (total: number, state: { pulled: number }) => {
    let sent = 0
    return new ReadableStream<Uint8Array>({
      pull(c) {
        state.pulled++
        if (sent >= total) return c.close()
        const n = Math.min(65536, total - sent)
        sent += n
        c.enqueue(new Uint8Array(n).fill(32))
      }
    }, { highWaterMark: 0 })
  }
  for (const [label, key, ct] of [["nokey", "bad", "application/json"], ["ok", plaintext, "application/json"], ["ok text", plaintext, "text/plain"]] as const) {
    const state = { pulled: 0 }
    const r = await app.handler(new Request("http://acme.localhost/api/v1/test/echo", { method: "POST", headers: { host: "acme.localhost", "x-api-key": key, "content-type": ct }, body: stream(20 * 1024 * 1024, state), duplex: "half" } as RequestInit))
    await show(label + " pulled=" + state.pulled, r)
    console.log("after", state.pulled)
  }
  const r = await app.handler(new Request("http://x/service/pos-integration/api/v1/auth/whoami", { headers: { host: "acme.localhost", "x-api-key": plaintext } }))
  await show("base", r)
  await show("base healthz", await app.handler(new Request("http://x/service/pos-integration/healthz")))
  await show("base docs", await app.handler(new Request("http://x/service/pos-integration/docs")).then(r => new Response((r.status + r.headers.get("content-type")!))))
  await show("base openapi", await app.handler(new Request("http://x/service/pos-integration/api/openapi.json")))
  await show("base x", await app.handler(new Request("http://x/service/pos-integrationx/healthz")))
  await show("base only", await app.handler(new Request("http://x/service/pos-integration")))
  await show("xfh none", await app.handler(new Request("http://x/api/v1/auth/whoami", { headers: { host: "nope.localhost", "x-forwarded-host": "acme.localhost", "x-api-key": plaintext } })))
  await app.close()
})
