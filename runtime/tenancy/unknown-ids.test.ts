import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import { layerKeySecrets } from "../../adapters/crypto/key-secrets.ts"
import { layerMemoryStorage } from "../../adapters/storage/memory/memory-storage.ts"
import { authenticate } from "../../application/auth/authenticate.ts"
import { issueApiKey } from "../../application/auth/issue-key.ts"
import { ApiKeys } from "../../application/ports/api-keys.ts"
import { KeySecrets } from "../../application/ports/key-secrets.ts"
import { OAuthClients, SigningKeys } from "../../application/ports/oauth.ts"
import type { StorageServices } from "../../application/ports/storage-services.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import { type TenantRepositories, TenantStorage } from "../../application/ports/tenant-storage.ts"
import { createTenant } from "../../application/tenants/create-tenant.ts"
import { formatApiKey } from "../../domain/api-key.ts"
import { StorageError } from "../../domain/errors.ts"
import { type Tenant, type TenantId, tenantSchemaName } from "../../domain/tenant.ts"
import { invalidKeyBody, send } from "../../test/http/support/harness.ts"
import { accessToken, bearer, makeClient } from "../../test/oauth/support.ts"
import { makeTestApp } from "../../test/support/app.ts"
import { TenantDatabases } from "./tenant-databases.ts"

/** Calls that reached storage, by port method; `sets` switches the two set reads to failing. */
interface StorageProbe {
  readonly calls: Record<string, number>
  readonly total: () => number
  readonly reset: () => void
  faults: { sets: boolean }
  /** The storage behind every cache: what another process (the admin CLI, another instance) writes to. */
  raw?: { readonly directory: TenantDirectory["Service"]; readonly storage: TenantStorage["Service"] }
}

/**
 * Memory storage that counts every call to the tenant directory, to a tenant's ApiKeys and
 * OAuthClients, to the signing keys and to `open`, so a test can prove that a request reached no
 * storage at all. For tests only.
 */
