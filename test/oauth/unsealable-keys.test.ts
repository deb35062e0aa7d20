import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { emptyKeyRing } from "../../adapters/crypto/credential-sealer.ts"
import { adminCalls, firstAdminKey } from "../admin/support.ts"
import { send, startApp, tenantId } from "../http/support/harness.ts"
import type { TestApp } from "../support/app.ts"
import { layerScratchPostgres } from "../support/storage-adapters.ts"
import { makeClient, tokenByPost } from "./support.ts"

const url = process.env["DATABASE_URL"] ?? ""

/**
 * PostgreSQL without CREDENTIALS_KEYS: no signing key can be sealed, so none is ever published.
 * The service still starts and serves keys; the token endpoint answers RFC 6749's 503 and an
 * operator publishing a key is told what to set.
 */
describe.skipIf(url === "")("OAuth on PostgreSQL without CREDENTIALS_KEYS", () => {
  let app: TestApp
  beforeAll(async () => {
    const none = emptyKeyRing("CREDENTIALS_KEYS", "CREDENTIALS_KEYS is not set")
    app = await startApp(() => layerScratchPostgres(url, 1, none))
    await app.createTenant({ id: tenantId("acme") })
  }, 60_000)
  afterAll(async () => {
    await app?.close()
  })

  it("answers temporarily_unavailable at the token endpoint, publishes no key, and tells the operator", async () => {
    const client = await makeClient(app, "acme")
    const response = await tokenByPost(app, "acme.localhost", client)
    expect(response.status).toBe(503)
    expect(response.headers.get("cache-control")).toBe("no-store")
    expect(await response.json()).toStrictEqual({
      error: "temporarily_unavailable",
      error_description: "tokens cannot be signed right now; retry later"
    })
    const jwks = await send(app, "/.well-known/jwks.json", { host: "localhost" })
    expect(await jwks.json()).toStrictEqual({ keys: [] })

    const adminKey = await firstAdminKey(app)
    const admin = adminCalls(
      () => app,
      () => adminKey
    )
    const refused = await admin.json(await admin.call("POST", "/oauth/signing-keys/rotate"), 503)
    expect(refused).toStrictEqual({
      error: {
        code: 503,
        message: "not configured",
        details: "signing keys cannot be sealed: set CREDENTIALS_KEYS (see README.md, Credentials)"
      }
    })
    expect(await admin.json(await admin.call("GET", "/oauth/signing-keys"), 200)).toStrictEqual({ data: [] })
  })
})
