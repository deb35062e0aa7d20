import { createServer, type IncomingMessage, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, Layer } from "effect"
import { Webhook } from "standardwebhooks"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { rotateApiKey } from "../../application/admin/api-key-admin.ts"
import type { Resolver } from "../../runtime/partner-webhooks/destination.ts"
import { WebhookResolver } from "../../runtime/partner-webhooks/services.ts"
import { TenantDatabases } from "../../runtime/tenancy/tenant-databases.ts"
import { adminCalls, firstAdminKey } from "../admin/support.ts"
import { jsonHeaders, type MakeStorage, send, startApp, tenantId } from "../http/support/harness.ts"
import { accessToken, bearer, makeClient } from "../oauth/support.ts"
import type { TestApp } from "../support/app.ts"
import { storageAdapters } from "../support/storage-adapters.ts"

const acme = "acme.localhost"
const path = "/api/v1/webhook-endpoints"

/** A resolver for the names these tests use: a public address, a private one, and nothing else. */
const resolver: Resolver = async (host) => {
  if (host === "hooks.partner.example") return [{ address: "93.184.216.34", family: 4 }]
  if (host === "internal.partner.example") return [{ address: "10.1.2.3", family: 4 }]
  if (host === "mapped.partner.example") return [{ address: "::ffff:192.168.1.1", family: 6 }]
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" })
}

interface Received {
  readonly headers: IncomingMessage["headers"]
  readonly body: string
}

/**
 * The partner's side of webhook endpoints: register, list, change, rotate the secret, remove, and
 * the ping a receiver verifies with the `standardwebhooks` package; each endpoint is its owner's
 * only, and URLs that lead inside our network are refused.
 */