const countingStorage = () => {
  const probe: StorageProbe = {
    calls: {},
    total: () => Object.values(probe.calls).reduce((sum, n) => sum + n, 0),
    reset: () => {
      for (const name of Object.keys(probe.calls)) delete probe.calls[name]
    },
    faults: { sets: false }
  }
  const count = (name: string) =>
    Effect.sync(() => {
      probe.calls[name] = (probe.calls[name] ?? 0) + 1
    })
  const failing = (operation: string) => new StorageError({ operation, cause: "injected fault" })
  const layer = Layer.effectContext(
    Effect.gen(function* () {
      const directory = yield* TenantDirectory
      const storage = yield* TenantStorage
      probe.raw = { directory, storage }
      const countedDirectory = TenantDirectory.of({
        create: (tenant) => Effect.andThen(count("directory.create"), directory.create(tenant)),
        find: (id) => Effect.andThen(count("directory.find"), directory.find(id)),
        list: Effect.andThen(count("directory.list"), directory.list),
        activeIds: Effect.andThen(
          count("directory.activeIds"),
          Effect.suspend(() => (probe.faults.sets ? Effect.fail(failing("list tenant ids")) : directory.activeIds))
        ),
        setLoyalty: (id, settings) => Effect.andThen(count("directory.setLoyalty"), directory.setLoyalty(id, settings)),
        setTax: (id, settings) => Effect.andThen(count("directory.setTax"), directory.setTax(id, settings)),
        setRateLimits: (id, limits) =>
          Effect.andThen(count("directory.setRateLimits"), directory.setRateLimits(id, limits)),
        setStatus: (id, status) => Effect.andThen(count("directory.setStatus"), directory.setStatus(id, status)),
        ping: Effect.andThen(count("directory.ping"), directory.ping)
      })
      const countedKeys = (keys: ApiKeys["Service"]) =>
        ApiKeys.of({
          insert: (key) => Effect.andThen(count("keys.insert"), keys.insert(key)),
          findById: (id) => Effect.andThen(count("keys.findById"), keys.findById(id)),
          list: Effect.andThen(count("keys.list"), keys.list),
          liveIds: (at) =>
            Effect.andThen(
              count("keys.liveIds"),
              Effect.suspend(() => (probe.faults.sets ? Effect.fail(failing("list live key ids")) : keys.liveIds(at)))
            ),
          revoke: (id, at) => Effect.andThen(count("keys.revoke"), keys.revoke(id, at)),
          expireBy: (id, at) => Effect.andThen(count("keys.expireBy"), keys.expireBy(id, at)),
          touch: (id, at) => Effect.andThen(count("keys.touch"), keys.touch(id, at))
        })
      const countedClients = (clients: OAuthClients["Service"]) =>
        OAuthClients.of({
          insert: (client) => Effect.andThen(count("oauth.insert"), clients.insert(client)),
          findById: (id) => Effect.andThen(count("oauth.findById"), clients.findById(id)),
          list: Effect.andThen(count("oauth.list"), clients.list),
          revoke: (id, at) => Effect.andThen(count("oauth.revoke"), clients.revoke(id, at)),
          rotateSecret: (id, hash, until) =>
            Effect.andThen(count("oauth.rotateSecret"), clients.rotateSecret(id, hash, until)),
          revokedIds: Effect.andThen(count("oauth.revokedIds"), clients.revokedIds),
          touch: (id, at) => Effect.andThen(count("oauth.touch"), clients.touch(id, at))
        })
      const signingKeys = yield* SigningKeys
      const countedSigningKeys = SigningKeys.of({
        list: Effect.andThen(count("signing.list"), signingKeys.list),
        insert: (key) => Effect.andThen(count("signing.insert"), signingKeys.insert(key)),
        remove: (kids) => Effect.andThen(count("signing.remove"), signingKeys.remove(kids)),
        claimRotation: (owner, now, until) =>
          Effect.andThen(count("signing.claimRotation"), signingKeys.claimRotation(owner, now, until))
      })
      const countedStorage = TenantStorage.of({
        provision: (tenant) => Effect.andThen(count("storage.provision"), storage.provision(tenant)),
        open: (tenant) =>
          Layer.effectContext(
            Effect.gen(function* () {
              yield* count("storage.open")
              const repositories = yield* Effect.context<TenantRepositories>()
              return Context.add(repositories, ApiKeys, countedKeys(Context.get(repositories, ApiKeys))).pipe(
                Context.add(OAuthClients, countedClients(Context.get(repositories, OAuthClients)))
              )
            })
          ).pipe(Layer.provide(storage.open(tenant)))
      })
      // Every service as the adapter gives it, but those wrapped here.
      return Context.add(yield* Effect.context<StorageServices>(), TenantDirectory, countedDirectory).pipe(
        Context.add(TenantStorage, countedStorage),
        Context.add(SigningKeys, countedSigningKeys)
      )
    })
  ).pipe(Layer.provide(layerMemoryStorage))
  return { probe, layer }
}

const ttlMs = 5000
const acme = "acme" as TenantId

/** The service's view of storage (TenantDatabases and the directory it writes through) over a counting store. */
const setup = Effect.gen(function* () {
  const { probe, layer } = countingStorage()
  const context = yield* Layer.build(
    Layer.mergeAll(
      TenantDatabases.layer({ idleTimeToLive: "1 hour", cacheTtl: ttlMs }),
      layerKeySecrets("test pepper")
    ).pipe(Layer.provideMerge(layer))
  )
  const use = <A, E, R extends TenantDatabases | TenantDirectory | TenantStorage | KeySecrets>(
    effect: Effect.Effect<A, E, R>
  ) => Effect.provideContext(effect, context)
  yield* use(createTenant({ id: acme }))
  const issue = (tenant: TenantId) =>
    use(
      Effect.gen(function* () {
        const databases = yield* TenantDatabases
        return yield* issueApiKey({ kind: "partner" }).pipe(
          Effect.provideContext(yield* databases.repositories(tenant))
        )
      }).pipe(Effect.scoped)
    )
  const revoke = (tenant: TenantId, id: number) =>
    use(
      Effect.gen(function* () {
        const databases = yield* TenantDatabases
        const keys = Context.get(yield* databases.repositories(tenant), ApiKeys)
        return yield* keys.revoke(id, new Date(0))
      }).pipe(Effect.scoped)
    )
  /** What the HTTP middleware does for a request: the host's tenant, then the key. */
  const attempt = (host: string, key: string) =>
    use(
      Effect.gen(function* () {
        const databases = yield* TenantDatabases
        const tenant = yield* databases.resolve(host)
        if (tenant === undefined) return "no tenant" as const
        const repositories = yield* databases.repositories(tenant.id)
        const outcome = yield* Effect.result(authenticate(tenant.id, key).pipe(Effect.provideContext(repositories)))
        return outcome._tag === "Success" ? ("ok" as const) : outcome.failure._tag
      }).pipe(Effect.scoped)
    )
  return { probe, use, issue, revoke, attempt }
})

