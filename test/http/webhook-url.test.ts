import { createHmac } from "node:crypto"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { PosCredentialStore } from "../../application/ports/pos-credentials.ts"
import { outletId } from "../../domain/ids.ts"
import type { TenantId } from "../../domain/tenant.ts"
import { layerMemoryStorage } from "../../adapters/storage/memory/memory-storage.ts"
import type { AppSettings } from "../../runtime/config.ts"
import { call, makeTestApp, type TestApp } from "../support/app.ts"

const key = "square-like-signature-key"
const body = JSON.stringify({ mode: "BUSY" })
/** What the vendor signs: the URL it called, then the body (base64 HMAC-SHA256). */
const sign = (url: string) =>
  createHmac("sha256", key)
    .update(url + body)
    .digest("base64")

/**
 * A plugin that signs the notification URL can only be verified if the URL it is handed is the one
 * the vendor called: scheme and host as the vendor saw them (behind a trusted proxy too), with the
 * service's BASE_PATH and the query as sent.
 */
describe("the URL a webhook was called at", () => {
  const apps: Array<TestApp> = []
  const start = async (settings: Partial<AppSettings>) => {
    const app = await makeTestApp(layerMemoryStorage, {
      settings: { posPlugins: ["./test/fixtures/url-signing-plugin"], ...settings }
    })
    apps.push(app)
    const tenant = "acme" as TenantId
    await app.createTenant({ id: tenant })
    const posKey = (await app.issueKey(tenant, { kind: "pos" })).plaintext
    const synced = await call(app, `${settings.basePath ?? ""}/api/v1/outlets/sync`, {
      method: "POST",
      host: "acme.localhost",
      key: posKey,
      headers: { "content-type": "application/json", "x-provider": "urlsigned" },
      body: JSON.stringify({ shops: ["S1"] })
    })
    expect(synced.status).toBe(200)
    await app.inTenant(
      tenant,
      Effect.flatMap(PosCredentialStore, (store) =>
        store.setOutlet(outletId("urlsigned", "S1"), JSON.stringify({ signatureKey: key }))
      )
    )
    return app
  }
  const post = (app: TestApp, path: string, signature: string, headers: Record<string, string> = {}) =>
    call(app, path, {
      method: "POST",
      host: "acme.localhost",
      headers: { "content-type": "application/json", "x-signature": signature, ...headers },
      body
    })
  let direct: TestApp
  let proxied: TestApp
  beforeAll(async () => {
    direct = await start({ basePath: "/svc" })
    proxied = await start({ basePath: "/svc", trustProxy: { _tag: "all" } })
  })
  afterAll(async () => {
    for (const app of apps) await app.close()
  })

  it("hands the plugin the URL as called, BASE_PATH and query included", async () => {
    const path = "/svc/api/v1/pos/urlsigned/webhooks?shop=S1&attempt=2"
    const ok = await post(direct, path, sign(`http://acme.localhost${path}`))
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ delivery: "applied", events: 1 })
    // Signed for the URL without the base path: not the URL the vendor called.
    const stripped = await post(
      direct,
      path,
      sign("http://acme.localhost/api/v1/pos/urlsigned/webhooks?shop=S1&attempt=2")
    )
    expect(stripped.status).toBe(401)
  })

  it("believes X-Forwarded-Proto and -Host only from a trusted proxy", async () => {
    const path = "/svc/api/v1/pos/urlsigned/webhooks?shop=S1&attempt=3"
    const vendorUrl = `https://acme.localhost${path}`
    const forwarded = { "x-forwarded-proto": "https", "x-forwarded-host": "acme.localhost" }
    expect((await post(proxied, path, sign(vendorUrl), forwarded)).status).toBe(200)
    // Without TRUST_PROXY the headers are anyone's: the URL stays http, and the https signature fails.
    const untrusted = await post(direct, path, sign(vendorUrl), forwarded)
    expect(untrusted.status).toBe(401)
    expect(((await untrusted.json()) as { error: { message: string } }).error.message).toBe("webhook not verified")
  })

  it("answers 400 when the URL does not name the shop, and 401 when a query parameter was changed", async () => {
    const missing = await post(direct, "/svc/api/v1/pos/urlsigned/webhooks", sign("x"))
    expect(missing.status).toBe(400)
    const signedFor = "http://acme.localhost/svc/api/v1/pos/urlsigned/webhooks?shop=S1&attempt=4"
    const changed = await post(direct, "/svc/api/v1/pos/urlsigned/webhooks?shop=S1&attempt=5", sign(signedFor))
    expect(changed.status).toBe(401)
  })
})