const endpointsSuite = (name: string, makeStorage: MakeStorage) =>
  describe(`webhook endpoints (${name})`, () => {
    let app: TestApp
    let key: string
    let otherKey: string
    let receiver: Server
    let receiverUrl: string
    const received: Array<Received> = []
    let answer = 204

    beforeAll(async () => {
      receiver = createServer((request, response) => {
        let body = ""
        request.setEncoding("utf8")
        request.on("data", (chunk) => {
          body += chunk
        })
        request.on("end", () => {
          received.push({ headers: request.headers, body })
          response.statusCode = answer
          response.end()
        })
      })
      await new Promise<void>((done) => receiver.listen(0, "127.0.0.1", done))
      receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`
      const storage = () => Layer.merge(makeStorage(), Layer.succeed(WebhookResolver, resolver))
      app = await startApp(storage, { webhookAllowLoopback: true })
      await app.createTenant({ id: tenantId("acme") })
      key = (await app.issueKey(tenantId("acme"), { kind: "partner" })).plaintext
      otherKey = (await app.issueKey(tenantId("acme"), { kind: "partner" })).plaintext
    })
    afterAll(async () => {
      await app?.close()
      await new Promise((done) => receiver?.close(done))
    })

    const call = (method: string, to: string, body?: unknown, withKey = key) =>
      send(app, to, {
        method,
        host: acme,
        key: withKey,
        ...(body === undefined ? {} : { headers: jsonHeaders, body: JSON.stringify(body) })
      })
    const json = async (response: Response, status: number) => {
      const text = await response.text()
      expect({ status: response.status, text }).toMatchObject({ status })
      return JSON.parse(text) as Record<string, unknown>
    }

    it("registers an endpoint, answers its secret once, lists it for its owner only", async () => {
      const created = await json(
        await call("POST", path, { url: "https://hooks.partner.example/pos", eventTypes: ["order.created"] }),
        201
      )
      expect(String(created["secret"])).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
      const endpoint = created["endpoint"] as Record<string, unknown>
      expect(endpoint).toMatchObject({
        url: "https://hooks.partner.example/pos",
        eventTypes: ["order.created"],
        description: "",
        enabled: true,
        disabledReason: null,
        previousSecretExpiresAt: null
      })
      const listed = await json(await call("GET", path), 200)
      expect(JSON.stringify(listed)).not.toContain("whsec_")
      expect((listed["data"] as Array<Record<string, unknown>>).map((e) => e["endpointId"])).toContain(
        endpoint["endpointId"]
      )
      // Another key of the same tenant sees nothing, and cannot read or change it.
      expect(await json(await call("GET", path, undefined, otherKey), 200)).toStrictEqual({ data: [] })
      const id = String(endpoint["endpointId"])
      await json(await call("GET", `${path}/${id}`, undefined, otherKey), 404)
      await json(await call("DELETE", `${path}/${id}`, undefined, otherKey), 404)
    })

    it.each([
      ["http://169.254.169.254/latest/meta-data", "https URL"],
      ["http://10.0.0.1/", "https URL"],
      ["https://10.0.0.1/", "private address"],
      ["https://169.254.169.254/", "link-local"],
      ["https://[::ffff:10.0.0.1]/", "private address"],
      ["https://internal.partner.example/", "resolves to 10.1.2.3"],
      ["https://mapped.partner.example/", "192.168.1.1"],
      ["https://nowhere.partner.example/", "does not resolve"],
      ["ftp://hooks.partner.example/", "https URL"],
      ["https://user:pw@hooks.partner.example/", "user"]
    ])("refuses %s with a 400 naming body.url", async (url, words) => {
      const refused = await json(await call("POST", path, { url }), 400)
      const details = String((refused["error"] as Record<string, unknown>)["details"])
      expect(details).toMatch(/^body\.url: /)
      expect(details).toContain(words)
      expect(details).not.toContain(":pw@")
    })

    it("a key rotated into another keeps its endpoints: the new key sees and changes them", async () => {
      const issued = await app.issueKey(tenantId("acme"), { kind: "partner", name: "rotating" })
      const created = await json(
        await call("POST", path, { url: "https://hooks.partner.example/rotating" }, issued.plaintext),
        201
      )
      const id = String((created["endpoint"] as Record<string, unknown>)["endpointId"])
      const rotated = await app.runtime.runPromise(
        Effect.gen(function* () {
          const databases = yield* TenantDatabases
          const repositories = yield* databases.repositories(tenantId("acme"))
          return yield* rotateApiKey({ keyId: issued.record.id, overlapSeconds: 3600, expiresAt: null }).pipe(
            Effect.provideContext(repositories)
          )
        }).pipe(Effect.scoped, Effect.orDie)
      )
      for (const holder of [issued.plaintext, rotated.issued.plaintext]) {
        expect(await json(await call("GET", `${path}/${id}`, undefined, holder), 200)).toMatchObject({ endpointId: id })
      }
    })

    it("refuses an unknown event type", async () => {
      await json(await call("POST", path, { url: "https://hooks.partner.example/", eventTypes: ["order.eaten"] }), 400)
    })

    it("needs webhooks:write to register, webhooks:read to list", async () => {
      const reader = (await app.issueKey(tenantId("acme"), { kind: "partner", scopes: ["webhooks:read"] })).plaintext
      await json(await call("POST", path, { url: "https://hooks.partner.example/" }, reader), 403)
      await json(await call("GET", path, undefined, reader), 200)
      const pos = (await app.issueKey(tenantId("acme"), { kind: "pos" })).plaintext
      await json(await call("GET", path, undefined, pos), 403)
    })

    it("an OAuth client owns the endpoints it registers", async () => {
      const client = await makeClient(app, "acme", { scopes: ["webhooks:read", "webhooks:write"] })
      const token = await accessToken(app, acme, client)
      const created = await send(app, path, {
        method: "POST",
        host: acme,
        headers: { ...jsonHeaders, authorization: `Bearer ${token}` },
        body: JSON.stringify({ url: "https://hooks.partner.example/oauth" })
      })
      expect(created.status).toBe(201)
      const mine = await json(await bearer(app, path, acme, token), 200)
      expect((mine["data"] as Array<Record<string, unknown>>).map((e) => e["url"])).toStrictEqual([
        "https://hooks.partner.example/oauth"
      ])
    })

    it("changes fields, disables and enables; removes", async () => {
      const created = await json(await call("POST", path, { url: "https://hooks.partner.example/a" }), 201)
      const id = String((created["endpoint"] as Record<string, unknown>)["endpointId"])
      const disabled = await json(await call("PATCH", `${path}/${id}`, { enabled: false, description: "staging" }), 200)
      expect(disabled).toMatchObject({
        enabled: false,
        disabledReason: "disabled by its owner",
        description: "staging"
      })
      const enabled = await json(
        await call("PATCH", `${path}/${id}`, { enabled: true, eventTypes: ["sync.failed"] }),
        200
      )
      expect(enabled).toMatchObject({ enabled: true, disabledReason: null, eventTypes: ["sync.failed"] })
      await json(await call("PATCH", `${path}/${id}`, { url: "https://10.0.0.9/" }), 400)
      expect((await call("DELETE", `${path}/${id}`)).status).toBe(204)
      await json(await call("GET", `${path}/${id}`), 404)
    })

    it("pings a receiver that verifies with standardwebhooks; during a rotation both secrets verify", async () => {
      const created = await json(await call("POST", path, { url: receiverUrl }), 201)
      const id = String((created["endpoint"] as Record<string, unknown>)["endpointId"])
      const first = String(created["secret"])
      received.length = 0
      const ping = await json(await call("POST", `${path}/${id}/test`), 200)
      expect(ping).toMatchObject({ delivered: true, status: 204, error: null })
      expect(received).toHaveLength(1)
      const delivery = received[0]!
      expect(delivery.headers["webhook-id"]).toBe(ping["webhookId"])
      expect(delivery.headers["content-type"]).toBe("application/json")
      const payload = new Webhook(first).verify(delivery.body, delivery.headers as Record<string, string>)
      expect(payload).toMatchObject({ type: "ping", tenantId: "acme", data: { endpointId: id } })
      expect(() =>
        new Webhook(first).verify(delivery.body.replace("ping", "pong"), delivery.headers as Record<string, string>)
      ).toThrow()

      const rotated = await json(await call("POST", `${path}/${id}/rotate-secret`, { overlapSeconds: 3600 }), 200)
      const second = String(rotated["secret"])
      expect(second).not.toBe(first)
      expect((rotated["endpoint"] as Record<string, unknown>)["previousSecretExpiresAt"]).not.toBeNull()
      received.length = 0
      await json(await call("POST", `${path}/${id}/test`), 200)
      const both = received[0]!
      expect(String(both.headers["webhook-signature"]).split(" ")).toHaveLength(2)
      for (const secret of [first, second]) {
        expect(new Webhook(secret).verify(both.body, both.headers as Record<string, string>)).toMatchObject({
          type: "ping"
        })
      }
      // No overlap: the old secret stops signing at once.
      const third = String(
        (await json(await call("POST", `${path}/${id}/rotate-secret`, { overlapSeconds: 0 }), 200))["secret"]
      )
      received.length = 0
      await json(await call("POST", `${path}/${id}/test`), 200)
      const only = received[0]!
      expect(String(only.headers["webhook-signature"]).split(" ")).toHaveLength(1)
      expect(() => new Webhook(second).verify(only.body, only.headers as Record<string, string>)).toThrow()
      expect(new Webhook(third).verify(only.body, only.headers as Record<string, string>)).toMatchObject({
        type: "ping"
      })
    })

    it("operators list every partner's endpoints (never a secret) and disable one, audited", async () => {
      const adminKey = await firstAdminKey(app)
      const admin = adminCalls(
        () => app,
        () => adminKey
      )
      const created = await json(await call("POST", path, { url: "https://hooks.partner.example/ops" }), 201)
      const id = String((created["endpoint"] as Record<string, unknown>)["endpointId"])
      const listed = await admin.json(await admin.call("GET", "/tenants/acme/webhook-endpoints"), 200)
      expect(JSON.stringify(listed)).not.toContain("whsec_")
      const row = (listed["data"] as Array<Record<string, unknown>>).find((e) => e["endpointId"] === id)
      expect(row).toMatchObject({ url: "https://hooks.partner.example/ops", enabled: true })
      expect(row?.["owners"]).toStrictEqual([expect.stringMatching(/^apiKey:\d+$/)])

      const disabled = await admin.json(
        await admin.call("POST", `/tenants/acme/webhook-endpoints/${id}/disable`, { reason: "answers 500" }),
        200
      )
      expect(disabled).toMatchObject({ enabled: false, disabledReason: "disabled by an operator: answers 500" })
      // Its owner sees why; disabling again changes nothing.
      expect(await json(await call("GET", `${path}/${id}`), 200)).toMatchObject({
        enabled: false,
        disabledReason: "disabled by an operator: answers 500"
      })
      await admin.json(await admin.call("POST", `/tenants/acme/webhook-endpoints/${id}/disable`, {}), 200)
      const audit = await admin.json(await admin.call("GET", "/audit?action=webhook-endpoint.disable"), 200)
      expect(audit["data"]).toHaveLength(1)
      await admin.json(await admin.call("POST", "/tenants/acme/webhook-endpoints/whe_nope/disable", {}), 404)
      await admin.json(await admin.call("GET", "/tenants/nobody/webhook-endpoints"), 404)
      // A partner key is no admin key.
      await admin.json(await admin.call("GET", "/tenants/acme/webhook-endpoints", undefined, { key }), 401)
    })

    it("a ping the receiver refuses says so", async () => {
      const created = await json(await call("POST", path, { url: receiverUrl }), 201)
      const id = String((created["endpoint"] as Record<string, unknown>)["endpointId"])
      answer = 500
      try {
        expect(await json(await call("POST", `${path}/${id}/test`), 200)).toMatchObject({
          delivered: false,
          status: 500,
          error: "answered 500"
        })
      } finally {
        answer = 204
      }
    })
  })

for (const adapter of storageAdapters()) {
  if (adapter.available) endpointsSuite(adapter.name, adapter.layer)
  else describe(`webhook endpoints (${adapter.name})`, () => it.skip("SKIPPED: DATABASE_URL is not set", () => {}))
}