/** Writes made by another process: straight into the store, past every cache of this one. */
const elsewhere = (probe: StorageProbe) => {
  const raw = probe.raw!
  const tenantRow = (id: TenantId) =>
    Effect.flatMap(raw.directory.find(id), (tenant) =>
      tenant === undefined ? Effect.die(`no ${id}`) : Effect.succeed(tenant)
    )
  const withKeys = <A>(id: TenantId, f: (keys: ApiKeys["Service"]) => Effect.Effect<A, StorageError>) =>
    Effect.gen(function* () {
      const context = yield* Layer.build(raw.storage.open(yield* tenantRow(id)))
      return yield* f(Context.get(context, ApiKeys))
    }).pipe(Effect.scoped)
  return {
    createTenant: (id: TenantId) =>
      Effect.gen(function* () {
        const tenant: Tenant = {
          id,
          name: id,
          status: "active",
          country: "SG",
          timezone: "Asia/Singapore",
          currency: "SGD",
          locator: { databaseUrl: null, schema: tenantSchemaName(id) },
          loyaltyUrl: null,
          loyaltyCredential: null,
          taxInclusive: true,
          taxRatePpm: null,
          rateLimits: {},
          createdAt: new Date(0)
        }
        yield* raw.storage.provision(tenant)
        return yield* raw.directory.create(tenant)
      }),
    insertKey: (id: TenantId, secrets: KeySecrets["Service"]) =>
      withKeys(id, (keys) =>
        Effect.gen(function* () {
          const secret = secrets.generate()
          const record = yield* keys.insert({
            name: "elsewhere",
            kind: "partner",
            scopes: ["outlets:read"],
            secretHash: secrets.hash(secret),
            expiresAt: null,
            createdAt: new Date(0)
          })
          return formatApiKey(record.id, secret)
        })
      ),
    revokeKey: (id: TenantId, keyId: number) => withKeys(id, (keys) => keys.revoke(keyId, new Date(0)))
  }
}

const randomLabel = (i: number) => `t${i.toString(36)}-${Math.random().toString(36).slice(2, 10)}`
const randomKey = () => formatApiKey(100 + Math.floor(Math.random() * 1_000_000_000), "Z".repeat(40))

