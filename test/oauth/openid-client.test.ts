import type { ChildProcess } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { request as httpRequest } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as client from "openid-client"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { tampered } from "../http/support/harness.ts"
import { freePort, requestOf, runAdminProcess, spawnService } from "../support/processes.ts"

/**
 * A client nobody here wrote (openid-client) against the service as `npm start` runs it, embedded,
 * under a BASE_PATH: it discovers the token endpoint from the RFC 8414 metadata (the well-known path
 * with the issuer's path after it), obtains tokens with client_secret_basic and client_secret_post,
 * and calls whoami and a products read with them; a call outside the token's scopes is 403.
 *
 * `*.localhost` is resolved here: every request goes to 127.0.0.1 with the URL's host as Host.
 */

const basePath = "/svc"

/** fetch for openid-client, over node:http to loopback, keeping the URL's host as the Host header. */
const loopbackFetch =
  (port: number): client.CustomFetch =>
  (url, options) =>
    new Promise((done, fail) => {
      const target = new URL(url)
      const headers: Record<string, string> = { host: target.host }
      new Headers(options.headers as ConstructorParameters<typeof Headers>[0]).forEach((value, name) => {
        headers[name] = value
      })
      const request = httpRequest(
        { host: "127.0.0.1", port, method: options.method, path: `${target.pathname}${target.search}`, headers },
        (response) => {
          const chunks: Array<Buffer> = []
          response.on("data", (chunk: Buffer) => chunks.push(chunk))
          response.on("end", () => {
            const answer = new Headers()
            for (const [name, value] of Object.entries(response.headers)) {
              if (typeof value === "string") answer.set(name, value)
              else if (Array.isArray(value)) for (const v of value) answer.append(name, v)
            }
            done(new Response(Buffer.concat(chunks), { status: response.statusCode ?? 0, headers: answer }))
          })
        }
      )
      request.on("error", fail)
      request.end(typeof options.body === "string" ? options.body : options.body?.toString())
    })

describe("openid-client against the running service", () => {
  let dataDir: string
  let port: number
  let service: ChildProcess | undefined
  let env: Record<string, string>
  let log: () => string = () => ""
  let clientId: string
  let clientSecret: string

  const admin = async (method: string, path: string, adminKey: string, body?: unknown) => {
    const response = await requestOf(`http://127.0.0.1:${port}${basePath}${path}`, {
      method,
      headers: { "x-api-key": adminKey, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    return { status: response.status, body: JSON.parse(response.body) as Record<string, unknown> }
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "pos-openid-client-"))
    port = await freePort()
    env = {
      STORAGE: "pglite",
      DATA_DIR: dataDir,
      PORT: String(port),
      BASE_PATH: basePath,
      LOG_LEVEL: "warning",
      DATABASE_URL: ""
    }
    const spawned = spawnService(env)
    service = spawned.child
    log = spawned.log
    const started = Date.now()
    while (!/demo api key: posk_/.test(log())) {
      if (Date.now() - started > 120_000 || service.exitCode !== null) {
        throw new Error(`the service did not start:\n${log()}`)
      }
      await new Promise((done) => setTimeout(done, 200))
    }
    const issued = await runAdminProcess(["admin-key", "issue", "--name", "openid-client test"], env)
    expect(issued.status, issued.stderr).toBe(0)
    const created = await admin("POST", "/admin/api/v1/tenants/demo/oauth-clients", issued.stdout, {
      name: "an outside client",
      scopes: ["products:read", "loyalty:*"]
    })
    expect(created.status).toBe(201)
    clientId = (created.body["client"] as { clientId: string }).clientId
    clientSecret = String(created.body["clientSecret"])
  }, 180_000)

  afterAll(async () => {
    if (service !== undefined && service.exitCode === null) {
      service.kill("SIGTERM")
      await new Promise((done) => service?.once("exit", done))
    }
    rmSync(dataDir, { recursive: true, force: true })
  })

  const configure = async (authentication: client.ClientAuth) => {
    const issuer = new URL(`http://demo.localhost:${port}${basePath}`)
    const config = await client.discovery(issuer, clientId, undefined, authentication, {
      algorithm: "oauth2",
      execute: [client.allowInsecureRequests],
      [client.customFetch]: loopbackFetch(port)
    })
    config[client.customFetch] = loopbackFetch(port)
    return config
  }

  const call = (path: string, token: string) =>
    requestOf(`http://127.0.0.1:${port}${basePath}${path}`, {
      method: "GET",
      headers: { host: `demo.localhost:${port}`, authorization: `Bearer ${token}` }
    })

  it.each([
    ["client_secret_basic", () => client.ClientSecretBasic(clientSecret)],
    ["client_secret_post", () => client.ClientSecretPost(clientSecret)]
  ] as const)("discovers the token endpoint and gets a token with %s", { timeout: 30_000 }, async (_method, auth) => {
    const config = await configure(auth())
    const metadata = config.serverMetadata()
    expect(metadata.issuer).toBe(`http://demo.localhost:${port}${basePath}`)
    expect(metadata.token_endpoint).toBe(`http://demo.localhost:${port}${basePath}/oauth/token`)
    const tokens = await client.clientCredentialsGrant(config, { scope: "products:read loyalty:read" })
    expect(tokens.token_type.toLowerCase()).toBe("bearer")
    expect(tokens.scope).toBe("products:read loyalty:read")
    expect(tokens.expiresIn()).toBeGreaterThan(800)

    const whoami = await call("/api/v1/auth/whoami", tokens.access_token)
    expect(whoami.status).toBe(200)
    expect(JSON.parse(whoami.body)).toMatchObject({
      tenantId: "demo",
      scheme: "bearer",
      clientId,
      scopes: ["products:read", "loyalty:read"]
    })
    const products = await call("/api/v1/products?limit=5", tokens.access_token)
    expect(products.status).toBe(200)
    expect(Array.isArray(JSON.parse(products.body).data)).toBe(true)
    const outlets = await call("/api/v1/outlets", tokens.access_token)
    expect(outlets.status).toBe(403)
  })

  it("a wrong secret is openid-client's invalid_client error", { timeout: 30_000 }, async () => {
    const config = await configure(client.ClientSecretPost(tampered(clientSecret)))
    await expect(client.clientCredentialsGrant(config)).rejects.toMatchObject({ error: "invalid_client", status: 401 })
  })

  it("asking beyond the client's scopes is openid-client's invalid_scope error", { timeout: 30_000 }, async () => {
    const config = await configure(client.ClientSecretBasic(clientSecret))
    await expect(client.clientCredentialsGrant(config, { scope: "orders:write" })).rejects.toMatchObject({
      error: "invalid_scope",
      status: 400
    })
  })
})
