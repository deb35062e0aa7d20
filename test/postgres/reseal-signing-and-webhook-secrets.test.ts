import { PgClient } from "@effect/sql-pg"
import { Effect, ManagedRuntime, Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { isKeyRing, type KeyRing, parseKeyRing } from "../../adapters/crypto/credential-sealer.ts"
import { layerPostgresStorage } from "../../adapters/storage/postgres/postgres-storage.ts"
import { SigningKeys } from "../../application/ports/oauth.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import { TenantStorage } from "../../application/ports/tenant-storage.ts"
import { WebhookEndpoints } from "../../application/ports/webhook-endpoints.ts"
import { createTenant } from "../../application/tenants/create-tenant.ts"
import type { TenantId } from "../../domain/tenant.ts"
import { keyOwner, newWebhookEndpointId, newWebhookSecret } from "../../domain/webhook-endpoint.ts"

const url = process.env["DATABASE_URL"] ?? ""

const ring = (text: string): KeyRing => {
  const parsed = parseKeyRing(text, "CREDENTIALS_KEYS")
  if (!isKeyRing(parsed)) throw new Error(parsed.problem)
  return parsed
}
const k1 = `k1:${Buffer.alloc(32, 1).toString("base64")}`
const k2 = `k2:${Buffer.alloc(32, 2).toString("base64")}`

const onDatabase = async (database: string, text: string) => {
  const client = ManagedRuntime.make(PgClient.layer({ url: Redacted.make(database), maxConnections: 1 }))
  try {
    return await client.runPromise(
      Effect.flatMap(PgClient.PgClient, (sql) => sql.unsafe<Record<string, unknown>>(text))
    )
  } finally {
    await client.dispose()
  }
}

/**
 * A new first key in CREDENTIALS_KEYS reseals, when an instance starts, the private parts of the
 * token signing keys (control database) and the partner webhook secrets (a tenant's, when it is
 * first opened), as it does every credential: the old key can then leave the ring.
 */
describe.skipIf(url === "")("resealing signing keys and webhook secrets (PostgreSQL)", () => {
  const name = `pos_reseal_${process.pid}_${Date.now().toString(36)}`
  const database = Object.assign(new URL(url), { pathname: `/${name}` }).toString()
  const instance = (keys: string) =>
    ManagedRuntime.make(
      layerPostgresStorage({ url: Redacted.make(database), tenantPoolSize: 1, credentialKeys: ring(keys) })
    )
  beforeAll(() => onDatabase(url, `CREATE DATABASE ${name}`), 60_000)
  afterAll(() => onDatabase(url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))

  /** Runs `effect` on acme's repositories, opened as the service opens a tenant (migrated, resealed). */
  const onAcme = <A, E>(effect: Effect.Effect<A, E, WebhookEndpoints>) =>
    Effect.gen(function* () {
      const tenant = (yield* (yield* TenantDirectory).find("acme" as TenantId))!
      return yield* Effect.scoped(Effect.provide(effect, (yield* TenantStorage).open(tenant)))
    })

  it("rewrites both under the new first key, and they still open with it alone", async () => {
    const secret = newWebhookSecret()
    const previous = newWebhookSecret()
    const endpointId = newWebhookEndpointId()
    const before = instance(k1)
    try {
      await before.runPromise(
        Effect.gen(function* () {
          yield* createTenant({ id: "acme" as TenantId }).pipe(Effect.orDie)
          yield* (yield* SigningKeys).insert({
            kid: "kid-1",
            publicJwk: { kty: "OKP", crv: "Ed25519", x: "AAAA", kid: "kid-1", alg: "EdDSA", use: "sig" },
            privateJwk: '{"d":"secret-material"}',
            createdAt: new Date(),
            activatesAt: new Date()
          })
          yield* onAcme(
            Effect.gen(function* () {
              const endpoints = yield* WebhookEndpoints
              yield* endpoints.insert({
                id: endpointId,
                owners: [keyOwner(1)],
                url: "https://hooks.partner.example/",
                eventTypes: [],
                description: "",
                secret: previous,
                createdAt: new Date()
              })
              yield* endpoints.rotateSecret(endpointId, secret, new Date(Date.now() + 3_600_000), new Date())
            })
          )
        })
      )
    } finally {
      await before.dispose()
    }
    const sealedUnder = async () => ({
      signing: String(
        (await onDatabase(database, "SELECT private_jwk FROM oauth_signing_keys"))[0]?.["private_jwk"]
      ).slice(0, 6),
      webhook: (await onDatabase(database, "SELECT secret, previous_secret FROM tenant_acme.webhook_endpoints")).map(
        (row) => [String(row["secret"]).slice(0, 6), String(row["previous_secret"]).slice(0, 6)]
      )
    })
    expect(await sealedUnder()).toEqual({ signing: "v1.k1.", webhook: [["v1.k1.", "v1.k1."]] })

    // An instance whose first key is k2 (k1 still in the ring to open) reseals at start and first open.
    const after = instance(`${k2},${k1}`)
    try {
      await after.runPromise(onAcme(Effect.asVoid(WebhookEndpoints)))
    } finally {
      await after.dispose()
    }
    expect(await sealedUnder()).toEqual({ signing: "v1.k2.", webhook: [["v1.k2.", "v1.k2."]] })

    // k1 can now leave the ring: everything opens with k2 alone.
    const only = instance(k2)
    try {
      const opened = await only.runPromise(
        Effect.gen(function* () {
          const keys = yield* (yield* SigningKeys).list
          const endpoint = yield* onAcme(Effect.flatMap(WebhookEndpoints, (e) => e.findById(endpointId)))
          return { privateJwk: keys[0]?.privateJwk, secret: endpoint?.secret, previous: endpoint?.previousSecret }
        })
      )
      expect(opened).toEqual({ privateJwk: '{"d":"secret-material"}', secret, previous })
    } finally {
      await only.dispose()
    }
  }, 60_000)
})
