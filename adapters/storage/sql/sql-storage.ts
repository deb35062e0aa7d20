import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import type { TenantDirectory } from "../../../application/ports/tenant-directory.ts"
import { TenantStorage } from "../../../application/ports/tenant-storage.ts"
import type { StorageError } from "../../../domain/errors.ts"
import type { Tenant } from "../../../domain/tenant.ts"
import { migrateControl, migrateTenant } from "./migrations.ts"
import { layerSqlApiKeys } from "./sql-api-keys.ts"
import {
  layerSqlCatalogWithLocks,
  layerSqlOutlets,
  layerSqlSyncHistory,
  makeStoreLocks,
  type StoreLocks
} from "./sql-catalog.ts"
import { layerSqlCustomers } from "./sql-customers.ts"
import { storageFailure } from "./sql-errors.ts"
import { layerSqlIdempotency, layerSqlLoyaltyLedger } from "./sql-loyalty.ts"
import { layerSqlTenantDirectory } from "./sql-tenant-directory.ts"

/** How a driver reaches one tenant's tables: a SqlClient whose statements run in the tenant's schema. */
export type TenantClient = (tenant: Tenant) => Layer.Layer<SqlClient.SqlClient, StorageError>

const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`

/**
 * The SQL storage adapter, shared by PostgreSQL and PGlite: the directory on the control
 * database's SqlClient (migrated when the layer starts), and each tenant's repositories on the
 * client the driver gives for that tenant.
 */
export const layerSqlStorage = (
  tenantClient: TenantClient
): Layer.Layer<TenantDirectory | TenantStorage, StorageError, SqlClient.SqlClient> =>
  Layer.merge(
    layerSqlTenantDirectory,
    Layer.effect(
      TenantStorage,
      Effect.gen(function* () {
        const control = yield* SqlClient.SqlClient
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
        return TenantStorage.of({
          provision: (tenant) =>
            Effect.gen(function* () {
              if (tenant.locator.databaseUrl === null) {
                yield* control
                  .unsafe(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(tenant.locator.schema)}`)
                  .pipe(storageFailure("create tenant schema"))
              }
              yield* Effect.provide(migrateTenant, tenantClient(tenant))
            }),
          // Layer.fresh: layers are memoised by reference, so without it every tenant opened in
          // one memo map would share the first tenant's repositories (and its database). The
          // repositories share one client, so a sync's history record joins its transaction.
          open: (tenant) =>
            Layer.mergeAll(
              Layer.fresh(layerSqlApiKeys),
              Layer.fresh(layerSqlOutlets),
              Layer.fresh(layerSqlCatalogWithLocks(locksOf(tenant))),
              Layer.fresh(layerSqlSyncHistory),
              Layer.fresh(layerSqlCustomers),
              Layer.fresh(layerSqlIdempotency),
              Layer.fresh(layerSqlLoyaltyLedger)
            ).pipe(Layer.provide(tenantClient(tenant)))
        })
      })
    )
  ).pipe(Layer.provideMerge(Layer.effectDiscard(migrateControl)))
