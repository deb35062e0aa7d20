import { Clock, Context, Duration, Effect, Layer, LayerMap, type Scope } from "effect"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import { type TenantRepositories, TenantStorage } from "../../application/ports/tenant-storage.ts"
import { StorageError } from "../../domain/errors.ts"
import { isTenantId, type Tenant, type TenantId } from "../../domain/tenant.ts"
import { cachedApiKeys } from "./cached-api-keys.ts"
import { cachedOAuthClients } from "./cached-oauth-clients.ts"
import { meteredSyncHistory } from "./metered-sync-history.ts"
import { makeRefreshingSet } from "./refreshing-set.ts"
import { TtlCache } from "./ttl-cache.ts"

export interface TenantDatabasesOptions {
  /** A tenant's connections are closed after this long without a request. */
  readonly idleTimeToLive: Duration.Input
  /**
   * How long the sets of tenant ids and live key ids, a directory entry or an API key row are
   * trusted: a change made by another process takes effect within it.
   */
  readonly cacheTtl: Duration.Input
}

/**
 * The per-tenant resources: the directory lookup (cached briefly) and each tenant's repositories,
 * opened on first use, shared by concurrent requests and released after an idle period.
 *
 * The layer also provides the TenantDirectory this process writes through, so a tenant it creates
 * is known at once; tenants created elsewhere (the admin CLI, another instance) within the TTL.
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
  static readonly layer = (
    options: TenantDatabasesOptions
  ): Layer.Layer<TenantDatabases | TenantDirectory, never, TenantDirectory | TenantStorage> =>
    Layer.effectContext(
      Effect.gen(function* () {
        const directory = yield* TenantDirectory
        const storage = yield* TenantStorage
        const ttlMs = Duration.toMillis(Duration.fromInputUnsafe(options.cacheTtl))
        const tenants = new TtlCache<TenantId, Tenant>(ttlMs, 10_000)
        // Every active tenant's id in memory: a host naming any other tenant costs no lookup.
        const activeIds = yield* makeRefreshingSet<TenantId>({ name: "tenant ids", load: directory.activeIds, ttlMs })

        const find = (id: TenantId): Effect.Effect<Tenant | undefined, StorageError> =>
          Effect.flatMap(Clock.currentTimeMillis, (now) => {
            const hit = tenants.get(id, now)
            if (hit !== undefined) return Effect.succeed(hit.status === "active" ? hit : undefined)
            return Effect.map(directory.find(id), (tenant) => {
              if (tenant !== undefined) tenants.set(id, tenant, now)
              return tenant?.status === "active" ? tenant : undefined
            })
          })

        const resolve = (id: string): Effect.Effect<Tenant | undefined, StorageError> => {
          if (!isTenantId(id)) return Effect.succeed(undefined)
          return Effect.flatMap(activeIds.current, (ids) => (ids.has(id) ? find(id) : Effect.succeed(undefined)))
        }

        const map = yield* LayerMap.make(
          (id: TenantId): Layer.Layer<TenantRepositories, StorageError> =>
            Layer.unwrap(
              Effect.flatMap(directory.find(id), (tenant) =>
                tenant === undefined
                  ? Effect.fail(
                      new StorageError({ operation: "open tenant", cause: `tenant ${id} is not in the directory` })
                    )
                  : Effect.succeed(
                      Layer.mergeAll(cachedApiKeys(ttlMs), cachedOAuthClients(ttlMs), meteredSyncHistory()).pipe(
                        Layer.provideMerge(storage.open(tenant))
                      )
                    )
              )
            ),
          { idleTimeToLive: options.idleTimeToLive }
        )

        const databases = TenantDatabases.of({
          resolve,
          // A failed open (a database briefly down) must not stay cached: the next request tries again.
          repositories: (id) => map.contextEffect(id).pipe(Effect.tapError(() => map.invalidate(id)))
        })
        // Drops a cached row for the id: the next request reads the tenant as stored.
        const forget = (id: TenantId) => Effect.sync(() => tenants.delete(id))
        const writeThrough = TenantDirectory.of({
          ...directory,
          create: (input) =>
            Effect.tap(directory.create(input), (tenant) =>
              Effect.andThen(
                forget(tenant.id),
                Effect.sync(() => {
                  if (tenant.status === "active") activeIds.add(tenant.id)
                })
              )
            ),
          setLoyalty: (id, settings) => Effect.tap(directory.setLoyalty(id, settings), () => forget(id)),
          setTax: (id, settings) => Effect.tap(directory.setTax(id, settings), () => forget(id)),
          setRateLimits: (id, limits) => Effect.tap(directory.setRateLimits(id, limits), () => forget(id)),
          // This process stops resolving a suspended tenant (and resolves a reactivated one) at once;
          // other instances within the TTL.
          setStatus: (id, status) =>
            Effect.tap(directory.setStatus(id, status), (tenant) =>
              Effect.andThen(
                forget(id),
                Effect.sync(() => {
                  if (tenant.status === "active") activeIds.add(id)
                  else activeIds.delete(id)
                })
              )
            )
        })
        return Context.make(TenantDatabases, databases).pipe(Context.add(TenantDirectory, writeThrough))
      })
    )
}
