import { Context, Effect, Layer, ManagedRuntime } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { layerMemoryStorage } from "../../adapters/storage/memory/memory-storage.ts"
import { ApiKeys } from "../../application/ports/api-keys.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import { type TenantRepositories, TenantStorage } from "../../application/ports/tenant-storage.ts"
import { createTenant } from "../../application/tenants/create-tenant.ts"
import type { TenantId } from "../../domain/tenant.ts"
import { TenantDatabases } from "./tenant-databases.ts"

/** Memory storage whose directory lookups and tenant opens/closes are counted. */
const instrumented = () => {
  const counts = { finds: 0, opens: 0, closes: 0, keyReads: 0 }
  const layer = Layer.effectContext(
    Effect.gen(function* () {
      const directory = yield* TenantDirectory
      const storage = yield* TenantStorage
      const countedDirectory = TenantDirectory.of({
        ...directory,
        find: (id) =>
          Effect.andThen(
            Effect.sync(() => counts.finds++),
            directory.find(id)
          )
      })
      const countedStorage = TenantStorage.of({
        ...storage,
        // The tenant's own repositories, with only ApiKeys swapped for a counting one.
        open: (tenant) =>
          Layer.effectContext(
            Effect.gen(function* () {
              yield* Effect.acquireRelease(
                Effect.sync(() => counts.opens++),
                () => Effect.sync(() => counts.closes++)
              )
              const repositories = yield* Effect.context<TenantRepositories>()
              const keys = Context.get(repositories, ApiKeys)
              return Context.add(
                repositories,
                ApiKeys,
                ApiKeys.of({
                  ...keys,
                  findById: (id) =>
                    Effect.andThen(
                      Effect.sync(() => counts.keyReads++),
                      keys.findById(id)
                    )
                })
              )
            })
          ).pipe(Layer.provide(storage.open(tenant)))
      })
      return Context.make(TenantDirectory, countedDirectory).pipe(Context.add(TenantStorage, countedStorage))
    })
  ).pipe(Layer.provide(layerMemoryStorage))
  return { counts, layer }
}

let runtime: ManagedRuntime.ManagedRuntime<TenantDatabases | TenantDirectory | TenantStorage, unknown> | undefined
afterEach(() => runtime?.dispose())

const setup = async (options: { idleMs: number; cacheMs: number }) => {
  const { counts, layer } = instrumented()
  runtime = ManagedRuntime.make(
    TenantDatabases.layer({ idleTimeToLive: options.idleMs, cacheTtl: options.cacheMs }).pipe(Layer.provideMerge(layer))
  )
  await runtime.runPromise(createTenant({ id: "acme" as TenantId }))
  counts.finds = 0
  return { counts, run: runtime.runPromise }
}

const withRepositories = <A, E>(id: string, effect: Effect.Effect<A, E, ApiKeys>) =>
  Effect.gen(function* () {
    const databases = yield* TenantDatabases
    const context = yield* databases.repositories(id as TenantId)
    return yield* Effect.provideContext(effect, context)
  }).pipe(Effect.scoped)

describe("TenantDatabases", () => {
  it("never looks up a string that is not a tenant id", async () => {
    const { counts, run } = await setup({ idleMs: 1000, cacheMs: 1000 })
    for (const bad of ["", "UPPER", "../etc", "a".repeat(57), "-lead", "x.y"]) {
      expect(await run(Effect.flatMap(TenantDatabases, (d) => d.resolve(bad)))).toBeUndefined()
    }
    expect(counts.finds).toBe(0)
  })

  it("caches a resolved tenant for the cache TTL", async () => {
    const { counts, run } = await setup({ idleMs: 1000, cacheMs: 150 })
    const resolve = () => run(Effect.flatMap(TenantDatabases, (d) => d.resolve("acme")))
    expect((await resolve())?.id).toBe("acme")
    await resolve()
    expect(counts.finds).toBe(1)
    await new Promise((r) => setTimeout(r, 200))
    await resolve()
    expect(counts.finds).toBe(2)
  })

  it("opens a tenant once for concurrent users, closes it after the idle time, reopens on demand", async () => {
    const { counts, run } = await setup({ idleMs: 100, cacheMs: 1000 })
    await run(
      Effect.all(
        Array.from({ length: 10 }, () => withRepositories("acme", Effect.void)),
        { concurrency: 10 }
      )
    )
    expect(counts.opens).toBe(1)
    await new Promise((r) => setTimeout(r, 300))
    expect(counts.closes).toBe(1)
    await run(withRepositories("acme", Effect.void))
    expect(counts.opens).toBe(2)
  })

  it("reads a key row at most once per TTL, and forgets it on revocation", async () => {
    const { counts, run } = await setup({ idleMs: 5000, cacheMs: 150 })
    const now = new Date()
    const key = await run(
      withRepositories(
        "acme",
        Effect.flatMap(ApiKeys, (k) =>
          k.insert({
            name: "k",
            kind: "partner",
            scopes: ["outlets:read"],
            secretHash: "00",
            expiresAt: null,
            createdAt: now
          })
        )
      )
    )
    const find = () =>
      run(
        withRepositories(
          "acme",
          Effect.flatMap(ApiKeys, (k) => k.findById(key.id))
        )
      )
    await find()
    await find()
    expect(counts.keyReads).toBe(1)
    await run(
      withRepositories(
        "acme",
        Effect.flatMap(ApiKeys, (k) => k.revoke(key.id, new Date()))
      )
    )
    expect((await find())?.revokedAt).toBeInstanceOf(Date)
    expect(counts.keyReads).toBe(2)
    await new Promise((r) => setTimeout(r, 200))
    await find()
    expect(counts.keyReads).toBe(3)
  })
})
