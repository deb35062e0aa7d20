/**
 * The console's routes in process, for what a browser test does not reach: the page's redirect and
 * headers, every refusal of the sign-in, the session cookie's attributes on loopback and elsewhere,
 * the CSRF rule on the admin API and on sign-out, a tampered cookie, a revoked key's session, and
 * the local CLI endpoint without this run's token.
 */
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { layerMemoryStorage } from "../../adapters/storage/memory/memory-storage.ts"
import { issueAdminKey } from "../../application/admin/admin-keys.ts"
import { AdminKeys } from "../../application/ports/admin.ts"
import { contentSecurityPolicy } from "../../runtime/console/routes.ts"
import { localCliPath } from "../../runtime/http/local-admin.ts"
import { expectEnvelope, expectInvalidKey, jsonHeaders, send, tampered, tenantId } from "../http/support/harness.ts"
import { makeTestApp, type TestApp } from "../support/app.ts"

describe("the console's routes", () => {
  let app: TestApp
  let adminKey: string
  let adminKeyId: number

  beforeAll(async () => {
    app = await makeTestApp(layerMemoryStorage)
    const issued = await app.runtime.runPromise(
      issueAdminKey({ name: "console", expiresAt: null, createdBy: "test" }).pipe(Effect.orDie)
    )
    adminKey = issued.plaintext
    adminKeyId = issued.record.id
  })
  afterAll(() => app?.close())

  const signIn = async (host = "localhost") => {
    const response = await send(app, "/admin/session", {
      method: "POST",
      host,
      headers: jsonHeaders,
      body: JSON.stringify({ adminKey })
    })
    expect(response.status).toBe(200)
    const setCookie = response.headers.get("set-cookie") ?? ""
    const body = (await response.json()) as { csrfToken: string; actor: string }
    return { setCookie, cookie: setCookie.split(";")[0]!, csrf: body.csrfToken, actor: body.actor }
  }

  it("sends /admin to /admin/, and serves the page and its files under a strict policy", async () => {
    const redirect = await send(app, "/admin", { host: "localhost" })
    expect(redirect.status).toBe(308)
    expect(redirect.headers.get("location")).toBe("admin/")
    const page = await send(app, "/admin/", { host: "localhost" })
    expect(page.status).toBe(200)
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8")
    expect(page.headers.get("content-security-policy")).toBe(contentSecurityPolicy)
    expect(page.headers.get("x-frame-options")).toBe("DENY")
    expect(await page.text()).toContain('<script type="module" src="console.js"></script>')
    const script = await send(app, "/admin/console.js", { host: "localhost" })
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8")
  })

  it("refuses a sign-in that is not JSON, has no key, or a key that is not a live admin key", async () => {
    const post = (body: string, headers: Record<string, string> = jsonHeaders) =>
      send(app, "/admin/session", { method: "POST", host: "localhost", headers, body })
    await expectEnvelope(await post("{}", { "content-type": "text/plain" }), 415, "unsupported media type")
    await expectEnvelope(await post("not json"), 400, "invalid request")
    await expectEnvelope(await post(JSON.stringify({ key: adminKey })), 400, "invalid request")
    await expectInvalidKey(await post(JSON.stringify({ adminKey: tampered(adminKey) })))
    await app.createTenant({ id: tenantId("signin") })
    const partner = await app.issueKey(tenantId("signin"), { kind: "partner" })
    await expectInvalidKey(await post(JSON.stringify({ adminKey: partner.plaintext })))
  })

  it("answers a session cookie, Secure unless on loopback, and the session's CSRF token", async () => {
    const local = await signIn()
    expect(local.setCookie).toMatch(
      /^pos_admin_session=v1\.\d+\.\d+\.[^;]+; Path=\/admin; HttpOnly; SameSite=Strict; Max-Age=28800$/
    )
    expect(local.actor).toBe(`admin key ${adminKeyId} (console)`)
    const remote = await signIn("admin.example.com")
    expect(remote.setCookie).toContain("; Secure;")
    const session = await send(app, "/admin/session", { host: "localhost", headers: { cookie: local.cookie } })
    expect(((await session.json()) as { csrfToken: string }).csrfToken).toBe(local.csrf)
    await expectInvalidKey(await send(app, "/admin/session", { host: "localhost" }))
    const changed = tampered(local.cookie)
    await expectInvalidKey(await send(app, "/admin/session", { host: "localhost", headers: { cookie: changed } }))
    await expectInvalidKey(await send(app, "/admin/api/v1/whoami", { host: "localhost", headers: { cookie: changed } }))
  })

  it("lets a session read, and change only with its own CSRF token; nothing changes without it", async () => {
    const mine = await signIn()
    const other = await signIn()
    const create = (id: string, headers: Record<string, string>) =>
      send(app, "/admin/api/v1/tenants", {
        method: "POST",
        host: "localhost",
        headers: { ...jsonHeaders, cookie: mine.cookie, ...headers },
        body: JSON.stringify({ tenantId: id })
      })
    expect(
      (await send(app, "/admin/api/v1/whoami", { host: "localhost", headers: { cookie: mine.cookie } })).status
    ).toBe(200)
    await expectEnvelope(await create("csrf-a", {}), 403, "forbidden")
    await expectEnvelope(await create("csrf-a", { "x-csrf-token": other.csrf }), 403, "forbidden")
    const missing = await send(app, "/admin/api/v1/tenants/csrf-a", {
      host: "localhost",
      headers: { cookie: mine.cookie }
    })
    await expectEnvelope(missing, 404, "tenant not found")
    expect((await create("csrf-a", { "x-csrf-token": mine.csrf })).status).toBe(201)
  })

  it("signs out only with the session's token, and clears the cookie", async () => {
    const { cookie, csrf } = await signIn()
    const out = (headers: Record<string, string>) =>
      send(app, "/admin/session", { method: "DELETE", host: "localhost", headers: { cookie, ...headers } })
    await expectEnvelope(await out({}), 403, "forbidden")
    const done = await out({ "x-csrf-token": csrf })
    expect(done.status).toBe(204)
    expect(done.headers.get("set-cookie")).toBe("pos_admin_session=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0")
  })

  it("ends a session when its admin key is revoked", async () => {
    const issued = await app.runtime.runPromise(
      issueAdminKey({ name: "short-lived", expiresAt: null, createdBy: "test" }).pipe(Effect.orDie)
    )
    const response = await send(app, "/admin/session", {
      method: "POST",
      host: "localhost",
      headers: jsonHeaders,
      body: JSON.stringify({ adminKey: issued.plaintext })
    })
    const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0]!
    expect((await send(app, "/admin/api/v1/whoami", { host: "localhost", headers: { cookie } })).status).toBe(200)
    await app.runtime.runPromise(
      Effect.flatMap(AdminKeys, (keys) => keys.revoke(issued.record.id, new Date())).pipe(Effect.orDie)
    )
    await expectInvalidKey(await send(app, "/admin/api/v1/whoami", { host: "localhost", headers: { cookie } }))
    await expectInvalidKey(await send(app, "/admin/session", { host: "localhost", headers: { cookie } }))
  })

  it("refuses the local CLI endpoint where no token was made for this run", async () => {
    await expectInvalidKey(
      await send(app, localCliPath, {
        method: "POST",
        host: "localhost",
        headers: { ...jsonHeaders, authorization: "Bearer posl_anything" },
        body: JSON.stringify({ argv: ["tenant", "list"] })
      })
    )
  })
})
