/**
 * POS credentials set through the admin API where no key can seal them (PostgreSQL without
 * CREDENTIALS_KEYS; here PGlite given an empty key ring): a 409 saying so, never a 500, and
 * nothing stored.
 */
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { emptyKeyRing } from "../../adapters/crypto/credential-sealer.ts"
import { layerPgliteStorage } from "../../adapters/storage/pglite/pglite-storage.ts"
import { issueAdminKey } from "../../application/admin/admin-keys.ts"
import { outletId } from "../../domain/ids.ts"
import outletsBatch from "../../plugins/deliverect/fixtures/outlets-batch.json" with { type: "json" }
import { expectEnvelope, tenantId } from "../http/support/harness.ts"
import { call, makeTestApp, type TestApp } from "../support/app.ts"
import { pgliteTemplate } from "../support/pglite-template.ts"

describe("admin API credentials without a sealing key", () => {
  let app: TestApp
  let adminKey: string
  const store = outletId("deliverect", "649ad021949cfa36470f9ea9")

  beforeAll(async () => {
    app = await makeTestApp(
      layerPgliteStorage({
        dataDir: undefined,
        tenantPoolSize: 1,
        credentialKeys: emptyKeyRing("CREDENTIALS_KEYS", "CREDENTIALS_KEYS is not set"),
        template: pgliteTemplate()
      }),
      { settings: { posPlugins: ["@pos-integration/plugin-deliverect"] } }
    )
    await app.createTenant({ id: tenantId("acme") })
    const pos = await app.issueKey(tenantId("acme"), { kind: "pos" })
    const synced = await call(app, "/api/v1/outlets/sync", {
      method: "POST",
      host: "acme.localhost",
      key: pos.plaintext,
      headers: { "content-type": "application/json", "x-provider": "deliverect" },
      body: JSON.stringify(outletsBatch)
    })
    expect(synced.status).toBe(200)
    adminKey = await app.runtime.runPromise(
      issueAdminKey({ name: "ops", expiresAt: null, createdBy: "test" }).pipe(
        Effect.map((issued) => issued.plaintext),
        Effect.orDie
      )
    )
  }, 60_000)
  afterAll(() => app?.close())

  it("answers 409 `credentials cannot be stored`, naming the missing keys, and stores nothing", async () => {
    const secret = "client-secret-never-echoed-42"
    const response = await call(app, `/admin/api/v1/tenants/acme/outlets/${store}/credentials`, {
      method: "PUT",
      host: "localhost",
      key: adminKey,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ channelName: "acme", clientId: "c", clientSecret: secret, webhookSecret: "w" })
    })
    const { text, error } = await expectEnvelope(response, 409, "credentials cannot be stored")
    expect(error.details).toContain("CREDENTIALS_KEYS is not set")
    expect(text).not.toContain(secret)
    const outlets = await call(app, "/admin/api/v1/tenants/acme/outlets", { host: "localhost", key: adminKey })
    const row = ((await outlets.json()) as { data: Array<{ outletId: string; credentials: string }> }).data.find(
      (o) => o.outletId === store
    )
    expect(row?.credentials).toBe("missing")
  })
})
