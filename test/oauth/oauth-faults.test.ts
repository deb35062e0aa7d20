import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { layerMemoryStorage } from "../../adapters/storage/memory/memory-storage.ts"
import {
  captureConsole,
  type Faults,
  faultyStorage,
  startApp,
  storageFaultDetail,
  tenantId
} from "../http/support/harness.ts"
import type { TestApp } from "../support/app.ts"
import { makeClient, tokenByPost } from "./support.ts"

/**
 * The token endpoint when the tenant's database fails: RFC 6749's 503, never the refusal of a
 * client it could not check (an operator would look for a wrong secret), and nothing of the failure
 * (SQL, a password) in the answer; the throttle counts nothing against the client.
 */
describe("the token endpoint with a failing tenant database", () => {
  const faults: Faults = { directory: false, keys: false, oauthClients: false }
  let app: TestApp
  let capture: ReturnType<typeof captureConsole>
  beforeAll(async () => {
    capture = captureConsole()
    app = await startApp(faultyStorage(() => layerMemoryStorage, faults))
    await app.createTenant({ id: tenantId("acme") })
  })
  afterAll(async () => {
    await app?.close()
    capture?.restore()
  })

  it("answers temporarily_unavailable, then serves the client once the database answers", async () => {
    const client = await makeClient(app, "acme")
    faults.oauthClients = true
    for (let i = 0; i < 12; i++) {
      const response = await tokenByPost(app, "acme.localhost", client)
      expect(response.status).toBe(503)
      const text = await response.text()
      expect(JSON.parse(text)).toStrictEqual({
        error: "temporarily_unavailable",
        error_description: "the client could not be checked; retry later"
      })
      expect(text).not.toContain("pg_FAKE_PASSWORD_77")
    }
    expect(capture.text()).toContain(storageFaultDetail.slice(0, 20))
    faults.oauthClients = false
    // Twelve failures of the database are not twelve wrong secrets: no 429.
    expect((await tokenByPost(app, "acme.localhost", client)).status).toBe(200)
  })
})
