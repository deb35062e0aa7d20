import { Effect, Layer } from "effect"
import type { SqlClient } from "effect/sql"
import type { DatabaseUsage } from "../../../application/ports/database-usage.ts"
import type { StorageServices } from "../../../application/ports/storage-services.ts"
import { TenantStorage } from "../../../application/ports/tenant-storage.ts"
import type { StorageError } from "../../../domain/errors.ts"
import type { Tenant } from "../../../domain/tenant.ts"
import { ephemeralKeyRing, type KeyRing, makeCredentialSealer } from "../../crypto/credential-sealer.ts"
import { layerMemoryRateLimitBuckets } from "../memory/memory-rate-limit-buckets.ts"
import { logResealProblems, resealControlCredentials, resealTenantCredentials } from "./credential-migrations.ts"
import { migrateControl, migrateTenant } from "./migrations.ts"
import { layerSqlAdminKeys, layerSqlAuditLog } from "./sql-admin.ts"
import { layerSqlApiKeys } from "./sql-api-keys.ts"
import {
  layerSqlCatalogWithLocks,
  layerSqlOutlets,
  layerSqlSyncHistory,
  makeStoreLocks,
  type StoreLocks
} from "./sql-catalog.ts"
import { layerSqlCustomers } from "./sql-customers.ts"
import { databaseLabel } from "./sql-errors.ts"
import { layerSqlIdempotency, layerSqlLoyaltyLedger } from "./sql-loyalty.ts"
import { layerSqlMenus } from "./sql-menus.ts"
import { layerSqlOAuthClients, layerSqlSigningKeys } from "./sql-oauth.ts"
import { layerSqlOrderDueIndex } from "./sql-order-due-index.ts"
import { layerSqlOrders } from "./sql-orders.ts"
import { layerSqlPosCredentials } from "./sql-pos-credentials.ts"
import { layerSqlPosInbox } from "./sql-pos-inbox.ts"
import { layerSqlPullSchedules } from "./sql-pull-schedules.ts"
import { layerSqlRateLimitBuckets } from "./sql-rate-limit-buckets.ts"
import { layerSqlTenantDirectory } from "./sql-tenant-directory.ts"
import { layerSqlWebhookDeliveries } from "./sql-webhook-deliveries.ts"
import { layerSqlWebhookEndpoints } from "./sql-webhook-endpoints.ts"

/** How a driver reaches one tenant's tables: a SqlClient whose statements run in the tenant's schema. */
export type TenantClient = (tenant: Tenant) => Layer.Layer<SqlClient.SqlClient, StorageError>

const migrateTenantOf = (tenant: Tenant) =>
  migrateTenant(
    tenant.locator.schema,
    tenant.locator.databaseUrl === null ? undefined : databaseLabel(tenant.locator.databaseUrl)
  )

/**
 * The SQL storage adapter, shared by PostgreSQL and PGlite: the directory on the control
 * database's SqlClient (migrated when the layer starts), and each tenant's repositories on the
 * client the driver gives for that tenant. Credentials are sealed with `keys` (a key of this layer
 * only when none are given: tests). Values in plain text or under an older key are resealed when
 * the layer starts (the control database) and when a tenant is first opened (its own).
 */
export const layerSqlStorage = (
  tenantClient: TenantClient,
  keys: KeyRing = ephemeralKeyRing(),
  /** Rate limit buckets: in the control database (instances share it), or in this process (the embedded default). */
  buckets: "shared" | "in-process" = "shared"
): Layer.Layer<Exclude<StorageServices, DatabaseUsage>, StorageError, SqlClient.SqlClient> => {
  const sealer = makeCredentialSealer(keys)
  return Layer.mergeAll(
    layerSqlTenantDirectory(sealer),
    layerSqlPullSchedules,
    layerSqlOrderDueIndex,
    layerSqlAdminKeys,
    layerSqlAuditLog,
    layerSqlSigningKeys(sealer),
    buckets === "shared" ? layerSqlRateLimitBuckets : layerMemoryRateLimitBuckets,
    Layer.effect(
      TenantStorage,
      Effect.sync(() => {
        // Outlet locks outlive one open of a tenant: two opens of the same tenant (a LayerMap entry
        // rebuilt, a test opening twice) must still exclude each other's syncs of one outlet.
        const storeLocks = new Map<string, StoreLocks>()
        const locksOf = (tenant: Tenant) => {
          let locks = storeLocks.get(tenant.id)
          if (locks === undefined) {
            locks = makeStoreLocks()
            storeLocks.set(tenant.id, locks)
          }
          return locks
        }
        // Tenants whose schema this process has brought to the current migration. Later opens (a
        // pool rebuilt after an idle close) skip the check: on PGlite it would wait for the one
        // session behind any other tenant's open transaction.
        const migrated = new Set<string>()
        const keyOf = (tenant: Tenant) =>
          `${tenant.id}\u0000${tenant.locator.databaseUrl}\u0000${tenant.locator.schema}`
        const migrateOnce = (tenant: Tenant) =>
          Effect.suspend(() =>
            migrated.has(keyOf(tenant))
              ? Effect.void
              : migrateTenantOf(tenant).pipe(
                  Effect.andThen(Effect.flatMap(resealTenantCredentials(sealer, tenant.id), logResealProblems)),
                  Effect.tap(() => Effect.sync(() => migrated.add(keyOf(tenant))))
                )
          )
        return TenantStorage.of({
          // Before the directory entry: a tenant that can be resolved has its tables, and a
          // database that cannot be reached fails the creation with the database's reason.
          provision: (tenant) =>
            Effect.provide(
              Effect.tap(migrateTenantOf(tenant), () => Effect.sync(() => migrated.add(keyOf(tenant)))),
              tenantClient(tenant)
            ),
          // A tenant's schema is brought to the current migration on its first open in this process
          // (SPEC 13: at start-up or first use): one created by an older version, or whose schema
          // is missing, is upgraded before its first query. Layer.fresh: layers are memoised by
          // reference, so without it every tenant opened in one memo map would share the first
          // tenant's repositories (and its database). The repositories share one client, so a
          // sync's history record joins its transaction.
          open: (tenant) =>
            Layer.mergeAll(
              Layer.fresh(layerSqlApiKeys),
              Layer.fresh(layerSqlOAuthClients),
              Layer.fresh(layerSqlOutlets),
              Layer.fresh(layerSqlCatalogWithLocks(locksOf(tenant))),
              Layer.fresh(layerSqlSyncHistory),
              Layer.fresh(layerSqlCustomers),
              Layer.fresh(layerSqlIdempotency),
              Layer.fresh(layerSqlLoyaltyLedger),
              Layer.fresh(layerSqlPosInbox),
              Layer.fresh(layerSqlMenus),
              Layer.fresh(layerSqlOrders),
              Layer.fresh(layerSqlPosCredentials(sealer, tenant.id)),
              Layer.fresh(layerSqlWebhookEndpoints(sealer, tenant.id)),
              Layer.fresh(layerSqlWebhookDeliveries)
            ).pipe(Layer.provide(Layer.effectDiscard(migrateOnce(tenant))), Layer.provide(tenantClient(tenant)))
        })
      })
    )
  ).pipe(
    Layer.provideMerge(
      Layer.effectDiscard(
        Effect.andThen(migrateControl, Effect.flatMap(resealControlCredentials(sealer), logResealProblems))
      )
    )
  )
}
