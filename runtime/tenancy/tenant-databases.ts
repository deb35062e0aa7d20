import { Clock, Context, Duration, Effect, Layer, LayerMap, type Scope } from "effect"
import { ApiKeys } from "../../application/ports/api-keys.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import { type TenantRepositories, TenantStorage } from "../../application/ports/tenant-storage.ts"
import type { ApiKeyRecord } from "../../domain/api-key.ts"
import { StorageError } from "../../domain/errors.ts"
import { isTenantId, type Tenant, type TenantId } from "../../domain/tenant.ts"
import { TtlCache } from "./ttl-cache.ts"

export interface TenantDatabasesOptions {
  /** A tenant's connections are closed after this long without a request. */
  readonly idleTimeToLive: Duration.Input
  /** How long a directory entry or an API key row is trusted: revocation takes effect within it. */
  readonly cacheTtl: Duration.Input
}

/**
 * The per-tenant resources: the directory lookup (cached briefly) and each tenant's repositories,
 * opened on first use, shared by concurrent requests and released after an idle period.
 */
export class TenantDatabases extends Context.Service<
  TenantDatabases,
  {
    /** The active tenant with this id, or undefined: an unchecked string never opens a database. */
    readonly resolve: (id: string) => Effect.Effect<Tenant | undefined, StorageError>
    readonly repositories: (
      id: TenantId
    ) => Effect.Effect<Context.Context<TenantRepositories>, StorageError, Scope.Scope>
  }
>()("pos/runtime/TenantDatabases") {
  static readonly layer = (options: TenantDatabasesOptions) =>
    Layer.effect(
      TenantDatabases,
      Effect.gen(function* () {
        const directory = yield* TenantDirectory
        const storage = yield* TenantStorage
        const ttlMs = Duration.toMillis(Duration.fromInputUnsafe(options.cacheTtl))
        const tenants = new TtlCache<TenantId, Tenant>(ttlMs, 10_000)

        const resolve = (id: string): Effect.Effect<Tenant | undefined, StorageError> => {
          if (!isTenantId(id)) return Effect.succeed(undefined)
          return Effect.flatMap(Clock.currentTimeMillis, (now) => {
            const hit = tenants.get(id, now)
            if (hit !== undefined) return Effect.succeed(hit.status === "active" ? hit : undefined)
            return Effect.map(directory.find(id), (tenant) => {
              if (tenant !== undefined) tenants.set(id, tenant, now)
              return tenant?.status === "active" ? tenant : undefined
            })
          })
        }

        const map = yield* LayerMap.make(
          (id: TenantId): Layer.Layer<TenantRepositories, StorageError> =>
            Layer.unwrap(
              Effect.flatMap(directory.find(id), (tenant) =>
                tenant === undefined
                  ? Effect.fail(
                      new StorageError({ operation: "open tenant", cause: `tenant ${id} is not in the directory` })
                    )
                  : Effect.succeed(cachedKeys(ttlMs).pipe(Layer.provideMerge(storage.open(tenant))))
              )
            ),
          { idleTimeToLive: options.idleTimeToLive }
        )

        return TenantDatabases.of({
          resolve,
          // A failed open (a database briefly down) must not stay cached: the next request tries again.
          repositories: (id) => map.contextEffect(id).pipe(Effect.tapError(() => map.invalidate(id)))
        })
      })
    )
}

/**
 * Key rows are read at most once per TTL per key, so whoami costs no database round trip in the
 * steady state; `touch` reaches the database at most once a minute per key.
 */
const cachedKeys = (ttlMs: number) =>
  Layer.effect(
    ApiKeys,
    Effect.gen(function* () {
      const keys = yield* ApiKeys
      const rows = new TtlCache<number, ApiKeyRecord>(ttlMs, 10_000)
      const touched = new TtlCache<number, true>(60_000, 10_000)
      return ApiKeys.of({
        ...keys,
        findById: (id) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) => {
            const hit = rows.get(id, now)
            if (hit !== undefined) return Effect.succeed(hit)
            // Only found rows are cached: a probe of an unused id must not hide the key that gets it next.
            return Effect.map(keys.findById(id), (row) => {
              if (row !== undefined) rows.set(id, row, now)
              return row
            })
          }),
        revoke: (id, at) => Effect.tap(keys.revoke(id, at), () => Effect.sync(() => rows.delete(id))),
        touch: (id, at) =>
          Effect.suspend(() => {
            if (touched.get(id, at.getTime()) !== undefined) return Effect.void
            touched.set(id, true, at.getTime())
            return keys.touch(id, at)
          })
      })
    })
  )
