import { Effect, Layer, ManagedRuntime } from "effect"
import { decodeProtectedHeader } from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { layerMemoryStorage } from "../../adapters/storage/memory/memory-storage.ts"
import { SigningKeys } from "../../application/ports/oauth.ts"
import type { StorageServices } from "../../runtime/app-layer.ts"
import { OAuthTokens } from "../../runtime/oauth/token-service.ts"
import { tenantId } from "../http/support/harness.ts"
import { makeTestApp, type TestApp } from "../support/app.ts"
import { layerScratchPostgres } from "../support/storage-adapters.ts"
import { accessToken, bearer, makeClient, tokenByPost } from "./support.ts"

const acme = "acme.localhost"
const whoami = "/api/v1/auth/whoami"
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

const settings = {
  keyCacheTtlMs: 300,
  oauth: {
    issuerTemplate: undefined,
    audienceTemplate: undefined,
    tokenTtlSeconds: 120,
    keyRotationSeconds: 3600,
    keyLeadSeconds: 1
  }
} as const

/**
 * Two instances of the service over one storage (each with its own caches and its own rotation
 * job), as behind a load balancer: tokens from either are read by the other while the signing key
 * rotates, and no request fails.
 */
const rotationSuite = (name: string, makeStorage: () => Layer.Layer<StorageServices, unknown>) =>
  describe(`signing key rotation under load (${name})`, () => {
    let shared: ManagedRuntime.ManagedRuntime<StorageServices, unknown>
    let first: TestApp
    let second: TestApp

    beforeAll(async () => {
      shared = ManagedRuntime.make(makeStorage())
      const storage = Layer.succeedContext(await shared.context())
      first = await makeTestApp(storage, { settings })
      second = await makeTestApp(storage, { settings })
      await first.createTenant({ id: tenantId("acme") })
    }, 60_000)
    afterAll(async () => {
      await first?.close()
      await second?.close()
      await shared?.dispose()
    })

    it("no request fails while the next key is published, starts signing and the old one retires", {
      timeout: 60_000
    }, async () => {
      const client = await makeClient(first, "acme", { scopes: ["products:read"] })
      const instances = [first, second]
      const kids = new Set<string>()
      const failures: Array<string> = []
      let requests = 0
      let running = true
      const worker = async (index: number) => {
        let round = index
        while (running) {
          const issuer = instances[round % 2]!
          const reader = instances[(round + 1) % 2]!
          const response = await tokenByPost(issuer, acme, client)
          if (response.status !== 200) {
            failures.push(`token: ${response.status} ${await response.text()}`)
            continue
          }
          const token = ((await response.json()) as { access_token: string }).access_token
          kids.add(String(decodeProtectedHeader(token).kid))
          for (let i = 0; i < 10 && running; i++) {
            const answer = await bearer(reader, i % 2 === 0 ? whoami : "/api/v1/products?limit=1", acme, token)
            requests++
            if (answer.status !== 200) failures.push(`read: ${answer.status} ${await answer.text()}`)
          }
          round++
        }
      }
      const load = Promise.all([0, 1, 2, 3, 4, 5].map(worker))
      await sleep(800)
      const published = await first.runtime.runPromise(Effect.flatMap(OAuthTokens, (tokens) => tokens.publishNext))
      expect(published.created).toBe(true)
      expect(published.key.status).toBe("pending")
      // The lead (1 s) passes, the new key signs; the rotation job of both instances runs meanwhile.
      await sleep(2500)
      await second.runtime.runPromise(Effect.flatMap(OAuthTokens, (tokens) => tokens.maintain))
      await sleep(800)
      running = false
      await load
      expect(failures).toStrictEqual([])
      expect(requests).toBeGreaterThan(100)
      expect(kids.size).toBe(2)
      expect(kids.has(published.key.kid)).toBe(true)
      // The old key is retiring, kept until its tokens have expired: both still verify on either instance.
      const keys = await second.runtime.runPromise(Effect.flatMap(OAuthTokens, (tokens) => tokens.keys))
      expect(keys.map((k) => k.status).sort()).toStrictEqual(["retiring", "signing"])
      const fresh = await accessToken(second, acme, client)
      expect(decodeProtectedHeader(fresh).kid).toBe(published.key.kid)
      expect((await bearer(first, whoami, acme, fresh)).status).toBe(200)
    })

    it("the rotation job publishes the next key when one is due and removes keys whose tokens have all expired", {
      timeout: 30_000
    }, async () => {
      const hour = 3_600_000
      const now = Date.now()
      const tokens = await first.runtime.runPromise(
        Effect.gen(function* () {
          const store = yield* SigningKeys
          // Replace the keys with an old history: a key retired two hours ago, and one signing for 59 minutes.
          const existing = (yield* store.list).map((k) => k.kid)
          const template = (yield* store.list)[0]!
          yield* store.insert({
            kid: "old-retired",
            publicJwk: { ...template.publicJwk, kid: "old-retired" },
            privateJwk: template.privateJwk!,
            createdAt: new Date(now - 4 * hour),
            activatesAt: new Date(now - 4 * hour)
          })
          yield* store.insert({
            kid: "old-signing",
            publicJwk: { ...template.publicJwk, kid: "old-signing" },
            privateJwk: template.privateJwk!,
            createdAt: new Date(now - 2 * hour),
            activatesAt: new Date(now - 2 * hour + 60_000)
          })
          yield* store.remove(existing)
          return yield* OAuthTokens
        })
      )
      await first.runtime.runPromise(tokens.maintain)
      const keys = await first.runtime.runPromise(tokens.keys)
      // Rotation is due (an hour, less the lead, since it started signing): the next key waits a lead.
      expect(keys.map((k) => [k.kid.startsWith("old-") ? k.kid : "new", k.status])).toStrictEqual([
        ["old-signing", "signing"],
        ["new", "pending"]
      ])
    })
  })

rotationSuite("memory", () => layerMemoryStorage)
const url = process.env["DATABASE_URL"]
if (url !== undefined && url !== "") rotationSuite("PostgreSQL", () => layerScratchPostgres(url, 2))
else
  describe("signing key rotation under load (PostgreSQL)", () => it.skip("SKIPPED: DATABASE_URL is not set", () => {}))