describe("unknown tenants and key ids cost no storage call", () => {
  it.effect("a flood of distinct unknown hosts and key ids reaches no storage once the sets are read", () =>
    Effect.gen(function* () {
      const { probe, issue, attempt } = yield* setup
      const valid = yield* issue(acme)
      expect(yield* attempt("acme", valid.plaintext)).toBe("ok")
      probe.reset()
      for (let i = 0; i < 300; i++) {
        expect(yield* attempt(randomLabel(i), valid.plaintext)).toBe("no tenant")
        expect(yield* attempt("acme", randomKey())).toBe("InvalidApiKey")
      }
      expect(probe.calls).toEqual({})
      // The valid key still works, from memory too.
      expect(yield* attempt("acme", valid.plaintext)).toBe("ok")
      expect(probe.total()).toBe(0)
    })
  )

  it.effect("the first request reads each set once, however many requests arrive together", () =>
    Effect.gen(function* () {
      const { probe, attempt } = yield* setup
      probe.reset()
      const outcomes = yield* Effect.all(
        Array.from({ length: 50 }, (_, i) =>
          i % 2 === 0 ? attempt(randomLabel(i), randomKey()) : attempt("acme", randomKey())
        ),
        { concurrency: "unbounded" }
      )
      expect(new Set(outcomes)).toEqual(new Set(["no tenant", "InvalidApiKey"]))
      expect(probe.calls["directory.activeIds"]).toBe(1)
      expect(probe.calls["keys.liveIds"]).toBe(1)
      expect(probe.calls["keys.findById"]).toBeUndefined()
    })
  )

  it.effect("a key issued by this process works at once; one it revokes is refused at once", () =>
    Effect.gen(function* () {
      const { probe, issue, revoke, attempt } = yield* setup
      expect(yield* attempt("acme", randomKey())).toBe("InvalidApiKey")
      const key = yield* issue(acme)
      expect(yield* attempt("acme", key.plaintext)).toBe("ok")
      yield* revoke(acme, key.record.id)
      expect(yield* attempt("acme", key.plaintext)).toBe("InvalidApiKey")
      // Neither change waited for a second read of the set.
      expect(probe.calls["keys.liveIds"]).toBe(1)
    })
  )

  it.effect("a tenant created by this process resolves at once", () =>
    Effect.gen(function* () {
      const { probe, use, issue, attempt } = yield* setup
      expect(yield* attempt("globex", randomKey())).toBe("no tenant")
      yield* use(createTenant({ id: "globex" as TenantId }))
      const key = yield* issue("globex" as TenantId)
      expect(yield* attempt("globex", key.plaintext)).toBe("ok")
      expect(probe.calls["directory.activeIds"]).toBe(1)
    })
  )

  it.effect("another process's new tenant, new key and revocation are seen within the TTL, not before", () =>
    Effect.gen(function* () {
      const { probe, use, issue, attempt } = yield* setup
      const other = elsewhere(probe)
      const secrets = yield* use(KeySecrets)
      const known = yield* issue(acme)
      expect(yield* attempt("acme", known.plaintext)).toBe("ok")

      yield* other.createTenant("initech" as TenantId)
      const initechKey = yield* other.insertKey("initech" as TenantId, secrets)
      const acmeKey = yield* other.insertKey(acme, secrets)
      yield* other.revokeKey(acme, known.record.id)
      yield* TestClock.adjust(ttlMs - 1)
      expect(yield* attempt("initech", initechKey)).toBe("no tenant")
      expect(yield* attempt("acme", acmeKey)).toBe("InvalidApiKey")
      expect(yield* attempt("acme", known.plaintext)).toBe("ok")

      yield* TestClock.adjust(1)
      expect(yield* attempt("initech", initechKey)).toBe("ok")
      expect(yield* attempt("acme", acmeKey)).toBe("ok")
      expect(yield* attempt("acme", known.plaintext)).toBe("InvalidApiKey")
    })
  )

  it.effect("a failed read of the sets keeps the last good ones (tenants and keys still answer)", () =>
    Effect.gen(function* () {
      const { probe, issue, attempt } = yield* setup
      const key = yield* issue(acme)
      expect(yield* attempt("acme", key.plaintext)).toBe("ok")
      probe.faults.sets = true
      yield* TestClock.adjust(ttlMs)
      expect(yield* attempt("acme", key.plaintext)).toBe("ok")
      expect(yield* attempt("acme", randomKey())).toBe("InvalidApiKey")
      expect(yield* attempt(randomLabel(1), key.plaintext)).toBe("no tenant")
      expect(probe.calls["directory.activeIds"]).toBe(2)
      expect(probe.calls["keys.liveIds"]).toBe(2)
    })
  )

  it.effect("with no good read of the tenant ids yet, a failing directory is a StorageError (a 503), not a 401", () =>
    Effect.gen(function* () {
      const { probe, attempt } = yield* setup
      probe.faults.sets = true
      const error = yield* Effect.flip(attempt("acme", randomKey()))
      expect(error._tag).toBe("StorageError")
    })
  )
})

