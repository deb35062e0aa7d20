import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  createSuspendedTenant,
  fakeKey,
  invalidKeyBody,
  type MakeStorage,
  send,
  startApp,
  tenantId
} from "../http/support/harness.ts"
import type { TestApp } from "../support/app.ts"
import {
  accessToken,
  basicHeader,
  bearer,
  foreignKey,
  forge,
  formType,
  makeClient,
  revoke,
  rotate,
  signingKeyOf,
  tokenByBasic,
  tokenByPost,
  unsigned
} from "./support.ts"

const acme = "acme.localhost"
const globex = "globex.localhost"
const whoami = "/api/v1/auth/whoami"
const issuer = "http://acme.localhost:8080"
const audience = "http://acme.localhost:8080/api"

const json = async (response: Response) => (await response.json()) as Record<string, unknown>

/**
 * OAuth 2.0 client credentials as a partner meets it: the token endpoint (RFC 6749 section 4.4 and
 * its JSON errors), the access token (RFC 9068) on partner routes beside API keys, the metadata
 * (RFC 8414) and the key set (RFC 7517).
 */
export const oauthSuite = (name: string, makeStorage: MakeStorage) =>
  describe(`OAuth 2.0 (${name})`, () => {
    let app: TestApp
    let client: Awaited<ReturnType<typeof makeClient>>
    let partnerKey: string
    let invalidClientBody: string

    beforeAll(async () => {
      app = await startApp(makeStorage, { trustProxy: { _tag: "all" } })
      await app.createTenant({ id: tenantId("acme") })
      await app.createTenant({ id: tenantId("globex") })
      await createSuspendedTenant(app, "dormant")
      client = await makeClient(app, "acme", { scopes: ["outlets:read", "products:read", "loyalty:*"] })
      partnerKey = (await app.issueKey(tenantId("acme"), { kind: "partner" })).plaintext
      const refused = await tokenByPost(app, acme, { id: client.id, secret: `${client.secret}x` })
      invalidClientBody = await refused.text()
    })
    afterAll(async () => {
      await app?.close()
    })

    describe("the token endpoint", () => {
      it("issues a token for client_secret_post, never cached", async () => {
        const response = await tokenByPost(app, acme, client)
        expect(response.status).toBe(200)
        expect(response.headers.get("content-type")).toBe("application/json")
        expect(response.headers.get("cache-control")).toBe("no-store")
        const body = await json(response)
        expect(body).toStrictEqual({
          access_token: expect.any(String),
          token_type: "Bearer",
          expires_in: 900,
          scope: "outlets:read products:read loyalty:read loyalty:write"
        })
      })

      it("issues a token for client_secret_basic", async () => {
        const response = await tokenByBasic(app, acme, client)
        expect(response.status).toBe(200)
        expect((await json(response))["token_type"]).toBe("Bearer")
      })

      it("a token is an RFC 9068 JWT with the claims, signed by a published key", async () => {
        const token = await accessToken(app, acme, client)
        expect(decodeProtectedHeader(token)).toMatchObject({ alg: "EdDSA", typ: "at+jwt", kid: expect.any(String) })
        const jwks = await json(await send(app, "/.well-known/jwks.json", { host: "localhost" }))
        const { payload } = await jwtVerify(token, createLocalJWKSet(jwks as never), {
          issuer,
          audience,
          typ: "at+jwt"
        })
        expect(payload).toMatchObject({
          sub: client.id,
          client_id: client.id,
          tenant_id: "acme",
          scope: "outlets:read products:read loyalty:read loyalty:write"
        })
        expect(typeof payload.jti).toBe("string")
        expect(payload.exp! - payload.iat!).toBe(900)
      })

      it("narrows the scopes to those asked for; loyalty:* is both loyalty scopes", async () => {
        const narrow = await json(await tokenByPost(app, acme, client, { scope: "products:read" }))
        expect(narrow["scope"]).toBe("products:read")
        const loyalty = await json(await tokenByPost(app, acme, client, { scope: "loyalty:*" }))
        expect(loyalty["scope"]).toBe("loyalty:read loyalty:write")
      })

      it.each([
        ["a scope the client lacks", "orders:write", "not granted to this client: orders:write"],
        ["an unknown scope", "products:read pizza:eat", "unknown scope 'pizza:eat'"],
        ["a word that names an object's member", "constructor __proto__", "unknown scope 'constructor', '__proto__'"]
      ])("refuses %s: invalid_scope", async (_label, scope, description) => {
        const response = await tokenByPost(app, acme, client, { scope })
        expect(response.status).toBe(400)
        expect(await json(response)).toStrictEqual({ error: "invalid_scope", error_description: description })
      })

      it.each([
        ["no grant_type", "client_id=posc_1&client_secret=x", 400, "invalid_request"],
        ["another grant", "grant_type=password&username=a&password=b", 400, "unsupported_grant_type"],
        ["a parameter twice", "grant_type=client_credentials&grant_type=client_credentials", 400, "invalid_request"]
      ])("answers RFC 6749 errors: %s", async (_label, body, status, error) => {
        const response = await send(app, "/oauth/token", { method: "POST", host: acme, headers: formType, body })
        expect(response.status).toBe(status)
        expect(response.headers.get("cache-control")).toBe("no-store")
        expect((await json(response))["error"]).toBe(error)
      })

      it("needs a form body: JSON is invalid_request", async () => {
        const response = await send(app, "/oauth/token", {
          method: "POST",
          host: acme,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ grant_type: "client_credentials" })
        })
        expect(response.status).toBe(400)
        expect(await json(response)).toStrictEqual({
          error: "invalid_request",
          error_description: "Content-Type: expected application/x-www-form-urlencoded"
        })
      })

      it("refuses two client authentication methods at once", async () => {
        const response = await send(app, "/oauth/token", {
          method: "POST",
          host: acme,
          headers: { ...formType, authorization: basicHeader(client.id, client.secret) },
          body: new URLSearchParams({ grant_type: "client_credentials", client_secret: client.secret }).toString()
        })
        expect(response.status).toBe(400)
        expect((await json(response))["error"]).toBe("invalid_request")
      })

      it("a body over 16 KiB is refused before any client is checked", async () => {
        const response = await send(app, "/oauth/token", {
          method: "POST",
          host: acme,
          headers: formType,
          body: `grant_type=client_credentials&pad=${"x".repeat(20_000)}`
        })
        expect(response.status).toBe(413)
        expect((await json(response))["error"]).toBe("invalid_request")
      })

      it("other methods are 405 in our envelope", async () => {
        const response = await send(app, "/oauth/token", { host: acme })
        expect(response.status).toBe(405)
        expect(response.headers.get("allow")).toBe("POST")
      })

      describe("every failed client authentication is the same invalid_client", () => {
        it("is RFC 6749's JSON", () => {
          expect(JSON.parse(invalidClientBody)).toStrictEqual({
            error: "invalid_client",
            error_description: "client authentication failed"
          })
        })
        const cases: ReadonlyArray<
          readonly [string, () => Promise<{ host: string; id: string; secret: string; address: string }>]
        > = [
          [
            "a wrong secret",
            async () => ({ host: acme, id: client.id, secret: "poscs_" + "A".repeat(40), address: "10.0.0.1" })
          ],
          [
            "an unknown client",
            async () => ({ host: acme, id: "posc_99999", secret: client.secret, address: "10.0.0.2" })
          ],
          [
            "a malformed client id",
            async () => ({ host: acme, id: "nobody", secret: client.secret, address: "10.0.0.3" })
          ],
          ["a malformed secret", async () => ({ host: acme, id: client.id, secret: "hunter2", address: "10.0.0.4" })],
          [
            "another tenant's client",
            async () => ({ host: globex, id: client.id, secret: client.secret, address: "10.0.0.5" })
          ],
          [
            "an unknown tenant",
            async () => ({ host: "nowhere.localhost", id: client.id, secret: client.secret, address: "10.0.0.6" })
          ],
          [
            "a suspended tenant",
            async () => ({ host: "dormant.localhost", id: client.id, secret: client.secret, address: "10.0.0.7" })
          ],
          [
            "a host naming no tenant",
            async () => ({ host: "localhost", id: client.id, secret: client.secret, address: "10.0.0.8" })
          ],
          [
            "a revoked client",
            async () => {
              const gone = await makeClient(app, "acme")
              await revoke(app, "acme", gone.id)
              return { host: acme, id: gone.id, secret: gone.secret, address: "10.0.0.9" }
            }
          ],
          [
            "an expired client",
            async () => {
              const brief = await makeClient(app, "acme", { expiresAt: new Date(Date.now() + 300) })
              await new Promise((resolve) => setTimeout(resolve, 400))
              return { host: acme, id: brief.id, secret: brief.secret, address: "10.0.0.10" }
            }
          ]
        ]
        it.each(cases)("%s: the same 401 bytes (post), Basic challenged", async (_label, make) => {
          const input = await make()
          const posted = await send(app, "/oauth/token", {
            method: "POST",
            host: input.host,
            headers: { ...formType, "x-forwarded-for": input.address },
            body: new URLSearchParams({
              grant_type: "client_credentials",
              client_id: input.id,
              client_secret: input.secret
            }).toString()
          })
          expect(posted.status).toBe(401)
          expect(await posted.text()).toBe(invalidClientBody)
          expect(posted.headers.get("www-authenticate")).toBeNull()
          const basic = await send(app, "/oauth/token", {
            method: "POST",
            host: input.host,
            headers: {
              ...formType,
              "x-forwarded-for": input.address,
              authorization: basicHeader(input.id, input.secret)
            },
            body: "grant_type=client_credentials"
          })
          expect(basic.status).toBe(401)
          expect(await basic.text()).toBe(invalidClientBody)
          expect(basic.headers.get("www-authenticate")).toBe('Basic realm="pos-integration"')
        })
      })

      it("throttles a client's failures per address: 429, then the right secret from elsewhere still works", async () => {
        const target = await makeClient(app, "acme")
        const from = (address: string, secret: string) =>
          send(app, "/oauth/token", {
            method: "POST",
            host: acme,
            headers: { ...formType, "x-forwarded-for": address },
            body: new URLSearchParams({
              grant_type: "client_credentials",
              client_id: target.id,
              client_secret: secret
            }).toString()
          })
        for (let i = 0; i < 10; i++) expect((await from("203.0.113.9", `poscs_${"B".repeat(40)}`)).status).toBe(401)
        const throttled = await from("203.0.113.9", target.secret)
        expect(throttled.status).toBe(429)
        expect(Number(throttled.headers.get("retry-after"))).toBeGreaterThan(0)
        expect((await json(throttled))["error"]).toBe("temporarily_unavailable")
        expect((await from("198.51.100.4", target.secret)).status).toBe(200)
      })

      it("rotation: both secrets work during the overlap; an overlap of 0 stops the old one at once", async () => {
        const rotating = await makeClient(app, "acme")
        const first = await rotate(app, "acme", rotating.id, 3600)
        expect((await tokenByPost(app, acme, rotating)).status).toBe(200)
        expect((await tokenByPost(app, acme, { id: rotating.id, secret: first.secret })).status).toBe(200)
        const second = await rotate(app, "acme", rotating.id, 0)
        expect((await tokenByPost(app, acme, { id: rotating.id, secret: first.secret })).status).toBe(401)
        expect((await tokenByPost(app, acme, rotating)).status).toBe(401)
        expect((await tokenByPost(app, acme, { id: rotating.id, secret: second.secret })).status).toBe(200)
      })
    })

    describe("access tokens on partner routes", () => {
      it("whoami reports the scheme, the client, the scopes and the token's expiry", async () => {
        const token = await accessToken(app, acme, client, { scope: "products:read" })
        const response = await bearer(app, whoami, acme, token)
        expect(response.status).toBe(200)
        const body = await json(response)
        expect(body).toMatchObject({
          authenticated: true,
          tenantId: "acme",
          scheme: "bearer",
          apiKeyId: null,
          clientId: client.id,
          scopes: ["products:read"]
        })
        const expiresAt = Date.parse(String(body["expiresAt"]))
        expect(expiresAt - Date.now()).toBeGreaterThan(890_000)
        expect(expiresAt - Date.now()).toBeLessThanOrEqual(900_000)
      })

      it("a key's whoami says apiKey", async () => {
        const body = await json(await send(app, whoami, { host: acme, key: partnerKey }))
        expect(body).toMatchObject({ scheme: "apiKey", clientId: null, apiKeyId: expect.any(Number) })
      })

      it("reads products with products:read; a route outside the token's scopes is 403 with RFC 6750's challenge", async () => {
        const token = await accessToken(app, acme, client, { scope: "products:read" })
        expect((await bearer(app, "/api/v1/products", acme, token)).status).toBe(200)
        const refused = await bearer(app, "/api/v1/outlets", acme, token)
        expect(refused.status).toBe(403)
        expect(await json(refused)).toStrictEqual({
          error: { code: 403, message: "forbidden", details: "this access token lacks the scope 'outlets:read'" }
        })
        expect(refused.headers.get("www-authenticate")).toBe(
          'Bearer realm="pos-integration", error="insufficient_scope", scope="outlets:read"'
        )
      })

      it("never on admin routes", async () => {
        const token = await accessToken(app, acme, client)
        const response = await send(app, "/admin/api/v1/tenants", {
          host: "localhost",
          headers: { authorization: `Bearer ${token}` }
        })
        expect(response.status).toBe(401)
      })

      describe("every refused token is the invalid key's 401 bytes, with invalid_token", () => {
        const now = () => Math.floor(Date.now() / 1000)
        const claims = (overrides: Record<string, unknown> = {}) => ({
          iss: issuer,
          aud: audience,
          sub: client.id,
          client_id: client.id,
          tenant_id: "acme",
          scope: "products:read",
          jti: crypto.randomUUID(),
          iat: now(),
          exp: now() + 600,
          ...overrides
        })
        const cases: ReadonlyArray<readonly [string, () => Promise<string>]> = [
          [
            "expired",
            async () => forge({ ...(await signingKeyOf(app)), claims: claims({ iat: now() - 1000, exp: now() - 60 }) })
          ],
          [
            "tampered",
            async () => {
              const token = await accessToken(app, acme, client, { scope: "products:read" })
              const [header, payload, signature] = token.split(".")
              const widened = JSON.parse(Buffer.from(payload!, "base64url").toString())
              widened.scope = "products:read outlets:read"
              return `${header}.${Buffer.from(JSON.stringify(widened)).toString("base64url")}.${signature}`
            }
          ],
          [
            "another tenant's",
            async () => {
              const globexClient = await makeClient(app, "globex")
              return accessToken(app, globex, globexClient)
            }
          ],
          [
            "another tenant's claim under this tenant's issuer",
            async () => forge({ ...(await signingKeyOf(app)), claims: claims({ tenant_id: "globex" }) })
          ],
          [
            "for another audience",
            async () =>
              forge({ ...(await signingKeyOf(app)), claims: claims({ aud: "https://elsewhere.example/api" }) })
          ],
          [
            "from another issuer",
            async () => forge({ ...(await signingKeyOf(app)), claims: claims({ iss: "http://evil.localhost:8080" }) })
          ],
          [
            "not an access token (typ JWT)",
            async () => forge({ ...(await signingKeyOf(app)), typ: "JWT", claims: claims() })
          ],
          [
            "signed by a key we never published, under a known kid",
            async () => forge({ key: await foreignKey(), kid: (await signingKeyOf(app)).kid, claims: claims() })
          ],
          [
            "naming an unknown kid",
            async () => forge({ key: await foreignKey(), kid: "20260101-nobody", claims: claims() })
          ],
          ["alg: none", async () => unsigned((await signingKeyOf(app)).kid, claims())],
          [
            "without a scope claim",
            async () => {
              const { scope: _, ...rest } = claims()
              return forge({ ...(await signingKeyOf(app)), claims: rest })
            }
          ],
          [
            "of a revoked client",
            async () => {
              const doomed = await makeClient(app, "acme")
              const token = await accessToken(app, acme, doomed)
              expect((await bearer(app, whoami, acme, token)).status).toBe(200)
              await revoke(app, "acme", doomed.id)
              return token
            }
          ],
          ["malformed", async () => "not.a.jwt"],
          ["far too long", async () => `${"a".repeat(5000)}.b.c`]
        ]
        it.each(cases)("%s", async (_label, make) => {
          const token = await make()
          const response = await bearer(app, whoami, acme, token)
          expect(response.status).toBe(401)
          expect(await response.text()).toBe(invalidKeyBody)
          expect(response.headers.get("www-authenticate")).toBe('Bearer realm="pos-integration", error="invalid_token"')
        })

        it("a key and a token together, both valid: the same 401", async () => {
          const token = await accessToken(app, acme, client)
          const response = await bearer(app, whoami, acme, token, { "x-api-key": partnerKey })
          expect(response.status).toBe(401)
          expect(await response.text()).toBe(invalidKeyBody)
        })

        it("a bad key is the same body, challenged without invalid_token", async () => {
          const response = await send(app, whoami, { host: acme, key: fakeKey(3) })
          expect(await response.text()).toBe(invalidKeyBody)
          expect(response.headers.get("www-authenticate")).toBe('Bearer realm="pos-integration"')
        })

        it("a token on an unknown tenant's host: the same 401", async () => {
          const token = await accessToken(app, acme, client)
          const response = await bearer(app, whoami, "nowhere.localhost", token)
          expect(await response.text()).toBe(invalidKeyBody)
          expect(response.headers.get("www-authenticate")).toBe('Bearer realm="pos-integration", error="invalid_token"')
        })
      })
    })

    describe("metadata and keys", () => {
      it("serves RFC 8414 metadata on a tenant's host, existing or not", async () => {
        for (const host of [acme, "nowhere.localhost"]) {
          const response = await send(app, "/.well-known/oauth-authorization-server", { host })
          expect(response.status).toBe(200)
          const label = host.split(".")[0]
          expect(await json(response)).toMatchObject({
            issuer: `http://${label}.localhost:8080`,
            token_endpoint: `http://${label}.localhost:8080/oauth/token`,
            jwks_uri: `http://${label}.localhost:8080/.well-known/jwks.json`,
            grant_types_supported: ["client_credentials"],
            token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"]
          })
        }
      })

      it("a host naming no tenant has no metadata: 404", async () => {
        expect((await send(app, "/.well-known/oauth-authorization-server", { host: "localhost" })).status).toBe(404)
      })

      it("publishes public keys only", async () => {
        const response = await send(app, "/.well-known/jwks.json", { host: "anything.example" })
        expect(response.status).toBe(200)
        expect(response.headers.get("cache-control")).toMatch(/^public, max-age=\d+$/)
        const { keys } = (await response.json()) as { keys: Array<Record<string, unknown>> }
        expect(keys.length).toBeGreaterThan(0)
        for (const key of keys) {
          expect(Object.keys(key).sort()).toStrictEqual(["alg", "crv", "kid", "kty", "use", "x"])
          expect(key).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" })
        }
      })
    })
  })