describe("over HTTP", () => {
  it("garbage keys and unknown hosts get the one 401 and reach no storage", async () => {
    const { probe, layer } = countingStorage()
    const app = await makeTestApp(layer)
    try {
      await app.createTenant({ id: acme })
      const valid = await app.issueKey(acme, { kind: "partner" })
      const whoami = (host: string, key: string) => send(app, "/api/v1/auth/whoami", { host, key })
      expect((await whoami("acme.localhost", valid.plaintext)).status).toBe(200)
      probe.reset()
      for (let i = 0; i < 100; i++) {
        for (const response of [
          await whoami("acme.localhost", randomKey()),
          await whoami(`${randomLabel(i)}.localhost`, valid.plaintext)
        ]) {
          expect({ status: response.status, body: await response.text() }).toEqual({
            status: 401,
            body: invalidKeyBody
          })
        }
      }
      expect(probe.calls).toEqual({})
      // The app's own tenant creation goes through the directory TenantDatabases provides: known at once.
      await app.createTenant({ id: "globex" as TenantId })
      const globex = await app.issueKey("globex" as TenantId, { kind: "partner" })
      expect((await whoami("globex.localhost", globex.plaintext)).status).toBe(200)
    } finally {
      await app.close()
    }
  })
})

describe("access tokens over HTTP", () => {
  it("a token used many times costs no storage call per request: each cache is read once per KEY_CACHE_TTL_MS at most", async () => {
    // A short TTL, so the repeated calls span several of them: the reads follow the clock, not the requests.
    const ttl = 250
    const { probe, layer } = countingStorage()
    const app = await makeTestApp(layer, { settings: { keyCacheTtlMs: ttl } })
    try {
      await app.createTenant({ id: acme })
      const client = await makeClient(app, "acme")
      const token = await accessToken(app, "acme.localhost", client)
      expect((await bearer(app, "/api/v1/auth/whoami", "acme.localhost", token)).status).toBe(200)
      probe.reset()
      const started = Date.now()
      let requests = 0
      while (requests < 300 || Date.now() - started < 4 * ttl) {
        const response = await bearer(app, "/api/v1/auth/whoami", "acme.localhost", token)
        expect(response.status).toBe(200)
        await response.arrayBuffer()
        requests++
      }
      const elapsed = Date.now() - started
      const readsAtMost = 1 + Math.floor(elapsed / ttl)
      // The revoked client ids, the tenant ids and row, the signing keys: each a cache read again once per TTL.
      expect(probe.calls["oauth.revokedIds"] ?? 0).toBeLessThanOrEqual(readsAtMost)
      for (const [name, calls] of Object.entries(probe.calls)) {
        expect(["oauth.revokedIds", "directory.activeIds", "directory.find", "signing.list"], name).toContain(name)
        expect(calls, name).toBeLessThanOrEqual(readsAtMost)
      }
      expect(probe.total()).toBeLessThan(requests / 10)
    } finally {
      await app.close()
    }
  })

  it("within one TTL, many uses of a token reach no storage at all", async () => {
    const { probe, layer } = countingStorage()
    const app = await makeTestApp(layer)
    try {
      // Every cache was filled after this: none is due for a read again until a TTL later.
      const filledFrom = Date.now()
      await app.createTenant({ id: acme })
      const client = await makeClient(app, "acme")
      const token = await accessToken(app, "acme.localhost", client)
      expect((await bearer(app, "/api/v1/auth/whoami", "acme.localhost", token)).status).toBe(200)
      probe.reset()
      for (let i = 0; i < 200; i++) {
        expect((await bearer(app, "/api/v1/auth/whoami", "acme.localhost", token)).status).toBe(200)
      }
      // The default TTL is 5 s: on a machine slow enough to pass it, one read of each cache is allowed.
      if (Date.now() - filledFrom < app.settings.keyCacheTtlMs) expect(probe.calls).toEqual({})
      else for (const calls of Object.values(probe.calls)) expect(calls).toBeLessThanOrEqual(1)
    } finally {
      await app.close()
    }
  })
})
